"""Content-aware compression: keep what any later question may need, route by content kind.

Each unprotected text is recognized (`content_kind`) and cut by the module that
knows its shape into scored pieces: error lines and stack traces of a log,
outlier rows of a record set, the constants and signatures of a source file,
novel snippets of search results, sentences of prose. A piece's priority is its
salience (question-blind) plus its relevance to the current query (BM25), so the
question's fact stays and so do the facts a later question may ask about. Each
text's best pieces are kept first, then the rest best first while they fit what
the goal leaves, counting the markers (one plain marker per text, and a group's
own, descriptive marker when it is worth its tokens: see `_plan`); the plan is
counted exactly and planned again until it lands within the goal (a few percent
under it).

Everything elided is kept: each marker names a reference (the hash of exactly
the elided text), and the result's actions carry the elided texts, to put in an
`ElisionStore` and answer ``aif_expand`` calls with.

A marker with a reference costs some twenty tokens; when a steep goal over many
short texts cannot afford one per text, the compressor falls back to the
extractive path (`ExtractiveCompressor`, bare ``[…]`` gaps), and when even that
clearly cannot reach the goal it says so at once, from a character estimate,
before counting anything.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

import numpy as np

from aifkit.aif._schema import Document, DocumentPart, TextPart, TextSource, ToolResultPart
from aifkit.budget.compressors._base import (
    CompressionAction,
    CompressionResult,
    CompressionTarget,
)
from aifkit.budget.compressors._code import code_layout
from aifkit.budget.compressors._kinds import kind_and_value
from aifkit.budget.compressors._layout import (
    FRAME,
    MARKER,
    Layout,
    Piece,
    marker,
    novelty,
    render,
)
from aifkit.budget.compressors._logs import log_layout
from aifkit.budget.compressors._records import records_layout, table_layout
from aifkit.budget.compressors._scorers import Scorer, get_scorer
from aifkit.budget.compressors._search import search_layout
from aifkit.budget.compressors._text import chunks
from aifkit.budget.compressors._work import Change, Unit, Workspace, protected_messages
from aifkit.errors import BudgetError

__all__ = ["SalientCompressor", "layout_of"]

_RELEVANCE = 1.0
_DESCRIBE = 0.5
"""What a group's own marker is worth beside the pieces' priorities (see `_plan`)."""
_TIER = 0.05
"""A text's pieces this close to its most salient one are kept first with it (see `_plan`)."""
_SALIENT = 0.5
"""Salience that makes a text's best pieces come first: an error line, an outlier row, a
constant, a standout result (see `_plan`); prose sentences score 0.1 to 0.6 by novelty."""
_RELEVANT = 0.5 * _RELEVANCE
"""Relevance (at most `_RELEVANCE`) that puts a piece among the first too: half the best match's."""
_MAX_PIECE = 400
_TRIES = 10
_MIN_UNIT = 48
"""Texts shorter than this (tokens) are left as they are: a marker would cost about as much."""
_WHOLE = 22
"""About the tokens of the marker that replaces a whole text."""
_CUT = 8
"""About the tokens of a bare cut marker (``[… 1,234 tokens cut]``)."""
_SURELY_OVER = 4.0
"""How far over the character estimate of the goal a cut must be to fail uncounted."""


def layout_of(text: str) -> Layout:
    """Return ``text`` cut into scored pieces by the module for its content kind.

    Examples:
        >>> layout_of("12:00:01 INFO a\\n12:00:02 INFO b\\n12:00:03 ERROR c\\n").kind
        'logs'
        >>> layout_of("Plain words. More words.").kind
        'prose'
    """
    kind, value = kind_and_value(text)  # the JSON is parsed once, for both
    if kind == "logs":
        return log_layout(text)
    if kind == "table":
        return table_layout(text)
    if kind == "code":
        return code_layout(text)
    if kind == "search":
        return search_layout(text, value)
    if kind == "records":
        found = records_layout(value)
        if found is not None:
            return found
    if kind == "json":
        return _json_layout(value)
    return _prose_layout(text)


def _prose_layout(text: str) -> Layout:
    sentences = chunks(text, "prose")
    fresh = novelty(sentences)
    pieces = [
        Piece(s, 0.1 + 0.4 * f + (0.1 if i == 0 else 0.0), "sentences")
        for i, (s, f) in enumerate(zip(sentences, fresh, strict=True))
    ]
    return Layout(pieces, "sentences", inline=True, kind="prose", stub=" […]")


def _json_layout(value: Any) -> Layout:
    lines = json.dumps(value, indent=1, ensure_ascii=False).splitlines(keepends=True)
    fresh = novelty(lines)
    pieces = [Piece(line, 0.05 + 0.6 * f, "values") for line, f in zip(lines, fresh, strict=True)]
    return Layout(pieces, "lines", kind="json")


