"""LangChain: message lists in `pack`, `compress` and `convert`, and an agent middleware.

LangChain messages travel through LangChain's own conversion
(``langchain_core.messages.convert_to_openai_messages`` one way,
``convert_to_messages`` the other) as an ``openai-chat`` body, so everything aifkit
does to that format applies. Messages a pack keeps come back as the very objects
given (ids, metadata and all); only rewritten ones (compressed, or a summary) are
new objects. `aifkit.pack` and `aifkit.convert` accept ``"langchain"`` as the format
and call this module.

`AifkitMiddleware` is a LangChain v1 agent middleware: before each model call it
packs the request (system message, tools and messages, counted together) within a
budget, and the model gets the packed messages. The agent's state keeps the whole
conversation.

``pip install "aifkit[langchain]"``.

Examples:
    >>> from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
    >>> history = [SystemMessage("Be brief."), HumanMessage("My locker code is 4417.", id="m1")]
    >>> history += [HumanMessage(f"Some chatter about the weather, part {i}.") for i in range(40)]
    >>> history += [HumanMessage("What is my locker code?")]
    >>> packed, report = pack(history, model="gpt-4o", budget=120)
    >>> packed[1] is history[1], report.tokens_after <= 120, len(packed) < len(history)
    (True, True, True)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any, cast

from aifkit._extras import require
from aifkit._json import one_line
from aifkit.errors import InvalidInputError
from aifkit.integrations._rejoin import rejoin
from aifkit.integrations._unreadable import READ_ERRORS, unreadable

require("langchain", ["langchain_core"])

from langchain_core.messages import (  # noqa: E402
    BaseMessage,
    convert_to_messages,
    convert_to_openai_messages,
)

if TYPE_CHECKING:
    from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
    from langchain_core.tools import BaseTool

    from aifkit.aif import Conversion, EncodeOptions
    from aifkit.budget import CompressionResult, Compressor, PackReport, PackResult, Policy
else:  # the middleware needs `langchain` itself; conversions need only `langchain_core`
    try:
        from langchain.agents.middleware import AgentMiddleware
    except ImportError:
        AgentMiddleware = object

__all__ = [
    "FORMAT",
    "AifkitMiddleware",
    "compress",
    "convert",
    "from_messages",
    "is_messages",
    "pack",
    "to_messages",
]

FORMAT = "langchain"
"""The name `aifkit.pack` and `aifkit.convert` take for a list of LangChain messages."""

_WIRE = "openai-chat"


def is_messages(body: Any) -> bool:
    """Whether ``body`` is a non-empty list or tuple of LangChain messages.

    Examples:
        >>> from langchain_core.messages import HumanMessage
        >>> is_messages([HumanMessage("hi")]), is_messages([{"role": "user", "content": "hi"}])
        (True, False)
    """
    items = cast("Sequence[object]", body) if isinstance(body, list | tuple) else ()
    return bool(items) and all(isinstance(m, BaseMessage) for m in items)


def _wire(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    _check(messages)
    try:
        return convert_to_openai_messages(list(messages))  # a list in, a list out
    except READ_ERRORS as exc:  # a message built past LangChain's checks (model_construct)
        raise unreadable(f"/{_culprit(messages, convert_to_openai_messages)}", "LangChain", exc) from None  # fmt: skip


def _culprit(messages: Sequence[Any], read: Callable[[list[Any]], Any]) -> int:
    """The index of the first message ``read`` fails on alone (0 if none does)."""
    for i, m in enumerate(messages):
        try:
            read([m])
        except READ_ERRORS:
            return i
    return 0


def _check(messages: object) -> None:

    items = cast("Sequence[object]", messages) if isinstance(messages, list | tuple) else None
    if items is None:
        raise InvalidInputError("", "expected a list of LangChain messages")
    for i, m in enumerate(items):
        if not isinstance(m, BaseMessage):
            raise InvalidInputError(
                f"/{i}",
                f"expected a LangChain message, got {type(m).__name__}",
                hint="pass BaseMessage objects (HumanMessage, AIMessage, ...)",
            )


def _back(
    originals: Sequence[BaseMessage], wire: Sequence[Any], packed: Sequence[Any]
) -> list[BaseMessage]:
    """The packed wire messages as LangChain messages: originals where kept as they were."""
    out: list[BaseMessage] = []
    for i, message in rejoin(wire, packed):
        try:
            out.append(originals[i] if i is not None else convert_to_messages([message])[0])
        except READ_ERRORS as exc:  # a rewritten message carrying what LangChain refuses
            raise InvalidInputError(
                f"/{len(out)}",
                f"the packed message cannot be made a LangChain message again ({type(exc).__name__}: {one_line(str(exc), 200)})",
                hint="give tool calls JSON-object args (LangChain's own messages have them)",
            ) from None  # fmt: skip
    return out


def pack(
    messages: Sequence[BaseMessage],
    *,
    model: str,
    budget: int | None = None,
    reserve: int | None = None,
    policy: Policy | None = None,
    pinned: Collection[int] = (),
    compress: str | Compressor | None = "auto",
    tools: Sequence[BaseTool | dict[str, Any]] = (),
) -> PackResult:
    """Pack LangChain messages within ``budget`` tokens; LangChain messages out.

    The arguments are those of `aifkit.pack`; ``tools`` are counted (LangChain's
    ``convert_to_openai_tool``) but not returned. Pinned indexes are into
    ``messages``, minus the leading system messages (they become instructions,
    never dropped).

    Returns:
        A `PackResult` whose body is the packed list of messages.
    """
    from aifkit.budget import pack as pack_body

    wire = _wire(messages)
    body: dict[str, Any] = {"model": model, "messages": wire}
    if tools:
        from langchain_core.utils.function_calling import convert_to_openai_tool

        written: list[dict[str, Any]] = []
        for i, t in enumerate(tools):
            try:
                written.append(convert_to_openai_tool(t))
            except READ_ERRORS as exc:  # not a tool LangChain knows (or a cyclic dict)
                raise InvalidInputError(
                    f"/tools/{i}",
                    f"LangChain cannot read this tool ({type(exc).__name__}: {one_line(str(exc), 200)})",
                    hint="pass BaseTool objects, functions, or OpenAI tool dicts",
                ) from None  # fmt: skip
        body["tools"] = written
    done = pack_body(
        body,
        format=_WIRE,
        model=model,
        budget=budget,
        reserve=reserve,
        policy=policy,
        pinned=pinned,
        compress=compress,
    )
    from aifkit.budget import PackResult

    return PackResult(_back(messages, wire, done.body["messages"]), done.report, done.elided)


def compress(
    messages: Sequence[BaseMessage],
    *,
    model: str,
    ratio: float | None = None,
    budget: int | None = None,
    method: str | Compressor | Sequence[str | Compressor] = "auto",
) -> tuple[list[BaseMessage], CompressionResult]:
    """Compress LangChain messages toward ``ratio`` or ``budget`` (see `aifkit.budget.compress`).

    Returns:
        The compressed messages (untouched ones are the objects given) and the
        `CompressionResult` of the AIF document, whose ``restore()`` and ``expand()``
        give back what was elided.

    Examples:
        >>> from langchain_core.messages import AIMessage, HumanMessage
        >>> history = [HumanMessage("The door code is 7741. " * 50), AIMessage("Got it."),
        ...            HumanMessage("What is the door code?")]
        >>> short, result = compress(history, model="gpt-4o", ratio=0.25, method="extract")
        >>> "7741" in short[0].text, short[0] is history[0], short[2] is history[2]
        (True, False, True)
    """
    from aifkit.aif import decode, encode
    from aifkit.budget import CompressionTarget
    from aifkit.budget import compress as run

    wire = _wire(messages)
    document, _ = decode({"model": model, "messages": wire}, _WIRE)
    result = run(document, CompressionTarget(model, ratio=ratio, budget=budget), method=method)
    out, _ = encode(result.document, _WIRE)
    return _back(messages, wire, out["messages"]), result


def from_messages(
    messages: Sequence[BaseMessage],
    *,
    target: str,
    model: str | None = None,
    strict: bool = False,
    options: EncodeOptions | None = None,
) -> Conversion:
    """Convert LangChain messages to a ``target`` request body (`aifkit.convert`).

    Loss pointers point into the ``openai-chat`` body LangChain writes for them
    (``/messages/0`` is the first message).

    Examples:
        >>> from langchain_core.messages import HumanMessage, SystemMessage
        >>> body, report = from_messages([SystemMessage("Be brief."), HumanMessage("Hi")],
        ...                              target="anthropic", model="claude-sonnet-4-5")
        >>> body["system"], body["messages"]
        ('Be brief.', [{'role': 'user', 'content': 'Hi'}])
    """
    from aifkit.aif import convert as convert_body

    body: dict[str, Any] = {"messages": _wire(messages)}
    if model is not None:
        body["model"] = model
    return convert_body(body, source=_WIRE, target=target, strict=strict, options=options)


def to_messages(
    body: Any, *, source: str, strict: bool = False, options: EncodeOptions | None = None
) -> Conversion:
    """Convert a ``source`` request body to LangChain messages (`aifkit.convert`).

    Instructions become leading `SystemMessage`s. The body's tools and settings
    have no place in a message list: they are reported as dropped, pointed at in
    the ``openai-chat`` body the messages are read from (``/tools``,
    ``/max_completion_tokens``, ...).

    Examples:
        >>> conv = to_messages({"system": "Be brief.", "max_tokens": 64, "model": "claude-sonnet-4-5",
        ...     "messages": [{"role": "user", "content": "Hi"}]}, source="anthropic")
        >>> [type(m).__name__ for m in conv.body], conv.body[1].text
        (['SystemMessage', 'HumanMessage'], 'Hi')
    """
    from aifkit.aif import LossEntry, LossReport
    from aifkit.aif import convert as convert_body
    from aifkit.errors import LossyConversionError

    out, report = convert_body(body, source=source, target=_WIRE, strict=strict, options=options)
    rest = sorted(k for k in cast("dict[str, Any]", out) if k != "messages")
    entries = [
        LossEntry(
            pointer=f"/{k}",
            action="dropped",
            rule="langchain/messages-only",
            severity="warning",
            detail="a LangChain message list carries messages only",
        )
        for k in rest
        if k != "model"  # the model is the caller's to choose, not the conversation's
    ]
    report = LossReport(source, FORMAT, (*report.entries, *entries))
    if strict and report.dropped:
        raise LossyConversionError(report)
    from aifkit.aif import Conversion

    try:
        converted = convert_to_messages(out["messages"])
    except READ_ERRORS as exc:  # e.g. tool-call arguments that are not JSON: kept as text
        at = _culprit(out["messages"], convert_to_messages)
        raise unreadable(f"/messages/{at}", "LangChain", exc) from None
    return Conversion(converted, report)


def convert(
    body: Any,
    *,
    source: str,
    target: str,
    strict: bool = False,
    options: EncodeOptions | None = None,
) -> Conversion:
    """`aifkit.convert` with ``"langchain"`` as the source or the target format.

    Raises:
        UsageError: neither format is ``"langchain"``.
    """
    from aifkit.errors import UsageError

    if source == FORMAT and target == FORMAT:
        from aifkit.aif import Conversion, LossReport

        _check(body)
        return Conversion(list(body), LossReport(FORMAT, FORMAT, ()))
    if source == FORMAT:
        return from_messages(body, target=target, strict=strict, options=options)
    if target == FORMAT:
        return to_messages(body, source=source, strict=strict, options=options)
    raise UsageError(f"neither {source!r} nor {target!r} is {FORMAT!r}", hint="use aifkit.convert")


class AifkitMiddleware(AgentMiddleware):  # pyright: ignore[reportMissingTypeArgument]
    """A LangChain agent middleware that packs each model request within a budget.

    Before each model call, the system message, the tools and the messages are
    counted together and the messages packed (`aifkit.pack`); the model gets the
    packed messages. The agent's state is left alone: it keeps the whole
    conversation, so a later call may keep what this one dropped.

    Args:
        model: The model whose tokenizer, window and rules apply (an aifkit name,
            e.g. ``"gpt-4o"``); default: the chat model's ``model_name`` or ``model``.
        budget: The most prompt tokens a request may take; default: the model's
            window minus the reply reserve.
        reserve: Tokens kept for the reply; default: estimated from the request.
        policy: How to pack; default `Policy()`.
        compress: Compress before dropping (see `aifkit.pack`); None drops only.
        on_pack: Called with each pack's `PackReport` (to log or meter it).

    Examples:
        >>> from langchain.agents import create_agent
        >>> from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
        >>> from langchain_core.messages import AIMessage
        >>> reports = []
        >>> agent = create_agent(
        ...     GenericFakeChatModel(messages=iter([AIMessage("It is 4417.")])),
        ...     middleware=[AifkitMiddleware(model="gpt-4o", budget=100, on_pack=reports.append)])
        >>> history = [{"role": "user", "content": "My locker code is 4417."}]
        >>> history += [{"role": "user", "content": f"Chatter, part {i}."} for i in range(60)]
        >>> state = agent.invoke({"messages": [*history, {"role": "user", "content": "My code?"}]})
        >>> state["messages"][-1].text, reports[0].tokens_after <= 100, len(reports[0].dropped) > 0
        ('It is 4417.', True, True)
    """

    def __init__(
        self,
        *,
        model: str | None = None,
        budget: int | None = None,
        reserve: int | None = None,
        policy: Policy | None = None,
        compress: str | Compressor | None = "auto",
        on_pack: Callable[[PackReport], object] | None = None,
    ) -> None:
        require("langchain")
        super().__init__()
        self.model = model
        self.budget = budget
        self.reserve = reserve
        self.policy = policy
        self.compress = compress
        self.on_pack = on_pack

    def fit(self, request: ModelRequest[Any]) -> ModelRequest[Any]:
        """Return ``request`` with its messages packed within the budget."""
        system: list[BaseMessage] = [request.system_message] if request.system_message else []
        given = [*system, *request.messages]
        out, report = pack(
            given,
            model=self.model or _model_name(request.model),
            budget=self.budget,
            reserve=self.reserve,
            policy=self.policy,
            compress=self.compress,
            tools=request.tools,
        )
        if self.on_pack is not None:
            self.on_pack(report)
        packed = cast("list[BaseMessage]", out)
        if system and packed and packed[0] is system[0]:
            packed = packed[1:]  # the system message travels on its own
        return request.override(messages=cast("Any", packed))

    def wrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], ModelResponse[Any]],
    ) -> ModelResponse[Any]:
        """Pack the request, then call the model with it."""
        return handler(self.fit(request))

    async def awrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], Awaitable[ModelResponse[Any]]],
    ) -> ModelResponse[Any]:
        """Pack the request, then call the model with it (async agents)."""
        return await handler(self.fit(request))


def _model_name(model: object) -> str:
    for attr in ("model_name", "model"):
        name = getattr(model, attr, None)
        if isinstance(name, str) and name:
            return name
    from aifkit.errors import UsageError

    raise UsageError(
        f"cannot tell which model {type(model).__name__} is",
        hint="name it: AifkitMiddleware(model='gpt-4o')",
    )
