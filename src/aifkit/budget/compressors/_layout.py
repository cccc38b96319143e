"""A text cut into scored pieces, and how it renders once some pieces are elided.

Each content-kind module (`_logs`, `_records`, `_code`, `_search`, `_prose`)
turns a text into a `Layout`: the pieces it shows in order, each with a
salience score that does not depend on the question (an error line, an outlier
row, a module constant score high; the 300th "request served" line scores low)
and a group. `render` keeps the chosen pieces and puts one marker per group
where the group's first elided piece was: how many pieces it stands for, what
they were, and the reference (a hash of exactly the elided text) under which
`aif_expand` gives them back.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["FAR", "FRAME", "MARKER", "Layout", "Piece", "make_ref", "novelty", "render", "robust_z"]

MARKER = re.compile(r"ref ([0-9a-f]{10,64}): expand to see\]")
"""Finds the reference in a marker ``[… elided, ref 0123456789: expand to see]``."""

FRAME = 3.0
"""The score of framing (a listing's brackets, a table's header): kept whenever anything is."""

FAR = 3.5
"""A robust z-score (`robust_z`) past this makes a value an outlier (Iglewicz and Hoaglin)."""

_WORD = re.compile(r"[A-Za-z]{3,}")
_ENTITY = re.compile(r"\b(?:[A-Z][a-z]+[A-Z]?\w*|[A-Z]{2,}\w*|\d[\d,.:-]*\d|\d)\b")


@dataclass(slots=True)
class Piece:
    """A piece of a text as shown when kept.

    Attributes:
        text: The text shown, with its own line end.
        score: Salience without the question: about 0 (filler) to 1 (an error, an
            outlier); `FRAME` for framing that should stay whenever anything does.
        group: Elided pieces of one group share one marker.
    """

    text: str
    score: float
    group: str


@dataclass(slots=True)
class Layout:
    """A text as pieces, with what each group of pieces is called in a marker.

    Attributes:
        pieces: The pieces, in order.
        noun: What a piece is, plural (``"lines"``, ``"rows"``).
        about: Per group, a short description for its marker (``'like "GET <*>"'``).
        inline: Markers sit inside running text (prose) rather than on their own line.
        kind: The content kind the layout was made for.
        stub: Put where a group's later elided runs were (its marker is at the first),
            e.g. ``" […]"`` in prose; nothing when None.
    """

    pieces: list[Piece]
    noun: str
    about: dict[str, str] = field(default_factory=dict[str, str])
    inline: bool = False
    kind: str = "prose"
    stub: str | None = None


def make_ref(text: str) -> str:
    """Return the content address of ``text``: the first 10 hex digits of its SHA-256.

    Examples:
        >>> make_ref("hello")
        '2cf24dba5f'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def marker(count: int, noun: str, about: str, ref: str) -> str:
    """Return the marker for ``count`` elided pieces.

    Examples:
        >>> marker(240, "rows", "", "a1b2c3d4e5")
        '[240 rows elided, ref a1b2c3d4e5: expand to see]'
    """
    what = f" {about}" if about else ""
    return f"[{count:,} {noun}{what} elided, ref {ref}: expand to see]"


def render(
    layout: Layout, keep: Sequence[bool], described: Collection[str] | None = None
) -> tuple[str, dict[str, str]]:
    """Return the text with the unkept pieces elided, and the elided text by reference.

    The elided text of a group is its elided pieces joined in order, exactly as
    they would have been shown.

    Args:
        layout: The text as pieces.
        keep: Which pieces are shown.
        described: The groups whose elided pieces get a marker of their own, which
            says what they were; the others share one plain marker. Default: every group.

    Examples:
        >>> lay = Layout([Piece("a\\n", 1, "x"), Piece("b\\n", 0, "x"), Piece("c\\n", 0, "y")],
        ...              "lines", {"x": "of x", "y": "of y"})
        >>> text, elided = render(lay, [True, False, False])
        >>> print(text, end="")
        a
        [1 lines of x elided, ref 0263829989: expand to see]
        [1 lines of y elided, ref a3a5e715f0: expand to see]
        >>> elided
        {'0263829989': 'b\\n', 'a3a5e715f0': 'c\\n'}
        >>> render(lay, [True, False, False], described=())
        ('a\\n[2 lines elided, ref bb9ead4c39: expand to see]\\n', {'bb9ead4c39': 'b\\nc\\n'})
    """
    if not any(keep):  # one marker for the whole text
        body = "".join(p.text for p in layout.pieces)
        ref = make_ref(body)
        return marker(len(layout.pieces), layout.noun, "", ref), {ref: body}
    gone: dict[str | None, list[str]] = {}  # None: the groups that share the plain marker
    first: dict[str | None, int] = {}
    for i, (piece, k) in enumerate(zip(layout.pieces, keep, strict=True)):
        if not k:
            group = piece.group if described is None or piece.group in described else None
            gone.setdefault(group, []).append(piece.text)
            first.setdefault(group, i)
    refs: dict[str, str] = {}
    marks: dict[int, str] = {}
    for group, texts in gone.items():
        body = "".join(texts)
        ref = make_ref(body)
        refs[ref] = body
        about = layout.about.get(group, "") if group is not None else ""
        marks[first[group]] = marker(len(texts), layout.noun, about, ref)
    out: list[str] = []
    previous = True
    for i, (piece, k) in enumerate(zip(layout.pieces, keep, strict=True)):
        was, previous = previous, k
        if k:
            out.append(piece.text)
            continue
        mark = marks.get(i)
        if mark is None:
            if was and layout.stub is not None:
                out.append(layout.stub)
            continue
        if layout.inline:
            out.append(f" {mark}" if out and not out[-1].endswith((" ", "\n")) else mark)
        else:
            if out and not out[-1].endswith("\n"):
                out.append("\n")
            out.append(mark + "\n")
    return "".join(out), refs


def novelty(texts: Sequence[str]) -> list[float]:
    """Score each text by how much of it the others do not say, in ``[0, 1]``.

    Half is the share of its words no other text has, half how
    many names and numbers it carries (four or more count fully). One pass over
    the words, so linear in the texts.

    Examples:
        >>> [round(x, 2) for x in novelty(["the cat sat", "the cat sat",
        ...                                "Kelamo vault code 4829 opened"])]
        [0.0, 0.0, 0.75]
    """
    words = [{w.lower() for w in _WORD.findall(t)} for t in texts]
    df: Counter[str] = Counter()
    for ws in words:
        df.update(ws)
    out: list[float] = []
    for text, ws in zip(texts, words, strict=True):
        rare = sum(1 for w in ws if df[w] == 1) / len(ws) if ws else 0.0
        names = min(len(_ENTITY.findall(text)), 4) / 4
        out.append(0.5 * rare + 0.5 * names)
    return out


def robust_z(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Return each value's robust z-score: its distance from the median in MADs, scaled
    to a normal's standard deviation (0.6745), signed; when most values are equal (no
    spread), plus or minus infinity for any other. `numpy.median` partitions: linear.

    Examples:
        >>> robust_z(np.array([10.0, 11, 9, 10, 12, 40])).round(2).tolist()
        [-0.34, 0.34, -1.01, -0.34, 1.01, 19.9]
        >>> robust_z(np.array([1.0, 1, 1, 5])).tolist()
        [0.0, 0.0, 0.0, inf]
    """
    med = float(np.median(values))
    mad = float(np.median(np.abs(values - med)))
    if mad > 0:
        return 0.6745 * (values - med) / mad
    return np.where(values > med, np.inf, np.where(values < med, -np.inf, 0.0))