@dataclass(slots=True)
class _Laid:
    unit: Unit
    layout: Layout
    tokens: list[int]
    priority: list[float]
    marks: dict[str, int]  # tokens of each group's own marker (what its pieces were)
    counts: dict[str, int]  # pieces per group
    whole: int  # tokens of the plain marker: the one for the whole text, or shared by groups
    repeated: bool  # the same text as an earlier one


class SalientCompressor:
    """Keeps, in every text, what a later question may need; the rest goes behind references.

    Args:
        scorer: Relevance to the query: ``"bm25"`` (default), ``"semantic"`` or any `Scorer`.

    Examples:
        >>> from aifkit.aif import Document, Message, TextPart
        >>> log = "".join(f"2024-05-01 12:{i // 60:02d}:{i % 60:02d} INFO served /api/{i} in "
        ...               f"{i % 90}ms\\n" for i in range(600))
        >>> log = log.replace("INFO served /api/300 in 30ms", "FATAL disk full on node-7")
        >>> doc = Document(messages=(
        ...     Message(role="user", parts=(TextPart(text=log),)),
        ...     Message(role="assistant", parts=(TextPart(text="Read."),)),
        ...     Message(role="user", parts=(TextPart(text="Anything odd?"),))))
        >>> result = SalientCompressor().compress(doc, CompressionTarget("gpt-4o", ratio=0.1))
        >>> text = result.document.messages[0].parts[0].text
        >>> "FATAL disk full on node-7" in text, 0.095 <= result.ratio <= 0.1
        (True, True)
        >>> ref = next(iter(result.elided))
        >>> all(line + "\\n" in log for line in result.expand(ref).splitlines())
        True
        >>> result.restore() == doc
        True
    """

    name = "salient"

    def __init__(self, *, scorer: str | Scorer = "bm25") -> None:
        self.scorer: Scorer = get_scorer(scorer) if isinstance(scorer, str) else scorer

    def compress(self, document: Document, target: CompressionTarget) -> CompressionResult:
        """Keep the most salient and relevant pieces of the unprotected texts within ``target``."""
        rough_before, rough_floor, rough_cut = _rough(document, target)
        rough_goal = target.goal(rough_before)
        # Clearly out of reach: fail before counting. Four characters a token can be
        # off by 4x (CJK text runs near one, code and digits near two), so only a cut
        # that much over the estimated goal is sure; anything closer is counted.
        if rough_cut > rough_goal * _SURELY_OVER:
            raise BudgetError(
                rough_cut,
                rough_goal,
                f"estimated after {self.name}; the instructions, the current turn and the "
                f"last {target.protect_last} message(s) are never compressed",
            )
        if rough_floor > rough_goal:  # markers with references cost too much here
            return self._fallback(document, target)
        ws = Workspace(document, target, self.name)
        if ws.need <= 0:
            return ws.finish(())
        units = [u for u in ws.units() if u.tokens >= _MIN_UNIT]
        floor = ws.before - sum(u.tokens for u in units) + _WHOLE * len(units)
        if floor > ws.goal:
            return self._fallback(document, target)
        seen: set[str] = set()
        laid: list[_Laid] = []
        for unit in units:
            if unit.tokens > 0:
                laid.append(self._lay(ws, unit, unit.text in seen))
                seen.add(unit.text)
        self._relevance(ws, laid)
        refs: dict[str, str] = {}
        result = _attach(_seek(ws, lambda need: _plan(ws, laid, need, refs)), refs)
        if result.tokens_after < ws.goal * _LANDING:
            # The pieces were too coarse to land near a light goal (one more elided group
            # overshoots): sentences are finer, and at a light goal they keep the facts too.
            finer = self._fallback(document, target)
            if result.tokens_after < finer.tokens_after <= ws.goal:
                return finer
        return result

    def _fallback(self, document: Document, target: CompressionTarget) -> CompressionResult:
        """Many short texts and a steep goal: a marker with a reference for each costs more
        than the goal allows, so keep the relevant sentences instead, with bare gap markers."""
        from aifkit.budget.compressors._extract import ExtractiveCompressor

        return ExtractiveCompressor(scorer=self.scorer).compress(document, target)

    def _lay(self, ws: Workspace, unit: Unit, repeated: bool) -> _Laid:
        layout = _split_long(layout_of(unit.text))
        if repeated:  # the same text as an earlier one: worth little again
            layout.pieces = [Piece(p.text, p.score * 0.1, p.group) for p in layout.pieces]
        # Pieces are counted in proportion to their characters (one count per text,
        # not per piece); the plan is counted exactly afterwards and corrected.
        chars = sum(len(p.text) for p in layout.pieces) or 1
        per = unit.tokens / chars
        tokens = [max(1, round(len(p.text) * per)) for p in layout.pieces]
        counts: dict[str, int] = {}
        for p in layout.pieces:
            counts[p.group] = counts.get(p.group, 0) + 1
        marks = {
            g: ws.tokens(marker(c, layout.noun, layout.about.get(g, ""), "0123456789")) + 1
            for g, c in counts.items()
        }
        whole = ws.tokens(marker(len(layout.pieces), layout.noun, "", "0123456789")) + 1
        prio = [p.score for p in layout.pieces]
        return _Laid(unit, layout, tokens, prio, marks, counts, whole, repeated)

    def _relevance(self, ws: Workspace, laid: Sequence[_Laid]) -> None:
        query = ws.query()
        texts = [p.text for lay in laid for p in lay.layout.pieces]
        if not query.strip() or not texts:
            return
        raw = np.asarray(self.scorer.score(query, texts), dtype=np.float64)
        # Relevance is a share of the best match anywhere, counted above what is usual
        # in its text: a word of the question that every row of a listing shares ("sku")
        # says nothing about which row to keep, and what is left of it (shorter rows
        # score a little higher) must not become a full relevance when nothing else matches.
        top = float(raw.max()) if len(raw) else 0.0
        pos = 0
        for lay in laid:
            k = len(lay.priority)
            if k > 2:
                part = raw[pos : pos + k]
                raw[pos : pos + k] = np.maximum(part - float(np.median(part)), 0.0)
            pos += k
        if top <= 0:
            return
        norm = raw / top
        pos = 0
        for lay in laid:
            k = len(lay.priority)
            for i, r in enumerate(norm[pos : pos + k].tolist()):
                lay.priority[i] += _RELEVANCE * r
            pos += k


