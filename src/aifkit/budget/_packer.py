"""`Packer`: packs one conversation again and again, doing only the work that changed.

A packer keeps, per message, its token count, its token ids (in an inverted
index, for relevance), its category and its group. Packing after one appended
message measures that message, looks the current turn's words up in the index
(plus the few messages not indexed yet), and re-decides with vectorized passes
over the groups: the cost follows what changed, not the length of the history.
The previous pack is remembered for the cache-aware prefix (`CacheRule`), for
hysteresis (`Thresholds`) and for the report's diff.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from aifkit._gc import no_cycle_collection
from aifkit.aif._schema import Document, TextPart, ToolResultPart
from aifkit.budget._allocate import WHY, Allocation, Groups, allocate
from aifkit.budget._complexity import estimate_complexity
from aifkit.budget._items import CATEGORIES, CODES, Category, Conversation
from aifkit.budget._measure import MessageCounter, TokensCounter
from aifkit.budget._policy import Policy
from aifkit.budget._prefix import PrefixReport, Previous, common_prefix, decide
from aifkit.budget._report import Columns, PackReport
from aifkit.budget._score import BM25Index, recency, relevance
from aifkit.budget._thresholds import Limits, ReserveTracker, check_limits, limits, whole_number
from aifkit.budget._wire import WireReader
from aifkit.errors import UsageError

if TYPE_CHECKING:
    import numpy.typing as npt

    from aifkit.aif import Response
    from aifkit.budget._pack import PackResult
    from aifkit.budget.compressors import Compressor

__all__ = ["MAX_QUERY_WORDS", "Packed", "Packer", "single_use"]

MAX_QUERY_WORDS = 64
"""Search words taken from the current turn at most (the longest, as the most specific)."""

_CURRENT, _PINNED = CODES["current"], CODES["pinned"]


@dataclass(frozen=True, slots=True)
class Packed:
    """A packed AIF document and its report; unpacks as ``document, report``."""

    document: Document
    report: PackReport

    def __iter__(self) -> Iterator[Any]:
        yield self.document
        yield self.report


@dataclass(frozen=True, slots=True)
class _Fixed:
    parts: tuple[object, object, object]  # instructions, tools, settings: compared by identity
    instructions: tuple[int, ...]
    tools: int | None
    overhead: int

    @property
    def total(self) -> int:
        return sum(self.instructions) + (self.tools or 0) + self.overhead


class Packer:
    """Packs a conversation within a token budget, pack after pack.

    Args:
        model: The model the request is for (its window, output limit and counting
            rules come from `aifkit.tokens`); not needed with ``counter`` and ``window``.
        policy: How to pack; default `Policy()`.
        counter: Counts messages; default: `TokensCounter` for ``model``.
        window: The context window; default: the model's.
        max_output: The most tokens a reply may have; default: the model's.

    Raises:
        UnknownNameError: the model is not known.
        UsageError: neither a model nor a counter and window are given.

    Examples:
        >>> from aifkit.aif import Document, Instruction, Message, TextPart
        >>> def msg(role, text):
        ...     return Message(role=role, parts=(TextPart(text=text),))
        >>> doc = Document(
        ...     instructions=(Instruction(role="system", parts=(TextPart(text="Be brief."),)),),
        ...     messages=(msg("user", "My locker code is 4417."), msg("assistant", "Noted."))
        ...     + tuple(msg("user" if i % 2 else "assistant", "Some chatter about the weather.")
        ...             for i in range(40))
        ...     + (msg("user", "What is my locker code?"),))
        >>> packed, report = Packer("gpt-4o").pack(doc, budget=120)
        >>> report.tokens_after <= 120, packed.messages[0].parts[0].text
        (True, 'My locker code is 4417.')
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        policy: Policy | None = None,
        counter: MessageCounter | None = None,
        window: int | None = None,
        max_output: int | None = None,
    ) -> None:
        if counter is None:
            if model is None:
                raise UsageError("a Packer needs a model, or a counter and a window")
            counter = TokensCounter(model)
        if isinstance(counter, TokensCounter):
            window = window or counter.context_window
            max_output = max_output or counter.max_output
        if window is None:
            raise UsageError("a Packer with a custom counter needs window=")
        self.model = model
        self.counter = counter
        self.policy = policy or Policy()
        self.window = window
        self.max_output = max_output or window
        self.tracker = ReserveTracker(self.policy.reserve)
        self._conv = Conversation(counter)
        self._bm25 = BM25Index(self._conv, counter.terms, k1=self.policy.k1, b=self.policy.b)
        self._fixed: _Fixed | None = None
        self._previous: Previous | None = None
        self._kind: str | None = None
        self._reader = WireReader()
        self._session: Document | None = None
        self._unchanged: int | None = None  # the least `Conversation.stable` since the last pack
        self._work = (0, 0, 0)  # measured, reused, indexed at the end of the last pack

    @property
    def session(self) -> Document | None:
        """The conversation as the packer holds it: the last document packed or read,
        with the responses added since (`add_response`); None before the first."""
        return self._session

    def read(self, body: Any, *, format: str) -> Document:
        """Read a request body of this session into AIF; it becomes the `session`.

        Only the messages after those of the body read before are decoded (when
        nothing else in the body changed): a client that resends the whole history
        each turn costs a decode of the new turn, not of the history. The earlier
        messages are compared by identity first: a message object read before and
        then edited in place is not seen as changed, so after such an edit call
        `forget` (a client that sends each turn as new JSON is never affected).

        Raises:
            UnknownNameError: ``format`` is not a known format.
            InvalidInputError: the body is malformed.
        """
        self._session = self._reader.read(body, format)
        return self._session

    def count(self, document: Document | None = None) -> int:
        """The prompt tokens of ``document`` (default: the `session`), as `aifkit.tokens.count_tokens` counts them.

        Counted message by message with the packer's counter, and remembered: a
        `pack` of the same messages afterwards measures none of them again, and a
        later turn measures only its new messages. ``document`` becomes the `session`.

        Raises:
            UsageError: nothing was read yet and ``document`` is None.

        Examples:
            >>> from aifkit.tokens import count_tokens
            >>> packer = Packer("gpt-4o")
            >>> body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}
            >>> doc = packer.read(body, format="openai-chat")
            >>> packer.count() == count_tokens(body, format="openai-chat", model="gpt-4o").total
            True
        """
        if document is None:
            document = self._session
            if document is None:
                raise UsageError(
                    "nothing to count: this packer has read no request yet",
                    hint="pass the document",
                )
        self._session = document
        self._sync(document)
        return self._count_fixed(document).total + int(self._conv.tokens.view.sum())

    def _sync(self, document: Document) -> None:
        # Measure what is new; what stayed unchanged since the last pack is the least
        # prefix any sync since then kept (a `count` before a `pack` syncs twice).
        conv = self._conv
        conv.sync(document.messages)
        self._bm25.sync()
        kept = conv.stable
        self._unchanged = kept if self._unchanged is None else min(self._unchanged, kept)

    def add_response(self, body: Any, *, format: str) -> Response:
        """Append a provider's response (a non-streamed body) to the `session`.

        The reply becomes the session's last message, so the next `pack` (with no
        document) or `pack_body` (with no body) packs the conversation with it. Its
        output tokens, when the response reports them, are observed (`observe`)
        for the reply reserve.

        Args:
            body: The response body, e.g. a ``chat.completion`` or an Anthropic ``message``.
            format: Its format (see `aifkit.aif.response_formats`).

        Returns:
            The decoded response.

        Raises:
            UnknownNameError: ``format`` has no response bodies.
            InvalidInputError: the body is malformed.

        Examples:
            >>> packer = Packer("gpt-4o")
            >>> _ = packer.read({"model": "gpt-4o", "messages": [
            ...     {"role": "user", "content": "Hi"}]}, format="openai-chat")
            >>> reply = packer.add_response({"id": "c1", "object": "chat.completion",
            ...     "created": 0, "model": "gpt-4o", "choices": [{"index": 0,
            ...     "message": {"role": "assistant", "content": "Hello!"},
            ...     "finish_reason": "stop"}]}, format="openai-chat")
            >>> [m.role for m in packer.session.messages], reply.finish_reason
            (['user', 'assistant'], 'stop')
        """
        from aifkit.aif import decode_response

        response, _ = decode_response(body, format)
        base = self._session if self._session is not None else Document()
        messages = (*base.messages, response.message)
        self._session = base.model_copy(update={"messages": messages})
        usage = response.usage
        if usage is not None and usage.output_tokens is not None and self._kind is not None:
            self.observe(usage.output_tokens)
        return response

    def pack_body(
        self,
        body: Any = None,
        *,
        format: str,
        budget: int | None = None,
        reserve: int | None = None,
        pinned: Collection[int] = (),
        compress: str | Compressor | None = None,
    ) -> PackResult:
        """Pack a request body of this session; the same format out, as `aifkit.pack` does.

        The body is read with `read` (only its new messages are decoded) and packed
        with everything this packer remembers (measurements, the previous selection).

        Args:
            body: The request body, as parsed JSON; None packs the `session` (e.g.
                after `add_response`), written in ``format``.
            format: Its wire format, e.g. ``"openai-chat"``.
            budget: The most prompt tokens the packed request may take.
            reserve: Tokens kept for the reply; default: estimated, then observed.
            pinned: Indexes (in the AIF document's messages) of pinned memory.
            compress: Compress before dropping (see `aifkit.pack`); default None: a
                session keeps the messages it sends as they are, so the provider's
                prompt cache keeps matching the prefix.

        Raises:
            UsageError: the packer has no model (made with a counter), nothing was
                read yet and ``body`` is None, or an argument is invalid.
            UnknownNameError: the format or compression method is unknown.
            InvalidInputError: the body is malformed.
            BudgetError: what must be kept alone exceeds the budget.

        Examples:
            >>> packer = Packer("gpt-4o")
            >>> body = {"model": "gpt-4o", "messages": [
            ...     {"role": "user", "content": "Tell me about the weather. " * 50},
            ...     {"role": "assistant", "content": "It is sunny. " * 50},
            ...     {"role": "user", "content": "And tomorrow?"}]}
            >>> out, report = packer.pack_body(body, format="openai-chat", budget=60)
            >>> [m["content"] for m in out["messages"]]
            ['And tomorrow?']
            >>> body["messages"].append({"role": "assistant", "content": "Rain."})
            >>> body["messages"].append({"role": "user", "content": "Thanks!"})
            >>> out, report = packer.pack_body(body, format="openai-chat", budget=60)
            >>> report.work["measured"], [m["content"] for m in out["messages"]]
            (2, ['And tomorrow?', 'Rain.', 'Thanks!'])
        """
        from aifkit.aif import FORMATS
        from aifkit.budget._pack import check_pinned, pack_document
        from aifkit.budget.compressors import COMPRESSORS

        check_limits(budget, reserve)
        check_pinned(pinned)
        if self.model is None:
            raise UsageError(
                "packing a request body needs the packer's model",
                hint='make the packer with a model, e.g. Packer("gpt-4o")',
            )
        FORMATS.get(format)  # an unknown format is refused before the body is read
        if isinstance(compress, str):
            compress = COMPRESSORS.get(compress)  # so is an unknown method
        with no_cycle_collection():  # reading and packing make no cycles: see its note
            document = self._session if body is None else self.read(body, format=format)
            if document is None:
                raise UsageError(
                    "nothing to pack: this packer has read no request yet",
                    hint="pass the request body",
                )
            return pack_document(
                self, document, format=format, model=self.model, budget=budget,
                reserve=reserve, pinned=pinned, compress=compress, source=body,
            )  # fmt: skip

    def measured_texts(self) -> dict[str, int]:
        """The tokens of the texts measured so far as a message's only text, by text.

        The token ids of such a message are its text's (`TokensCounter.tokenizer`),
        so whoever counts these texts again with that tokenizer can look them up
        instead (`aifkit.pack` hands them to the compressor). Empty with another counter.
        """
        conv = self._conv
        if not isinstance(self.counter, TokensCounter):
            return {}
        lengths = np.diff(conv.term_starts.view).tolist()
        out: dict[str, int] = {}
        for message, n in zip(conv.messages, lengths, strict=True):
            parts = message.parts
            if len(parts) != 1:
                continue
            part = parts[0]
            if type(part) is TextPart:
                out[part.text] = n
            elif type(part) is ToolResultPart and len(part.content) == 1:
                only = part.content[0]
                if type(only) is TextPart:
                    out[only.text] = n
        return out

    def observe(self, output_tokens: int, kind: str | None = None) -> None:
        """Record the length of the reply to the last packed request (or to a ``kind`` task).

        The reply reserve of later requests of that kind becomes a high quantile of
        these observations (`ReserveRule`).
        """
        kind = kind or self._kind
        if kind is None:
            raise UsageError("nothing was packed yet: pass the task kind to observe()")
        self.tracker.observe(kind, output_tokens)

    def forget(self) -> None:
        """Forget the previous pack: the next one is a first pack (a new prefix, no hysteresis),
        and the next body `read` is decoded whole.

        Measurements are kept: they depend on the messages only.
        """
        self._previous = None
        self._reader.forget()

    def pack(
        self,
        document: Document | None = None,
        *,
        budget: int | None = None,
        reserve: int | None = None,
        pinned: Collection[int] = (),
        categories: Mapping[int, Category] | None = None,
        priorities: Mapping[int, float] | None = None,
    ) -> Packed:
        """Pack ``document`` so its request takes at most ``budget`` tokens.

        Args:
            document: The conversation; usually the previous one with messages appended.
                Default: the `session` (e.g. after `add_response`).
            budget: The most prompt tokens the packed request may take; default: the
                context window minus the reply reserve (packing from the trigger).
            reserve: Tokens kept for the reply; default: estimated, then observed.
            pinned: Indexes of messages that are pinned memory.
            categories: Categories for messages by index (overrides their content's).
            priorities: Priority multipliers for messages by index.

        Raises:
            BudgetError: the items that must be kept need more than the budget.
            UsageError: a budget, reserve or message index is invalid.
        """
        # Every argument is checked before any message is measured.
        check_limits(budget, reserve)
        if document is None:
            if self._session is None:
                raise UsageError(
                    "nothing to pack: this packer has packed or read nothing yet",
                    hint="pass the document",
                )
            document = self._session
        self._session = document
        _check_indexes(len(document.messages), pinned, categories, priorities)
        conv, bm25, policy = self._conv, self._bm25, self.policy
        work = self._work  # since the last pack: a `count` before this one is its work too
        self._sync(document)
        stable, self._unchanged = self._unchanged or 0, None
        fixed = self._count_fixed(document)
        n = len(conv)
        cat = self._categories(n, pinned, categories)
        gidx, heads = _dense_groups(conv.group.view)
        g_tokens, g_cat, g_last, g_mand = self._group_arrays(cat, gidx, len(heads))
        prio = np.array([policy.rule(c).priority for c in CATEGORIES] + [1.0])[g_cat]
        if priorities:
            prio = _boost(prio, gidx, priorities)
        query = self._query_text(document, cat)
        bm, idf = self._relevance(query, cat, gidx, heads)
        rel = relevance(bm, policy.relevance_floor)
        rec = recency((n - 1 - g_last).astype(np.float64), policy.half_life, policy.recency_floor)
        score = prio * rel * rec
        order = np.lexsort((-g_last, -score))  # best first; ties: the most recent first
        groups = Groups(g_tokens, g_cat, g_mand, order)
        complexity = estimate_complexity(query, tools=len(document.tools))
        self._kind = complexity.kind
        prev = self._previous
        lim = limits(
            window=self.window, max_output=self.max_output, budget=budget, reserve=reserve,
            complexity=complexity, policy=policy, tracker=self.tracker, again=prev is not None,
        )  # fmt: skip
        total = fixed.total + int(g_tokens.sum())
        alloc, prefix = self._decide(groups, gidx, fixed, lim, total, rel, bm, stable)
        kept_msg = alloc.kept[gidx]
        if kept_msg.all():
            out, packed = document.messages, document
        else:
            idx = np.flatnonzero(kept_msg).tolist()
            messages = document.messages
            out = tuple(messages[i] for i in idx)
            packed = document.model_copy(update={"messages": out})
        prefix = self._stability(prefix, fixed, out, kept_msg, alloc.tokens)
        since = prev.since_change + 1 if prev is not None and prefix.decision == "kept" else 0
        self._previous = Previous(n, kept_msg, out, fixed.parts, fixed.total, alloc.tokens, since)
        columns = Columns(
            cat, gidx, heads, conv.tokens.view.copy(), prev.kept[:stable] if prev is not None else None,
            score, rel, rec, prio, alloc.kept, alloc.why, fixed.instructions, fixed.tools,
        )  # fmt: skip
        report = PackReport(
            model=self.counter.name, exact=self.counter.exact, limits=lim,
            complexity=complexity, policy=policy, tokens_before=total,
            tokens_after=alloc.tokens, query=idf, prefix=prefix, columns=columns,
            fixed={"instructions": sum(fixed.instructions), "tools": fixed.tools or 0,
                   "overhead": fixed.overhead},
            work={"measured": conv.measured - work[0], "reused": conv.reused - work[1],
                  "indexed": bm25.index.indexed_tokens - work[2]},
        )  # fmt: skip
        self._work = (conv.measured, conv.reused, bm25.index.indexed_tokens)
        return Packed(packed, report)

    def _group_arrays(
        self, cat: npt.NDArray[np.int8], gidx: npt.NDArray[np.int64], count: int
    ) -> tuple[
        npt.NDArray[np.int64], npt.NDArray[np.int8], npt.NDArray[np.int64], npt.NDArray[np.bool_]
    ]:
        # Per group: tokens, strongest category, last message, and whether it is required.
        conv = self._conv
        tokens = np.bincount(gidx, weights=conv.tokens.view, minlength=count).astype(np.int64)
        category = np.full(count, len(CATEGORIES), dtype=np.int8)
        np.minimum.at(category, gidx, cat)
        last = np.zeros(count, dtype=np.int64)
        np.maximum.at(last, gidx, np.arange(len(gidx)))
        required = np.array([self.policy.rule(c).required for c in CATEGORIES] + [False])
        mandatory = np.bincount(gidx, weights=required[cat], minlength=count) > 0
        return tokens, category, last, mandatory

    def _decide(
        self,
        groups: Groups,
        gidx: npt.NDArray[np.int64],
        fixed: _Fixed,
        lim: Limits,
        total: int,
        rel: npt.NDArray[np.float64],
        bm: npt.NDArray[np.float64],
        stable: int,
    ) -> tuple[Allocation, PrefixReport]:
        def fresh() -> Allocation:
            if total <= lim.trigger:  # everything fits (the trigger is within the hard limit)
                mand = groups.mandatory
                why = np.where(mand, WHY["required"], WHY["fits"]).astype(np.int8)
                return Allocation(np.ones(len(mand), dtype=np.bool_), why, total)
            return allocate(
                groups, fixed=fixed.total, target=lim.target, hard=lim.hard, policy=self.policy,
                fixed_parts=_fixed_parts(fixed),
            )  # fmt: skip

        return decide(
            groups=groups, gidx=gidx, tokens=self._conv.tokens.view, fresh=fresh,
            previous=self._previous, stable=stable, fixed_key=fixed.parts,
            fixed_tokens=fixed.total, limits=lim, relevance=rel, bm25=bm, rule=self.policy.cache,
        )  # fmt: skip

    def _stability(
        self,
        prefix: PrefixReport,
        fixed: _Fixed,
        out: tuple[Any, ...],
        kept_msg: npt.NDArray[np.bool_],
        tokens: int,
    ) -> PrefixReport:
        prev = self._previous
        if prev is None:
            return prefix
        shared = 0
        if prev.fixed_key == fixed.parts:
            kept_tokens = self._conv.tokens.view[kept_msg]
            shared = fixed.total + common_prefix(prev.output, out, kept_tokens)
        shared = min(shared, prev.tokens, tokens)
        stability = shared / prev.tokens if prev.tokens else 1.0
        return PrefixReport(prefix.decision, prefix.reason, shared, prev.tokens, stability)

    def _count_fixed(self, document: Document) -> _Fixed:
        parts = (document.instructions, document.tools, document.settings)
        cached = self._fixed
        if cached is not None and all(a is b for a, b in zip(cached.parts, parts, strict=True)):
            return cached
        counter = self.counter
        instructions = tuple(counter.count_instruction(i) for i in document.instructions)
        tools = counter.count_tools(document) if document.tools else None
        self._fixed = _Fixed(parts, instructions, tools, counter.overhead(document))
        return self._fixed

    def _categories(
        self, n: int, pinned: Collection[int], categories: Mapping[int, Category] | None
    ) -> npt.NDArray[np.int8]:
        conv = self._conv
        cat = conv.category.view.copy()
        for i in pinned:
            cat[_index(i, n)] = _PINNED
        for i, name in (categories or {}).items():
            if name not in CODES:
                raise UsageError(
                    f"unknown category {name!r}", hint=f"known: {', '.join(CATEGORIES)}"
                )
            cat[_index(i, n)] = CODES[name]
        if n:
            group = conv.group.view
            last_turn = conv.turns[-1] if conv.turns else n - 1
            cat[(group == group[last_turn]) | (group == group[n - 1])] = _CURRENT
        return cat

    def _query_text(self, document: Document, cat: npt.NDArray[np.int8]) -> str:
        texts: list[str] = []
        for i in np.flatnonzero(cat == _CURRENT).tolist():
            for part in document.messages[i].parts:
                if isinstance(part, TextPart):
                    texts.append(part.text)
                elif isinstance(part, ToolResultPart):
                    texts.extend(p.text for p in part.content if isinstance(p, TextPart))
        return "\n".join(texts)

    def _relevance(
        self,
        query: str,
        cat: npt.NDArray[np.int8],
        gidx: npt.NDArray[np.int64],
        heads: npt.NDArray[np.int64],
    ) -> tuple[npt.NDArray[np.float64], dict[str, float]]:
        count = len(heads)
        if self.policy.relevance == "none" or not count or not query:
            return np.zeros(count), {}
        words = self._bm25.words(query)
        if len(words) > MAX_QUERY_WORDS:
            longest = set(sorted(words, key=len, reverse=True)[:MAX_QUERY_WORDS])
            words = [w for w in words if w in longest]
        corpus = np.zeros(len(gidx), dtype=np.bool_)
        current = np.zeros(count, dtype=np.bool_)
        current[gidx[cat == _CURRENT]] = True
        corpus[heads[~current]] = True
        scores, idf = self._bm25.scores(words, corpus)
        return scores[heads], idf


