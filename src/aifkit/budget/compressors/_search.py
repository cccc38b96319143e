"""Search results and retrieved chunks: deduplicated, titles and URLs kept, snippets by salience.

A result is a block: text separated by blank lines or a new numbered entry, or
one object of a JSON array with a URL. Its first line and any URL line are its
handle (kept before snippets); a repeated result (same URL or same snippet) is
worth nothing; snippet lines score by novelty — the words no other result uses,
the names and numbers they carry — with a small bonus for the engine's rank. A
result whose novelty stands out from the others' (a robust z-score past 3.5, the
records' outlier rule) says what no other does: it scores as an outlier row does.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from aifkit.budget.compressors._kinds import record_array
from aifkit.budget.compressors._layout import FAR, Layout, Piece, novelty, robust_z

__all__ = ["search_layout"]

_OUTLIER = 0.9
"""A standout snippet's score: as an outlier row's (`aifkit.budget.compressors._records`)."""
_URL = re.compile(r"https?://\S+")
_ENTRY = re.compile(r"^\s*(?:\d+[.)]|#\d+|\[\d+\]|[-*]\s+\[)")
_TITLE_KEYS = ("title", "name", "heading")
# A page's own address before an API's (GitHub: html_url is the page, url the API).
_URL_KEYS = ("html_url", "url", "link", "href", "source")
_TEXT_KEYS = ("snippet", "content", "text", "body", "description", "summary")
_REST = "  fields: "
_SHORT = 120  # characters of other fields that stay on the handle line


def search_layout(text: str, value: Any = None) -> Layout:
    """Cut search results into scored lines: handles, then novel snippets, duplicates last.

    Args:
        text: The results as text.
        value: The parsed JSON, when ``text`` is a JSON array of results.

    Examples:
        >>> res = "".join(f"{i}. Guide {i}\\nhttps://x.org/{i}\\nA generic guide to bridges.\\n\\n"
        ...               for i in range(1, 6))
        >>> res += "6. Orvane\\nhttps://y.org/o\\nThe Orvane bridge reopened with a 7,450 t limit.\\n"
        >>> lay = search_layout(res)
        >>> max(lay.pieces, key=lambda p: p.score).text
        'The Orvane bridge reopened with a 7,450 t limit.\\n'
    """
    blocks = _json_blocks(value) if value is not None else _text_blocks(text)
    flat = ["".join(line for line in b[1:] if not line.startswith(_REST)) for b in blocks]
    fresh = novelty(flat)
    # Outliers among the results: one, or one in twenty (more are a spread, not outliers).
    z = robust_z(np.array(fresh, dtype=np.float64)) if len(fresh) >= 5 else np.zeros(len(fresh))
    far = z > FAR
    standout = far.tolist() if int(far.sum()) <= max(1, len(fresh) // 20) else [False] * len(z)
    seen: set[str] = set()
    pieces: list[Piece] = []
    n = max(len(blocks), 1)
    for rank, (block, new, odd) in enumerate(zip(blocks, fresh, standout, strict=True)):
        key = _key(block)
        dup = key in seen
        seen.add(key)
        rank_bonus = 0.1 * (1 - rank / n)
        for j, line in enumerate(block):
            if dup:
                score = 0.0
            elif line.startswith(_REST):
                score = 0.08  # a result's other fields: kept when there is room
            elif j == 0 or _URL.search(line):
                score = 0.6
            elif not line.strip():
                score = 0.02
            else:
                score = _OUTLIER if odd else 0.1 + 0.7 * new + rank_bonus
            pieces.append(Piece(line, score, "duplicates" if dup else "results"))
    return Layout(
        pieces, "lines", {"duplicates": "of repeated results", "results": "of snippets"},
        kind="search",
    )  # fmt: skip


def _key(block: list[str]) -> str:
    for line in block:
        m = _URL.search(line)
        if m:
            return m.group(0).rstrip("/.,)")
    return " ".join("".join(block[1:]).split()).lower()


def _text_blocks(text: str) -> list[list[str]]:
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in text.splitlines(keepends=True):
        starts = _ENTRY.match(line) is not None or (not line.strip() and current)
        if starts and current and any(s.strip() for s in current):
            if not line.strip():
                current.append(line)
                blocks.append(current)
                current = []
                continue
            blocks.append(current)
            current = []
        current.append(line)
    if current:
        blocks.append(current)
    return blocks


def _json_blocks(value: Any) -> list[list[str]]:
    import json

    found = record_array(value)
    if found is None:
        return []
    blocks: list[list[str]] = []
    for row in found[1]:
        used = [
            next((k for k in keys if k in row), "") for keys in (_TITLE_KEYS, _URL_KEYS, _TEXT_KEYS)
        ]
        title, url, body = (str(row[k]) if k else "" for k in used)
        rest = {k: v for k, v in row.items() if k not in used}
        fields = json.dumps(rest, ensure_ascii=False) if rest else ""
        head = f"- {title} <{url}>"
        if len(fields) <= _SHORT:  # a score, a date: part of the handle
            blocks.append([f"{head} {fields}".rstrip() + "\n", f"  {body}\n"])
        else:  # an API's dozens of fields: a line of their own, kept when there is room
            blocks.append([head + "\n", f"  {body}\n", f"{_REST}{fields}\n"])
    return blocks