def _rough(document: Document, target: CompressionTarget) -> tuple[int, int, int]:
    """Estimate from characters alone (about four a token) the prompt's tokens, those left if
    every text long enough became a marker with a reference, and those left if every text
    became a bare cut marker; so a hopeless goal fails, or falls back, before counting."""
    protected = protected_messages(document.messages, target.protect_last)
    total = saved = cut = 0
    for i, message in enumerate(document.messages):
        for part in message.parts:
            texts: list[str] = []
            if isinstance(part, TextPart):
                texts.append(part.text)
            elif isinstance(part, ToolResultPart):
                texts.extend(p.text for p in part.content if isinstance(p, TextPart))
            elif isinstance(part, DocumentPart) and isinstance(part.source, TextSource):
                texts.append(part.source.text)
            for text in texts:
                tokens = len(text) // 4
                total += tokens + 4
                if i in protected:
                    continue
                if tokens >= _MIN_UNIT:
                    saved += tokens - _WHOLE
                cut += max(0, tokens - _CUT)
    return total, total - saved, total - cut


def _split_long(layout: Layout) -> Layout:
    """Split pieces over `_MAX_PIECE` characters at line ends, so one piece cannot hog the room."""
    if all(len(p.text) <= _MAX_PIECE * 4 for p in layout.pieces):
        return layout
    pieces: list[Piece] = []
    for p in layout.pieces:
        if len(p.text) <= _MAX_PIECE * 4:
            pieces.append(p)
            continue
        text = p.text
        for start in range(0, len(text), _MAX_PIECE):
            pieces.append(Piece(text[start : start + _MAX_PIECE], p.score, p.group))
    return replace(layout, pieces=pieces)


_LANDING = 0.95
"""A result under this share of the goal compressed more than asked (the ratio is kept within 5 %)."""


