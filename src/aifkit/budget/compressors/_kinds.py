"""What a piece of tool output is: JSON records, logs, code, a table, search results, or prose.

`content_kind` reads a text once (a JSON parse, then one pass over its lines
with a few anchored regexes), so it is linear in the text and cheap enough to
run on every item before compressing it.

Examples:
    >>> content_kind('[{"id": 1, "stock": 4}, {"id": 2, "stock": 7}, {"id": 3, "stock": 0}]')
    'records'
    >>> content_kind("12:00:01 INFO start\\n12:00:02 INFO up\\n12:00:03 ERROR boom\\n")
    'logs'
    >>> content_kind("[Sun Dec 04 04:47:44 2005] [notice] ok\\n" * 3)
    'logs'
    >>> content_kind("sku,stock\\nA1,4\\nB2,7\\nC3,0\\n")
    'table'
    >>> content_kind("The meeting moved to Tuesday. Bring the slides.")
    'prose'
"""

from __future__ import annotations

import re
from typing import Any, Literal, cast

from aifkit.budget.compressors._text import code_or_prose, parse_json

__all__ = ["CONTENT_KINDS", "ContentKind", "content_kind", "kind_and_value", "record_array"]

ContentKind = Literal["records", "json", "logs", "code", "table", "search", "prose"]

CONTENT_KINDS: tuple[ContentKind, ...] = (
    "records",
    "json",
    "logs",
    "code",
    "table",
    "search",
    "prose",
)
"""Every kind `content_kind` returns."""

_LEVEL = r"(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|CRITICAL|CRIT|PANIC|SEVERE)"
# How log lines start, across the formats of common systems (loghub's samples):
# ISO dates (Zookeeper, Hadoop), clock times, syslog (OpenSSH, Linux), Apache's
# error log ([Sun Dec 04 04:47:44 2005]), yymmdd hhmmss (HDFS), yy/mm/dd (Spark),
# mm-dd times (Android), yyyymmdd-hh:mm:ss (HealthApp), access logs
# ([10/Oct/2000:13:55:36), epochs after a short label column (BlueGene/L), levels,
# and a full date-time after a short prefix (OpenStack's file name).
_LOG_START = (
    r"\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|\[?\d{2}:\d{2}:\d{2}|"
    r"\[?[A-Z][a-z]{2}\s+\d{1,2}\s\d{2}:\d{2}:\d{2}|"
    r"\[?[A-Z][a-z]{2} [A-Z][a-z]{2}\s+\d{1,2} \d{2}:\d{2}:\d{2}|"
    r"\d{6} \d{6}\s|\d{2,4}/\d{2}/\d{2,4}[ T:]\d{2}:\d{2}|"
    r"\[?\d{2}[-.]\d{2} \d{2}:\d{2}:\d{2}|\d{8}-\d{2}:\d{2}:\d{2}|"
    r"(?:[-\w]{1,12}\s+)?\d{10}(?:\.\d+)?\s|"
    r"\[?" + _LEVEL + r"\]?[\s:]"
)
_LOG_LINE = re.compile(r"^\s*(?:" + _LOG_START + r"|\S+ \S+ \S+ \[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2})")
_DATE_TIME = re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}")
_PREFIX = 48  # how far into a line a full date-time still starts it
_URL = re.compile(r"https?://\S+")
_SEARCH_KEYS = frozenset({"url", "link", "href", "source"})
_MIN_RECORDS = 3


def record_array(value: Any) -> tuple[str | None, list[dict[str, Any]]] | None:
    """Return ``(key, rows)`` of the array of objects a JSON value holds, else None.

    The array is the value itself, or the longest array of objects directly under
    a top-level key (``{"results": [...]}``), with at least three objects.

    Examples:
        >>> record_array({"total": 3, "rows": [{"a": 1}, {"a": 2}, {"a": 3}]})
        ('rows', [{'a': 1}, {'a': 2}, {'a': 3}])
        >>> record_array([1, 2, 3]) is None
        True
    """
    if isinstance(value, list):
        rows = cast("list[Any]", value)
        if len(rows) >= _MIN_RECORDS and all(isinstance(r, dict) for r in rows):
            return None, cast("list[dict[str, Any]]", rows)
        return None
    if not isinstance(value, dict):
        return None
    best: tuple[str | None, list[dict[str, Any]]] | None = None
    for key, sub in cast("dict[str, Any]", value).items():
        found = record_array(sub) if isinstance(sub, list) else None
        if found is not None and (best is None or len(found[1]) > len(best[1])):
            best = (key, found[1])
    return best


def content_kind(text: str) -> ContentKind:
    """Return what ``text`` is, to route it to the compressor that knows its shape.

    ``records``: JSON holding an array of at least three objects; ``search``: search
    results (an array of objects with URLs, or blocks of title, URL and snippet);
    ``json``: other JSON; ``logs``: most lines start with a timestamp or a level;
    ``table``: CSV, TSV or a Markdown table; ``code``: source code; else ``prose``.
    """
    return kind_and_value(text)[0]


def kind_and_value(text: str) -> tuple[ContentKind, Any | None]:
    """`content_kind`, and the JSON value ``text`` holds (None if it is not JSON).

    The compressor a kind routes to reads the value: parsing once serves both.
    """
    value = parse_json(text)
    if value is not None:
        found = record_array(value)
        if found is None:
            return "json", value
        rows = found[1]
        with_url = sum(1 for r in rows if _SEARCH_KEYS & r.keys())
        return ("search" if with_url * 2 > len(rows) else "records"), value
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < _MIN_RECORDS:
        return "prose", None
    logs = sum(
        1 for line in lines if _LOG_LINE.match(line) or _DATE_TIME.search(line, 0, _PREFIX + 19)
    )
    if logs * 2 >= len(lines):
        return "logs", None
    if _is_table(lines):
        return "table", None
    urls = sum(1 for line in lines if _URL.search(line))
    if urls >= _MIN_RECORDS and urls * 6 >= len(lines):
        return "search", None
    return code_or_prose(text), None


def _is_table(lines: list[str]) -> bool:
    """Whether most lines split into the same number (>1) of cells as the header."""
    head = lines[0]
    for sep in ("\t", ",", "|", ";"):
        cells = head.count(sep)
        if cells == 0:
            continue
        same = sum(1 for line in lines if line.count(sep) == cells)
        if same * 10 >= len(lines) * 9:
            return True
    return False
