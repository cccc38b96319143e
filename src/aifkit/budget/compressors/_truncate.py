"""Truncation: long texts keep their head and tail, JSON its structure, code its signatures.

Every unit over a common cap is cut to it; the cap is the largest that saves
what the target asks (water-filling), so short texts are left whole and long
ones shrink first. What is cut is always marked:

* text keeps its head and tail around ``[… 1,234 tokens cut (56 lines) …]``;
* JSON stays valid JSON: long arrays keep their first and last items around a
  ``"… 95 more items …"`` element, long strings their ends, deep values a summary;
* code keeps its imports, signatures and decorators, with bodies replaced by
  ``… 12 lines cut …`` lines at their indentation.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from aifkit.aif._schema import Document
from aifkit.budget.compressors._base import CompressionResult, CompressionTarget
from aifkit.budget.compressors._text import code_or_prose, head_tail, is_signature, parse_json
from aifkit.budget.compressors._work import Change, Unit, Workspace

if TYPE_CHECKING:
    from aifkit.tokens import Tokenizer

__all__ = ["Truncator", "truncate_code", "truncate_json"]

_MIN_CAP = 24  # below this, JSON and code are cut as plain text
_MARK = 14  # tokens of a cut marker, about: a unit cut to less keeps only its marker


class Truncator:
    """Cuts the longest texts to a common cap, keeping head and tail, JSON and code structure.

    Args:
        head_share: Share of a cut text's room given to its head (the rest to its tail).
        json_aware: Shorten JSON structurally (keeps it valid).
        code_aware: Keep the signatures of source code.

    Examples:
        >>> from aifkit.aif import Document, Message, TextPart
        >>> log = "\\n".join(f"line {i}: all good" for i in range(400))
        >>> doc = Document(messages=(
        ...     Message(role="user", parts=(TextPart(text=log),)),
        ...     Message(role="assistant", parts=(TextPart(text="Looks fine."),)),
        ...     Message(role="user", parts=(TextPart(text="Any errors?"),))))
        >>> result = Truncator().compress(doc, CompressionTarget("gpt-4o", ratio=0.2))
        >>> result.tokens_after <= round(result.tokens_before * 0.2)
        True
        >>> "tokens cut" in result.document.messages[0].parts[0].text
        True
    """

    name = "truncate"

    def __init__(
        self, *, head_share: float = 2 / 3, json_aware: bool = True, code_aware: bool = True
    ) -> None:
        self.head_share = head_share
        self.json_aware = json_aware
        self.code_aware = code_aware

    def compress(self, document: Document, target: CompressionTarget) -> CompressionResult:
        """Cut the longest unprotected texts until the prompt meets ``target``."""
        ws = Workspace(document, target, self.name)
        units = [u for u in ws.units() if u.tokens > 0]
        return ws.seek(lambda need: self._plan(ws, units, need), strict=True)

    def _plan(self, ws: Workspace, units: Sequence[Unit], need: int) -> list[Change]:
        cap = max(_cap([u.tokens for u in units], need), _MARK)
        changes: list[Change] = []
        for u in units:
            if u.tokens <= cap + 2:
                continue
            text, how = self.shorten(u.text, cap, ws.tokenizer)
            if ws.tokens(text) < u.tokens:
                changes.append(ws.change(u, text, f"{how}: {u.tokens} -> at most {cap} tokens"))
        return changes

    def shorten(self, text: str, cap: int, tok: Tokenizer) -> tuple[str, str]:
        """Return ``text`` cut to about ``cap`` tokens, and how (``json``, ``code``, ``head+tail``)."""
        cap = max(cap, 0)
        value = parse_json(text) if (self.json_aware or self.code_aware) else None
        kind = "json" if value is not None else "prose"
        if value is None and self.code_aware:
            kind = code_or_prose(text)
        if kind == "json" and self.json_aware and cap >= _MIN_CAP:
            out = truncate_json(value, cap, tok, indent=2 if "\n" in text.strip() else None)
            if out is not None:
                return out, "json"
        if kind == "code" and self.code_aware and cap >= _MIN_CAP:
            out = truncate_code(text, cap, tok)
            if out is not None:
                return out, "code"
        if cap <= _MARK:
            return head_tail(text, 0, tok)[0], "marker"
        return head_tail(text, cap, tok, self.head_share)[0], "head+tail"


def _cap(sizes: Sequence[int], need: int) -> int:
    """The largest cap whose cuts (each size above it brought down to it) save ``need``.

    A cut text takes at least a marker, so caps below `_MARK` save no more than it.
    """
    if not sizes:
        return 0

    def saved(cap: int) -> int:
        floor = max(cap, _MARK)
        return sum(s - floor for s in sizes if s > floor)

    lo, hi = 0, max(sizes)
    if saved(lo) < need:
        return 0
    while lo < hi:  # largest cap with saved(cap) >= need
        mid = (lo + hi + 1) // 2
        if saved(mid) >= need:
            lo = mid
        else:
            hi = mid - 1
    return lo


def truncate_json(value: Any, cap: int, tok: Tokenizer, *, indent: int | None = None) -> str | None:
    """Return ``value`` as JSON within ``cap`` tokens, structure kept; None when it cannot fit.

    Long arrays keep their first and last items around a ``"… N more items …"``
    element; long strings keep their ends; values nested deeper than a level that
    fits are replaced by a summary string.

    Examples:
        >>> from aifkit.tokens import get_tokenizer
        >>> tok = get_tokenizer("o200k_base")
        >>> out = truncate_json({"rows": list(range(500)), "ok": True}, 60, tok)
        >>> json.loads(out)["rows"][-2:], json.loads(out)["ok"]
        (['… 492 more items …', 499], True)
    """

    # From the mildest cut to the harshest; the size falls (almost) monotonically
    # along the ladder, so a binary search finds the mildest that fits.
    def render(step: int) -> str:
        depth, items, chars = _LADDER[step]
        return json.dumps(_shrink(value, items, chars, depth), indent=indent, ensure_ascii=False)

    lo, hi = 0, len(_LADDER) - 1
    if tok.count(render(hi)) > cap:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if tok.count(render(mid)) <= cap:
            hi = mid
        else:
            lo = mid + 1
    return render(lo)


_LADDER = [
    (depth, items, chars)
    for depth in (64, 6, 4, 3, 2, 1)
    for items, chars in ((32, 400), (16, 200), (8, 120), (4, 60), (2, 30), (1, 16))
]


def _shrink(value: Any, items: int, chars: int, depth: int) -> Any:
    if isinstance(value, str):
        if len(value) <= chars:
            return value
        half = max(chars // 2, 1)
        return f"{value[:half]}…[{len(value) - 2 * half} chars cut]…{value[-half:]}"
    if isinstance(value, dict):
        obj = cast("dict[str, Any]", value)
        if depth <= 0:
            return f"… object with {len(obj)} keys …"
        return {k: _shrink(v, items, chars, depth - 1) for k, v in obj.items()}
    if isinstance(value, list):
        arr = cast("list[Any]", value)
        if depth <= 0:
            return f"… array of {len(arr)} items …"
        if len(arr) > items + 1:
            head = [_shrink(v, items, chars, depth - 1) for v in arr[: max(items - 1, 1)]]
            rest = len(arr) - len(head) - 1
            return [*head, f"… {rest} more items …", _shrink(arr[-1], items, chars, depth - 1)]
        return [_shrink(v, items, chars, depth - 1) for v in arr]
    return value


def truncate_code(text: str, cap: int, tok: Tokenizer) -> str | None:
    """Return source code within ``cap`` tokens, keeping its signatures; None when they alone don't fit.

    Bodies are cut whole, the shortest put back first while they fit, and each cut
    run is replaced by one ``… N lines cut …`` line at the body's indentation.

    Examples:
        >>> from aifkit.tokens import get_tokenizer
        >>> code = "import os\\n\\ndef f(x):\\n" + "    x += 1\\n" * 50 + "    return x\\n"
        >>> print(truncate_code(code, 30, get_tokenizer("o200k_base")))
        import os
        <BLANKLINE>
        def f(x):
            # … 51 lines cut …
    """
    lines = text.splitlines(keepends=True)
    runs = _body_runs(lines)
    if not runs:
        return None
    kept = [False] * len(runs)
    outline = _render(lines, runs, kept)
    used = tok.count(outline)
    if used > cap:
        return None
    # Put bodies back, the shortest first, while their estimated cost fits; then check.
    for r in sorted(range(len(runs)), key=lambda r: runs[r][1] - runs[r][0]):
        start, end = runs[r]
        cost = tok.count("".join(lines[start:end])) - tok.count(_marker(lines, start, end))
        if used + cost <= cap:
            kept[r] = True
            used += cost
    out = _render(lines, runs, kept)
    # The estimate missed (joins tokenize differently): take the longest kept bodies back
    # out, one, then two, then four..., so that a miss over many bodies costs a few
    # renders, not one render of the whole text per body.
    longest = sorted(
        (r for r in range(len(runs)) if kept[r]), key=lambda r: runs[r][0] - runs[r][1]
    )
    batch = 1
    while longest and tok.count(out) > cap:
        for r in longest[:batch]:
            kept[r] = False
        del longest[:batch]
        batch *= 2
        out = _render(lines, runs, kept)
    return out


def _body_runs(lines: list[str]) -> list[tuple[int, int]]:
    """Runs ``[start, end)`` of lines that are neither signatures nor top-level."""
    runs: list[tuple[int, int]] = []
    start = None
    for i, line in enumerate(lines):
        body = line.strip() and line[:1] in " \t" and not is_signature(line)
        if body and start is None:
            start = i
        elif not body and line.strip() and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(lines)))
    return runs


def _render(lines: list[str], runs: list[tuple[int, int]], kept: list[bool]) -> str:
    out: list[str] = []
    pos = 0
    for (start, end), keep in zip(runs, kept, strict=True):
        out.extend(lines[pos:start])
        out.extend(lines[start:end] if keep else [_marker(lines, start, end)])
        pos = end
    out.extend(lines[pos:])
    return "".join(out).rstrip("\n")


def _marker(lines: list[str], start: int, end: int) -> str:
    first = lines[start]
    indent = first[: len(first) - len(first.lstrip())]
    before = lines[start - 1].rstrip() if start else ""
    comment = "//" if before.endswith(("{", ";")) else "#"
    count = end - start
    return f"{indent}{comment} … {count} line{'s' if count > 1 else ''} cut …\n"