def _seek(ws: Workspace, plan: Callable[[int], Sequence[Change]]) -> CompressionResult:
    """Plan, count exactly, and plan again until the result lands at the goal or just under.

    Unlike `Workspace.seek`, a plan that stays over the goal is pushed harder each
    time (the push doubles), since one piece more or less can leave a plan as it was.

    Raises:
        BudgetError: what cannot be compressed alone passes the goal.
    """
    goal, need = ws.goal, ws.need
    best: CompressionResult | None = None
    over: CompressionResult | None = None
    low: int | None = None  # a need that ended over the goal
    high: int | None = None  # a need that ended under it
    push = 1
    for _ in range(_TRIES):
        result = ws.finish(plan(need))
        after = result.tokens_after
        if after <= goal:
            if best is None or after > best.tokens_after:
                best = result
            slack = goal - after
            if slack <= max(2, goal // 40):  # within 2.5 %
                break
            high = need
            need = need - slack if low is None else (low + high) // 2
        else:
            if over is None or after < over.tokens_after:
                over = result
            low = need
            if high is None:
                need += max(after - goal, push)
                push *= 2
            else:
                need = (low + high) // 2
        if low is not None and high is not None and high - low <= 1:
            break
    if best is not None:
        return best
    assert over is not None
    raise BudgetError(
        over.tokens_after,
        goal,
        f"after {ws.method}; the instructions, the current turn and the last "
        f"{ws.target.protect_last} message(s) are never compressed",
    )


def _plan(ws: Workspace, laid: Sequence[_Laid], need: int, refs: dict[str, str]) -> list[Change]:
    """Keep the pieces worth most, across every text, within what saving ``need`` leaves.

    Every text's most salient pieces come first (those within `_TIER` of its most
    salient, when that is `_SALIENT`; framing too; none of a repeated text): no
    text knows which one a later question is about, so each keeps its error line,
    its outlier, its constant before any keeps its second best. So does every
    piece relevant to the current turn (at least half as much as the best match,
    `_RELEVANT`), wherever it is: two answers in one text both stay. All of these
    best first, then the rest, best first, across the texts.

    A text none of whose pieces is kept becomes one plain marker. Once a piece of
    it is kept, its elided pieces share one plain marker, unless their group's own
    marker (what they were: ``13 log lines like "INFO served <*>" ...``) was bought
    too. Buying it is worth `_DESCRIBE`: after the salient pieces, before the
    filler; so a tight goal spends its tokens on the pieces, not on describing
    what was left out.
    """
    total = sum(lay.unit.tokens for lay in laid)
    # A little under: pieces joined and markers filled in count a few tokens off.
    margin = max(2, (total - need) // 200)
    room = total - need - margin - sum(lay.whole for lay in laid)
    keep = [[False] * len(lay.tokens) for lay in laid]
    left = [dict(lay.counts) for lay in laid]  # elided pieces per group
    plain = [len(lay.tokens) for lay in laid]  # elided pieces behind the plain marker
    described: list[set[str]] = [set() for _ in laid]
    opened = [False] * len(laid)
    order: list[tuple[bool, float, int, int, str | None]] = []
    for u, lay in enumerate(laid):
        # A text's best pieces: its most salient, when salient at all (an error, an
        # outlier, a constant; not the best sentence of filler), whatever the question;
        # and whatever is relevant to the question. A repeated text: its first copy.
        scores = [p.score for p in lay.layout.pieces]
        top = max((x for x in scores if x < FRAME), default=0.0)
        tier = top - _TIER if top >= _SALIENT and not lay.repeated else FRAME
        relevant = _RELEVANT if not lay.repeated else FRAME
        order += [
            (p < FRAME and x < tier and p - x < relevant, -p, u, i, None)
            for i, (p, x) in enumerate(zip(lay.priority, scores, strict=True))
        ]
        # After the text's own best piece: the text must be open.
        worth = -min(_DESCRIBE, max(lay.priority, default=0.0))
        order += [(True, worth, u, len(lay.tokens) + k, g) for k, g in enumerate(lay.counts)]
    order.sort()
    for *_, u, i, described_group in order:
        if room <= 0:
            break
        lay = laid[u]
        if described_group is not None:  # buy the group's own marker
            n = left[u][described_group]
            if not opened[u] or not n:
                continue
            spend = lay.marks[described_group] - (lay.whole if plain[u] == n else 0)
            if spend <= room:
                described[u].add(described_group)
                plain[u] -= n
                room -= spend
            continue
        group = lay.layout.pieces[i].group
        spend = lay.tokens[i]
        if group in described[u]:
            if left[u][group] == 1:
                spend -= lay.marks[group]  # the last elided piece of its group: no marker
        elif plain[u] == 1:
            spend -= lay.whole  # the last piece behind the plain marker: none
        if spend <= room:
            keep[u][i] = True
            opened[u] = True
            left[u][group] -= 1
            if group not in described[u]:
                plain[u] -= 1
            room -= spend
    changes: list[Change] = []
    for lay, kept, told in zip(laid, keep, described, strict=True):
        if all(kept):
            continue
        text, elided = render(lay.layout, kept, told)
        refs.update(elided)
        n = len(kept) - sum(kept)
        detail = f"{lay.layout.kind}: kept {sum(kept)} of {len(kept)} {lay.layout.noun}, {n} elided"
        changes.append(ws.change(lay.unit, text, detail))
    return changes


def _attach(result: CompressionResult, refs: dict[str, str]) -> CompressionResult:
    """Record on each action the elided texts its markers refer to."""
    if not result.actions:
        return result
    data: Any = result.document.model_dump(mode="json", by_alias=True)
    actions: list[CompressionAction] = []
    for action in result.actions:
        part: Any = data
        for token in action.pointer[1:].split("/"):
            part = cast("Any", part[int(token)] if isinstance(part, list) else part[token])
        obj = cast("dict[str, Any]", part)
        text = str(obj.get("text", obj.get("source", {}).get("text", "")))
        found = tuple((r, refs[r]) for r in MARKER.findall(text) if r in refs)
        actions.append(replace(action, elided=found))
    return replace(result, actions=tuple(actions))
