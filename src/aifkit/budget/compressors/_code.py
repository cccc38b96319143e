"""Source code: keep imports, signatures, constants and config, docstrings' first lines.

What a reader needs later from a file read long ago is its outline and its
settings: what it imports, what it defines and with which parameters (all the
lines of a signature that spans several), the
module constants (``MAX_RETRIES = 7``) and assignments at the top level. Bodies
are worth least unless the question is about them (relevance is added by the
caller). One pass over the lines.
"""

from __future__ import annotations

import re

from aifkit.budget.compressors._layout import Layout, Piece
from aifkit.budget.compressors._text import is_signature

__all__ = ["code_layout"]

_IMPORT = re.compile(r"^\s*(?:import\s|from\s+\S+\s+import\s|#include|use\s|require\(|using\s)")
_CONSTANT = re.compile(
    r"^\s*(?:(?:export\s+)?(?:const|static|final|public|private|let|var)\s+)*"
    r"(?:[\w\[\]<>]+\s+)?[A-Z][A-Z0-9_]{2,}\s*(?::[^=]+)?=(?!=)"
)
_ASSIGN = re.compile(r"^[A-Za-z_][\w.]*\s*(?::[^=]+)?=(?!=)")
_DOC = re.compile(r"^\s*(?:[rbuf]?\"\"\"|[rbuf]?'''|/\*\*|///|//!|\*\s)")
_DECORATOR = re.compile(r"^\s*@\w")


def code_layout(text: str) -> Layout:
    """Cut source code into scored lines: constants and config first, bodies last.

    Examples:
        >>> src = "import os\\n\\nRETRY_LIMIT = 7\\n\\ndef f(x):\\n    y = x + 1\\n    return y\\n"
        >>> [(p.text.strip(), p.score) for p in code_layout(src).pieces if p.score >= 0.5]
        [('import os', 0.8), ('RETRY_LIMIT = 7', 0.95), ('def f(x):', 0.6)]
        >>> src = "def g(\\n    x: int,\\n    sep: str | None = None,\\n) -> int:\\n    return x\\n"
        >>> [p.score for p in code_layout(src).pieces]
        [0.6, 0.6, 0.6, 0.6, 0.05]
    """
    pieces: list[Piece] = []
    after_signature = False
    open_parens = 0  # inside a signature that spans lines: its parameters are the signature
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if not stripped:
            pieces.append(Piece(line, 0.04, "bodies"))
            continue
        if open_parens > 0:
            open_parens = max(0, open_parens + line.count("(") - line.count(")"))
            score = 0.6
        elif _IMPORT.match(line):
            score = 0.8
        elif _CONSTANT.match(line):
            score = 0.95
        elif _ASSIGN.match(line):
            score = 0.7  # a top-level assignment: configuration
        elif _DECORATOR.match(line) or is_signature(line):
            score = 0.6
            open_parens = max(0, line.count("(") - line.count(")"))
        elif after_signature and _DOC.match(line):
            score = 0.45
        elif not line[0].isspace() and stripped not in ("}", ")", "]", "end"):
            score = 0.3
        else:
            score = 0.05
        after_signature = score == 0.6
        pieces.append(Piece(line, score, "bodies"))
    return Layout(pieces, "lines", {"bodies": "of bodies"}, kind="code")
