"""Logs: keep errors, warnings, stack traces, the first and last lines and rare templates.

Lines score by level: fatal (and the other levels above error) first, then errors
and their stack traces, then warnings.

Each line's message template is its text with the timestamp dropped and the
variable fields (numbers, hex ids, quoted strings, ``key=value`` values) made
``<*>``. Lines of a frequent template collapse into one marker that says how many
there were and how their fields varied; one example of each template is worth
keeping. One pass over the lines, so linear in the log.
"""

from __future__ import annotations

import re
from collections import Counter

from aifkit.budget.compressors._layout import Layout, Piece

__all__ = ["log_layout", "template"]

_TIMESTAMP = re.compile(
    r"^\s*\[?(?:\d{4}-\d{2}-\d{2}[T ][\d:.,]+(?:Z|[+-]\d{2}:?\d{2})?|\d{2}:\d{2}:\d{2}[.,\d]*|"
    r"(?:[A-Z][a-z]{2} )?[A-Z][a-z]{2}\s+\d{1,2}\s\d{2}:\d{2}:\d{2}(?: \d{4})?|\d{10}(?:\.\d+)?|"
    r"\d{6} \d{6}|\d{2,4}/\d{2}/\d{2,4}[ T:][\d:.,]+)\]?\s*"
)
_VARIABLE = re.compile(
    r"(?<==)[^\s,;)\]]+|\"[^\"]*\"|'[^']*'|\b0x[0-9a-fA-F]+\b|\b[0-9a-fA-F]{8,}\b|"
    r"\b[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}\b|\d+(?:[.:]\d+)*"
)
# One scan of a line finds its words of every level (most lines have none); the
# levels above ERROR are syslog's crit, alert and emerg, and their kin.
_LEVEL = re.compile(
    r"\b(?:(?P<fatal>FATAL|CRITICAL|CRIT|PANIC|EMERG|ALERT|SEVERE|panic|fatal|OOM|segfault|"
    r"corrupt\w*)|(?P<error>ERROR|ERR|Exception|Traceback|error|failed|failure|denied|refused|"
    r"timed? ?out)|(?P<warn>WARN|WARNING|warn|warning|deprecated|retry(?:ing)?|slow))\b"
)
_RANK = {"fatal": 3, "error": 2, "warn": 1}
_TRACE = re.compile(r"^(?:\s+(?:at |File |\.\.\.|in )|\s*Caused by|\s*Traceback|\s{2,}\S)")
_GROUPS = 12
_EDGE = 2


def template(line: str) -> str:
    """Return the message template of a log line: no timestamp, variable fields as ``<*>``.

    Examples:
        >>> template("2024-05-01 12:00:01 INFO served /api/7 in 31ms user=ana")
        'INFO served /api/<*> in <*>ms user=<*>'
    """
    body = _TIMESTAMP.sub("", line, count=1).strip()
    return _VARIABLE.sub("<*>", body)


def log_layout(text: str) -> Layout:
    """Cut a log into scored lines, one group per frequent template.

    Examples:
        >>> log = "".join(f"12:00:{i:02d} INFO ok id={i}\\n" for i in range(40))
        >>> log = log.replace("INFO ok id=20", "FATAL disk /dev/sda full")
        >>> lay = log_layout(log)
        >>> max(lay.pieces, key=lambda p: p.score).text
        '12:00:20 FATAL disk /dev/sda full\\n'
    """
    lines = text.splitlines(keepends=True)
    temps = [template(line) for line in lines]
    merged = _merged(set(temps))
    temps = [merged.get(t, t) for t in temps]
    counts = Counter(temps)
    frequent = [t for t, c in counts.most_common(_GROUPS) if c >= 5]
    groups = {t: f"t{i}" for i, t in enumerate(frequent)}
    seen: set[str] = set()
    pieces: list[Piece] = []
    after_error = False
    n = len(lines)
    for i, (line, temp) in enumerate(zip(lines, temps, strict=True)):
        score, after_error = _score(line, counts[temp], temp in seen, after_error)
        if i < _EDGE or i >= n - _EDGE:
            score = max(score, 0.8)
        seen.add(temp)
        pieces.append(Piece(line, score, groups.get(temp, "other")))
    about = {groups[t]: _about(t, v) for t, v in _fields_of(groups, lines, temps).items()}
    about["other"] = "other"
    return Layout(pieces, "log lines", about, kind="logs")