def single_use(packer: Packer) -> Packer:
    """Return ``packer``, made to pack one request only (`aifkit.pack`).

    Its first search for relevance scans the token ids instead of indexing them:
    an index pays only from the second search on.
    """
    policy, conv = packer.policy, packer._conv  # pyright: ignore[reportPrivateUsage]
    bm25 = BM25Index(conv, packer.counter.terms, k1=policy.k1, b=policy.b, scan_first=True)
    packer._bm25 = bm25  # pyright: ignore[reportPrivateUsage]
    return packer


def _dense_groups(
    group: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    # Groups are named by their first message; number them 0..G-1 in order.
    n = len(group)
    heads = np.flatnonzero(group == np.arange(n))
    dense = np.empty(n, dtype=np.int64)
    dense[heads] = np.arange(len(heads))
    return dense[group], heads


def _boost(
    prio: npt.NDArray[np.float64], gidx: npt.NDArray[np.int64], priorities: Mapping[int, float]
) -> npt.NDArray[np.float64]:
    # A group takes the largest multiplier given to any of its messages.
    boost: dict[int, float] = {}
    for i, factor in priorities.items():
        g = int(gidx[_index(i, len(gidx))])
        boost[g] = max(boost.get(g, factor), factor)
    prio = prio.copy()
    prio[list(boost)] *= list(boost.values())
    return prio


def _index(i: int, n: int) -> int:
    if whole_number(i) is None or not -n <= i < n:
        raise UsageError(f"message index {i!r:.40} is out of range for {n} messages")
    return i % n


def _check_indexes(
    n: int,
    pinned: Collection[int],
    categories: Mapping[int, Category] | None,
    priorities: Mapping[int, float] | None,
) -> None:
    for i in (*pinned, *(categories or {}), *(priorities or {})):
        _index(i, n)
    for name in (categories or {}).values():
        if name not in CODES:
            raise UsageError(
                f"unknown category {name!r:.40}", hint=f"known: {', '.join(CATEGORIES)}"
            )


def _fixed_parts(fixed: _Fixed) -> dict[str, int]:
    return {
        "instructions": sum(fixed.instructions),
        "tools": fixed.tools or 0,
        "framing": fixed.overhead,
    }
