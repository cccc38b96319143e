"""Text helpers shared by the compressors: what a text is, how to cut it, its one-line gist."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Literal, cast

if TYPE_CHECKING:
    from aifkit.tokens import Tokenizer

__all__ = [
    "Kind",
    "chunks",
    "code_or_prose",
    "cut_marker",
    "gist",
    "head_tail",
    "kind_of",
    "parse_json",
    "prefix",
]

Kind = Literal["json", "code", "prose"]

_SIGNATURE = re.compile(
    r"^\s*(?:@\w|(?:async\s+)?def\s|class\s|function\b|func\s|fn\s|pub\s|impl\b|struct\s|"
    r"enum\s|interface\s|type\s+\w+\s*[=<{]|import\s|from\s+\S+\s+import\s|package\s|"
    r"export\s|#include|module\s|public\s|private\s|protected\s|static\s|const\s+\w+\s*=\s*\(|"
    r"(?:[\w<>\[\],]+\s+)+\w+\s*\([^;]*\)\s*\{?\s*$)"
)
_CODE_LINE = re.compile(
    r"[;{}:]\s*$|^\s*(?:#|//|/\*|\*)|^\s*(?:return|if|for|while|else)\b|^\s+\w+(?:\.\w+)*\s*[-+*/]?=\s"
)
# Splits fall before the whitespace that follows a sentence, so that each chunk
# tokenizes as it does in place (" Next" is one token, "next" after a cut is not).
# Between two line breaks only spaces and tabs are skipped (``[^\S\n]``): ``\n\s*\n``
# splits at the same places but rescans a run of blank lines from each of its
# newlines, n^2 on a run of n (issue 11).
_SENTENCE = re.compile(
    r"(?<=[.!?])(?=\s+[\"'(\[]?[A-Z0-9])|(?=\n[^\S\n]*\n)|(?=\n[^\S\n]*(?:[-*•]|\d+[.)])\s)"
)


def parse_json(text: str) -> Any | None:
    """Return the JSON value ``text`` holds when it is a JSON object or array, else None.

    Examples:
        >>> parse_json('{"a": [1, 2]}')
        {'a': [1, 2]}
        >>> parse_json("plain words") is None
        True
    """
    stripped = text.strip()
    if not stripped or stripped[0] not in "[{":
        return None
    try:
        value: Any = json.loads(stripped)
    except ValueError:
        return None
    return cast("Any", value) if isinstance(value, dict | list) else None


def kind_of(text: str) -> Kind:
    """Return whether ``text`` is JSON, source code or prose.

    Examples:
        >>> kind_of("def f(x):\\n    return x\\n\\nclass A:\\n    pass\\n")
        'code'
        >>> kind_of("The meeting moved to Tuesday. Bring the slides.")
        'prose'
    """
    return "json" if parse_json(text) is not None else code_or_prose(text)


def code_or_prose(text: str) -> Kind:
    """`kind_of` for a text known not to be JSON: whether it is source code or prose."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return "prose"
    signatures = sum(1 for line in lines if _SIGNATURE.match(line))
    code_like = sum(1 for line in lines if _CODE_LINE.search(line))
    if signatures and (signatures + code_like) / len(lines) >= 0.3:
        return "code"
    return "prose"


def is_signature(line: str) -> bool:
    """Whether ``line`` opens a definition or imports something (kept by code-aware cuts)."""
    return bool(_SIGNATURE.match(line))


def chunks(text: str, kind: Kind) -> list[str]:
    """Split ``text`` into pieces that concatenate back to it: sentences, or lines for code.

    Examples:
        >>> chunks("One. Two three! Four?", "prose")
        ['One.', ' Two three!', ' Four?']
        >>> "".join(chunks("a\\nb\\n", "code")) == "a\\nb\\n"
        True
    """
    if kind != "prose":
        return text.splitlines(keepends=True)
    out: list[str] = []
    start = 0
    for m in _SENTENCE.finditer(text):
        if m.start() > start:
            out.append(text[start : m.start()])
            start = m.start()
    if start < len(text):
        out.append(text[start:])
    # A sentence over ~2,000 characters (a log line, a table) is split at line ends.
    final: list[str] = []
    for piece in out:
        if len(piece) > 2000 and "\n" in piece:
            final.extend(piece.splitlines(keepends=True))
        else:
            final.append(piece)
    return final