_MERGE = 3
_MOD = (1 << 61) - 1
_BASE = 1_000_003


def _merged(temps: set[str]) -> dict[str, str]:
    """Map templates that differ in one word only, three or more, to one with that word ``<*>``.

    Masking numbers misses the fields that are words (``Invalid user oracle``,
    ``... for admin``), so each user name would make a template of its own and a
    line of it look rare. As Drain does, a position where otherwise equal templates
    of the same length vary is a field. Each template is hashed around each of its
    words in one pass (rolling prefix and suffix hashes), so this is linear.

    Examples:
        >>> m = _merged({"Invalid user oracle from <*>", "Invalid user pi from <*>",
        ...              "Invalid user test from <*>", "Accepted password for fztu"})
        >>> sorted(set(m.values()))
        ['Invalid user <*> from <*>']
    """
    groups: dict[tuple[int, int, int, int], list[str]] = {}
    for temp in temps:
        words = temp.split(" ")
        if len(words) < 3:  # too short to tell a field from the message
            continue
        hashes = [hash(w) % _MOD for w in words]
        prefix = [0]
        for h in hashes:
            prefix.append((prefix[-1] * _BASE + h) % _MOD)
        suffix = [0] * (len(words) + 1)
        power = 1
        for i in range(len(words) - 1, -1, -1):
            suffix[i] = (hashes[i] * power + suffix[i + 1]) % _MOD
            power = power * _BASE % _MOD
        for i in range(len(words)):
            groups.setdefault((len(words), i, prefix[i], suffix[i + 1]), []).append(temp)
    best: dict[str, tuple[int, int]] = {}  # template -> (group size, position)
    for (_, i, _, _), members in groups.items():
        if len(members) < _MERGE:
            continue
        for temp in members:
            if len(members) > best.get(temp, (0, 0))[0]:
                best[temp] = (len(members), i)
    out: dict[str, str] = {}
    for temp, (_, i) in best.items():
        words = temp.split(" ")
        words[i] = "<*>"
        out[temp] = " ".join(words)
    return out


def _score(line: str, count: int, seen: bool, after_error: bool) -> tuple[float, bool]:
    """Return a line's salience, and whether the lines after it may be its stack trace."""
    if after_error and _TRACE.match(line):
        return 0.9, True
    found = _LEVEL.search(line)
    if found is not None:
        level = max(_RANK[m.lastgroup or ""] for m in _LEVEL.finditer(line, found.start()))
        # A repeat of a frequent error or warning says less than a line seen once: in a
        # log under attack (sshd) the failures are the traffic and the one accepted
        # login the news. The first of each template still scores as its severity.
        if seen and count > 3:
            return (0.5 if level > 1 else 0.4), level > 1
        return (1.0, 0.9, 0.7)[3 - level], level > 1
    if count == 1:
        return 0.55, False
    if count <= 3:
        return 0.45, False
    return (0.05 if seen else 0.35), False


def _fields_of(
    groups: dict[str, str], lines: list[str], temps: list[str]
) -> dict[str, list[list[str]]]:
    """The values of the first three variable fields of each grouped template's lines (one pass)."""
    found: dict[str, list[list[str]]] = {t: [[], [], []] for t in groups}
    for line, t in zip(lines, temps, strict=True):
        values = found.get(t)
        if values is None:
            continue
        body = _TIMESTAMP.sub("", line, count=1)
        for k, m in enumerate(_VARIABLE.finditer(body)):
            if k >= len(values):
                break
            values[k].append(m.group(0))
    return found


def _about(temp: str, values: list[list[str]]) -> str:
    """Describe a template's lines: the template and how its first fields varied."""
    fields = [_field(v) for v in values if v]
    clip = temp if len(temp) <= 70 else temp[:69] + "…"
    return f'like "{clip}"' + (f" ({'; '.join(fields)})" if fields else "")


def _field(values: list[str]) -> str:
    try:
        nums = [float(v) for v in values]
    except ValueError:
        distinct = set(values)
        if len(distinct) == 1:
            return values[0][:30]
        return f"{len(distinct)} values, e.g. {values[0][:24]}"
    lo, hi = min(nums), max(nums)
    return f"{lo:g}..{hi:g}" if lo != hi else f"{lo:g}"