def cut_marker(tokens: int, lines: int = 0) -> str:
    """Return the marker put where text was cut.

    Examples:
        >>> cut_marker(1234, 56)
        '[… 1,234 tokens cut (56 lines) …]'
    """
    what = f" ({lines:,} lines)" if lines > 1 else ""
    return f"[… {tokens:,} tokens cut{what} …]"


def head_tail(text: str, cap: int, tok: Tokenizer, head_share: float = 2 / 3) -> tuple[str, int]:
    """Keep the head and tail of ``text`` within about ``cap`` tokens, with a marker between.

    Cuts fall on line ends when one is near. Returns the new text and the tokens cut.
    """
    ids = tok.encode(text)
    total = len(ids)
    marker_room = 14
    room = max(0, cap - marker_room)
    if total <= cap:
        return text, 0
    h = round(room * head_share)
    t = room - h
    head, tail = _decode_ends(text, ids, h, t, tok)
    head = _snap_head(head)
    tail = _snap_tail(tail)
    middle = text[len(head) : len(text) - len(tail)] if tail else text[len(head) :]
    cut = total - tok.count(head) - tok.count(tail)
    marker = cut_marker(max(cut, 1), middle.count("\n"))
    sep_h = "" if not head or head.endswith("\n") else "\n"
    sep_t = "" if not tail or tail.startswith("\n") else "\n"
    return f"{head}{sep_h}{marker}{sep_t}{tail}", cut


def prefix(text: str, n: int, tok: Tokenizer) -> str:
    """Return the longest start of ``text`` that has at most ``n`` tokens, ended at a word.

    Examples:
        >>> from aifkit.tokens import get_tokenizer
        >>> prefix("The quick brown fox jumps over the lazy dog.", 4, get_tokenizer("o200k_base"))
        'The quick brown fox'
    """
    if n <= 0:
        return ""
    ids = tok.encode(text)
    if len(ids) <= n:
        return text
    head, _ = _decode_ends(text, ids, n, 0, tok)
    if text[len(head) : len(head) + 1].isspace():
        return head
    space = head.rfind(" ")
    return head[:space] if space > 0 else head


def _decode_ends(text: str, ids: list[int], h: int, t: int, tok: Tokenizer) -> tuple[str, str]:
    decode = getattr(tok, "decode", None)
    if decode is not None:
        head = str(decode(ids[:h])) if h else ""
        tail = str(decode(ids[len(ids) - t :])) if t else ""
        head = head.rstrip("\ufffd")
        tail = tail.lstrip("\ufffd")
        # Decoding a token boundary can differ from the text; fall back to slicing.
        if text.startswith(head) and text.endswith(tail) and len(head) + len(tail) <= len(text):
            return head, tail
    per = len(text) / max(len(ids), 1)
    head = text[: int(h * per)]
    tail = text[len(text) - int(t * per) :] if t else ""
    return head, tail


def _snap_head(head: str) -> str:
    nl = head.rfind("\n")
    return head[: nl + 1] if nl >= 0 and nl >= len(head) * 0.7 else head


def _snap_tail(tail: str) -> str:
    nl = tail.find("\n")
    return tail[nl + 1 :] if 0 <= nl <= len(tail) * 0.3 else tail


def gist(text: str, width: int = 80) -> str:
    """Return a one-line gist of ``text``: what it is and how it begins.

    Examples:
        >>> gist('{"status": "ok", "items": [1, 2, 3]}')
        'JSON object with keys status, items'
        >>> gist("\\n\\nTraceback (most recent call last):\\n  File x")
        'Traceback (most recent call last):'
    """
    value = parse_json(text)
    if isinstance(value, dict):
        obj = cast("dict[str, Any]", value)
        keys = ", ".join(list(obj)[:6]) + (", …" if len(obj) > 6 else "")
        return _clip(f"JSON object with keys {keys}", width)
    if isinstance(value, list):
        return f"JSON array of {len(cast('list[Any]', value))} items"
    for line in text.splitlines():
        if line.strip():
            return _clip(line.strip(), width)
    return "(empty)"


def _clip(line: str, width: int) -> str:
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"
