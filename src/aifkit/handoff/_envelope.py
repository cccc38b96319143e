"""The hand-off envelope: a conversation moving from one agent or model to another.

An `Envelope` carries the AIF conversation whole, who sends it and who receives
it, a summary for receivers that cannot take the whole history, the tool calls
still waiting for a result, open tasks, application state, the chain of earlier
hand-offs, and what the planner decided the receiver's request will hold.

Integrity: every message's canonical JSON (keys sorted, compact, UTF-8) is hashed
into a chain, ``h_0 = sha256("aifkit/handoff/v1")`` and
``h_i = sha256(h_{i-1} || canonical(message_i))``; the envelope records the head
``h_n``, each message's own sha256 (so a failure can say which message and how)
and a hash of everything else in the conversation (instructions, tools,
settings). The chain detects any change made without recomputing it; only a
signature (Ed25519, or HMAC with a shared key) over the canonical envelope stops
someone who recomputes it, so sign envelopes that cross a trust boundary.

An envelope read from JSON is verified over that JSON as read (`Envelope.covered`),
not over this aifkit's re-serialization of it: reading upgrades a conversation
written at an older AIF version, and an envelope must verify as it was signed,
forever.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, NamedTuple, Self, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from aifkit._json import format_pointer
from aifkit._limits import check_document, check_json
from aifkit.aif._codec import dump_document, load_document, parse_json
from aifkit.aif._schema import Document, ToolCallPart, ToolResultPart
from aifkit.errors import InvalidInputError, UsageError
from aifkit.handoff._crypto import Algorithm, HandoffKey, load_key

if TYPE_CHECKING:
    from pathlib import Path

    from aifkit.handoff._plan import HandoffPlan

__all__ = [
    "CHAIN_ALGORITHM",
    "HANDOFF_VERSION",
    "Covered",
    "Envelope",
    "Hop",
    "Integrity",
    "OpenCall",
    "Party",
    "PlanRecord",
    "Signature",
    "Task",
    "as_key",
    "canonical_bytes",
    "chain",
    "compute_open_calls",
    "genesis",
    "hashed_parts",
    "load_envelope",
    "pack_handoff",
    "signed_bytes",
]

HANDOFF_VERSION = "1.0"
"""The version of the envelope layout this aifkit writes."""

CHAIN_ALGORITHM = "sha256-chain-v1"

_GENESIS = hashlib.sha256(b"aifkit/handoff/v1").digest()

JsonData = Annotated[Any, WithJsonSchema({"description": "Any JSON value."})]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Party(_Frozen):
    """One side of a hand-off: an agent, the model behind it and the format it speaks.

    Examples:
        >>> Party(agent="triage", model="gpt-4o", provider="openai", format="openai-chat").agent
        'triage'
    """

    agent: str | None = None
    model: str | None = None
    provider: str | None = None
    format: str | None = Field(default=None, description="The wire format it takes.")


class OpenCall(_Frozen):
    """A tool call in the conversation that no tool result answers yet."""

    id: str
    name: str
    message: int = Field(description="Index of the message that made the call.")
    arguments: JsonData = None


class Task(_Frozen):
    """A task the receiver takes over."""

    id: str
    description: str = ""
    status: str = "open"
    data: dict[str, JsonData] = Field(default_factory=dict)


class Hop(_Frozen):
    """An earlier hand-off the conversation went through."""

    envelope_id: str
    sender: Party
    receiver: Party
    at: datetime
    head: str = Field(description="The chain head when it was handed off.")
    messages: int = Field(description="How many messages it had then.")
    key_id: str | None = Field(default=None, description="Key that signed it, if any.")


class Integrity(_Frozen):
    """The hash chain over the messages and the hash of the rest of the conversation."""

    algorithm: Literal["sha256-chain-v1"] = CHAIN_ALGORITHM
    messages: int
    digests: tuple[str, ...] = Field(description="sha256 of each message's canonical JSON.")
    head: str = Field(description="The chain head h_n (hex).")
    context: str = Field(description="sha256 of the conversation without its messages.")


class Signature(_Frozen):
    """A signature over the canonical envelope (every field but this one)."""

    algorithm: Algorithm
    key_id: str
    value: str = Field(description="Base64.")


class PlanRecord(_Frozen):
    """What the planner decided the receiver's request holds (see `plan_handoff`)."""

    target: str
    model: str | None = None
    budget: int | None = None
    moved: tuple[int, ...] = Field(description="Indexes of the messages sent as they are.")
    summarized: tuple[int, ...] = Field(description="Indexes covered by the summary instead.")
    losses: tuple[dict[str, str], ...] = Field(
        default=(), description="The loss report's entries for the planned request."
    )


class Covered(NamedTuple):
    """What an envelope's integrity record and signature cover (see `Envelope.covered`)."""

    messages: list[bytes]
    """The canonical JSON of each message: the hash chain's input."""
    context: str
    """The sha256 (hex) of the conversation's canonical JSON without its messages."""
    signed: bytes | None
    """The canonical envelope without its signature; None when it is not signed."""


_AS_READ = "aifkit.handoff.as_read"  # the validation-context key `load_envelope` passes


class Envelope(_Frozen):
    """A conversation handed from one agent or model to another, with its integrity record.

    Build one with `pack_handoff`; check one with `verify_handoff`; turn one into a
    request body with `unpack_handoff`. `to_json` and `load_envelope` write and read it.
    """

    handoff_version: str = HANDOFF_VERSION
    id: str
    created_at: datetime
    sender: Party
    receiver: Party
    conversation: Document
    summary: str | None = None
    open_calls: tuple[OpenCall, ...] = ()
    tasks: tuple[Task, ...] = ()
    state: dict[str, JsonData] = Field(default_factory=dict)
    provenance: tuple[Hop, ...] = Field(default=(), description="Earlier hand-offs, oldest first.")
    plan: PlanRecord | None = None
    integrity: Integrity
    signature: Signature | None = None

    # What the record and the signature cover, from the JSON the envelope was read
    # from; None for an envelope built in code (see `covered`).
    _as_read: Covered | None = PrivateAttr(default=None)

    @field_validator("conversation", mode="before")
    @classmethod
    def _load_conversation(cls, value: object) -> object:
        # The conversation goes through load_document: upgrades and typo checks.
        return load_document(value) if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _keep_as_read(self, info: ValidationInfo) -> Self:
        context = cast("dict[str, Covered | None] | None", info.context)
        if context is not None:
            self._as_read = context.get(_AS_READ)
        return self

    def __eq__(self, other: object) -> bool:
        # Fields only: an envelope read from JSON equals the same envelope built in code.
        if not isinstance(other, Envelope):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = _Frozen.__hash__

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """Return a copy; a changed copy is covered by its own serialization, not the JSON read."""
        copy = super().model_copy(update=update, deep=deep)
        if update:
            copy._as_read = None
        return copy

    def covered(self) -> Covered:
        """Return what the integrity record and the signature cover.

        For an envelope read from JSON (`load_envelope`) that is the JSON as read, so
        it verifies as it was signed whatever reading it changed: a conversation
        written at an older AIF version is upgraded when read, and written back at
        the current one. For an envelope built in code, or changed with
        `model_copy`, it is the envelope's own serialization.

        Raises:
            InvalidInputError: an envelope built in code holds what JSON cannot
                carry (a lone surrogate, NaN); the pointer says where.
        """
        if self._as_read is not None:
            return self._as_read
        canonical, context, conversation = hashed_parts(self.conversation, at=("conversation",))
        signed = signed_bytes(self, conversation) if self.signature is not None else None
        return Covered(canonical, context, signed)

    def to_json(self) -> dict[str, Any]:
        """Return the envelope as JSON-ready data."""
        data = self.model_dump(mode="json", exclude={"conversation"}, exclude_none=True)
        # Written as hashed: a null in the conversation (an unknown field of a newer
        # minor version, a JSON argument) is data, not a field left out.
        data["conversation"] = dump_document(self.conversation)
        return {name: data[name] for name in type(self).model_fields if name in data}


def canonical_bytes(value: Any, *, at: Sequence[str | int] = ()) -> bytes:
    """Return the canonical JSON of ``value``: sorted keys, compact, UTF-8.

    Args:
        value: JSON data.
        at: Where ``value`` sits, for the pointer of an error.

    Raises:
        InvalidInputError: ``value`` holds what JSON cannot carry (a lone
            surrogate, NaN); the pointer says where.

    Examples:
        >>> canonical_bytes({"b": 1, "a": "é"})
        b'{"a":"\\xc3\\xa9","b":1}'
        >>> canonical_bytes({"text": "\\ud800"}, at=["messages", 0])
        Traceback (most recent call last):
        ...
        aifkit.errors.InvalidInputError: /messages/0/text: the string holds a lone surrogate ...
    """
    try:
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode()
    except (UnicodeEncodeError, ValueError):
        # Data read from JSON text was checked when read; data built in code was
        # not: find what no JSON can carry and name it. The walk runs only on failure.
        check_json(value, at=at)
        raise


def hashed_parts(
    document: Document, *, at: Sequence[str | int] = ()
) -> tuple[list[bytes], str, dict[str, Any]]:
    """Return the canonical JSON of each message, the context digest and the document's
    JSON, from one dump (dumping is most of the cost of hashing).

    ``at`` is where the document sits, for the pointer of an error.
    """
    data = dump_document(document)
    return *_hashed_json(data, at), data


def _hashed_json(
    conversation: Mapping[str, Any], at: Sequence[str | int]
) -> tuple[list[bytes], str]:
    """The canonical JSON of each message and the context digest of a conversation's JSON."""
    rest = {k: v for k, v in conversation.items() if k != "messages"}
    context = hashlib.sha256(canonical_bytes(rest, at=at)).hexdigest()
    messages = conversation.get("messages", ())
    canonical = [canonical_bytes(m, at=(*at, "messages", i)) for i, m in enumerate(messages)]
    return canonical, context


def chain(canonical: Iterable[bytes]) -> tuple[list[str], list[str]]:
    """Hash canonical messages: return each one's sha256 and the chain heads h_1..h_n (hex).

    Examples:
        >>> digests, heads = chain([b'{"role":"user"}'])
        >>> len(digests), len(heads), digests[0] != heads[0]
        (1, 1, True)
    """
    digests: list[str] = []
    heads: list[str] = []
    head = _GENESIS
    sha256 = hashlib.sha256
    for data in canonical:
        digests.append(sha256(data).hexdigest())
        head = sha256(head + data).digest()
        heads.append(head.hex())
    return digests, heads


def genesis() -> str:
    """Return h_0, the head of an empty chain (hex)."""
    return _GENESIS.hex()


def _integrity(canonical: list[bytes], context: str) -> Integrity:
    digests, heads = chain(canonical)
    return Integrity(
        messages=len(digests),
        digests=tuple(digests),
        head=heads[-1] if heads else genesis(),
        context=context,
    )


def compute_open_calls(document: Document) -> tuple[OpenCall, ...]:
    """Return the tool calls no tool result in ``document`` answers, in order."""
    answered = {
        p.call_id for m in document.messages for p in m.parts if isinstance(p, ToolResultPart)
    }
    return tuple(
        OpenCall(id=p.id, name=p.name, message=i, arguments=p.arguments)
        for i, m in enumerate(document.messages)
        for p in m.parts
        if isinstance(p, ToolCallPart) and p.id not in answered
    )


def signed_bytes(envelope: Envelope, conversation: dict[str, Any] | None = None) -> bytes:
    """Return the bytes a signature covers: the canonical envelope without its signature.

    ``conversation`` is the conversation's JSON when the caller already has it.
    """
    data = envelope.model_dump(
        mode="json", exclude={"signature", "conversation"}, exclude_none=True
    )
    data["conversation"] = (
        conversation if conversation is not None else dump_document(envelope.conversation)
    )
    return canonical_bytes(data)


def as_key(key: HandoffKey | bytes | Path | None) -> HandoffKey | None:
    """Return ``key`` as a `HandoffKey`: key bytes or a key file must be typed (see `load_key`)."""
    if key is None or isinstance(key, HandoffKey):
        return key
    return load_key(key)


def load_envelope(data: Envelope | Mapping[str, Any] | str | bytes) -> Envelope:
    """Read an envelope from parsed JSON, or from JSON text.

    Raises:
        InvalidInputError: it is not a well-formed envelope; the pointer says where.
    """
    if isinstance(data, Envelope):
        return data
    if isinstance(data, str | bytes):
        data = parse_json(data)
    if not isinstance(data, Mapping):
        raise InvalidInputError("", "expected a hand-off envelope object")
    for name, value in data.items():  # the conversation is checked as a document below
        if name != "conversation":
            check_json(value, at=(name,))
    conversation = data.get("conversation")
    as_read: Covered | None = None
    if isinstance(conversation, dict):
        try:  # validated first, so its errors point into the conversation
            document = load_document(conversation)
        except InvalidInputError as exc:
            raise InvalidInputError(
                "/conversation" + exc.pointer, exc.problem, hint=exc.hint
            ) from None
        as_read = _covered_as_read(data, cast("dict[str, Any]", conversation))
        data = {**data, "conversation": document}
    try:
        return Envelope.model_validate(data, context={_AS_READ: as_read})
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        raise InvalidInputError(
            format_pointer(loc),
            err["msg"][:1].lower() + err["msg"][1:],
            hint="this is not an envelope written by `aif handoff pack`",
        ) from None


def _covered_as_read(envelope: Mapping[str, Any], conversation: dict[str, Any]) -> Covered | None:
    """What the record and signature of an envelope's JSON cover, as read."""
    try:
        canonical, context = _hashed_json(conversation, ("conversation",))
        signed = None
        if "signature" in envelope:
            signed = canonical_bytes({k: v for k, v in envelope.items() if k != "signature"})
    except TypeError:  # Python values (a datetime) in data built in code: covered as serialized
        return None
    return Covered(canonical, context, signed)


def pack_handoff(
    conversation: Document | Mapping[str, Any],
    *,
    sender: Party | None = None,
    receiver: Party | None = None,
    target: str | None = None,
    model: str | None = None,
    budget: int | None = None,
    summary: str | None = None,
    tasks: Sequence[Task] = (),
    state: Mapping[str, Any] | None = None,
    previous: Envelope | None = None,
    key: HandoffKey | bytes | Path | None = None,
    now: datetime | None = None,
) -> Envelope:
    """Pack a conversation into a hand-off envelope, hash-chained and optionally signed.

    Args:
        conversation: The AIF document (or its JSON); read other formats with
            `aifkit.aif.decode` first.
        sender: Who hands off; its model defaults to the conversation's.
        receiver: Who receives; its format defaults to ``target``.
        target: The receiver's wire format. With it (or a ``budget``) the planner
            runs (`plan_handoff`) and the envelope records what the receiver's
            request will hold and the loss report.
        model: The receiver's model, for packing within ``budget``.
        budget: The most prompt tokens the receiver's request may take.
        summary: A summary for receivers that cannot take the whole history; when
            the plan summarizes messages and none is given, an extractive digest of
            them is written.
        tasks: Tasks the receiver takes over.
        state: Application state (JSON).
        previous: The envelope this conversation arrived in: it joins the provenance chain.
        key: Signs the envelope: a `HandoffKey` (`load_key`), or a typed key
            file's bytes or path (an Ed25519 private PEM, an armored HMAC secret
            from `generate_key`); a raw shared secret must be typed first with
            ``load_key(secret, "hmac-sha256")``.
        now: The time to record (default: now, UTC).

    Raises:
        InvalidInputError: the conversation is malformed, or it, ``state`` or
            ``tasks`` hold what JSON cannot carry (a lone surrogate, NaN); the
            pointer says where.
        UsageError: ``key`` is not typed key material, or is a public key;
            ``state`` is not a mapping with string keys.
        UnknownNameError: the target format or model is unknown.
        BudgetError: what must be kept does not fit ``budget``.

    Examples:
        >>> from aifkit.handoff import load_key, verify_handoff
        >>> secret = load_key(b"a shared secret of enough length", "hmac-sha256")
        >>> doc = {"messages": [
        ...     {"role": "user", "parts": [{"type": "text", "text": "Weather in Paris?"}]},
        ...     {"role": "assistant", "parts": [{"type": "tool_call", "id": "c1",
        ...      "name": "weather", "arguments": {"city": "Paris"}}]}]}
        >>> env = pack_handoff(doc, sender=Party(agent="triage"), receiver=Party(agent="weather"),
        ...                    key=secret)
        >>> [c.name for c in env.open_calls], env.integrity.messages
        (['weather'], 2)
        >>> verify_handoff(env, secret).ok
        True
    """
    if isinstance(conversation, Document):
        check_document(conversation)  # built in code: JSON read by load_document is checked
    document = load_document(conversation)
    state_json = _state(state)
    for i, task in enumerate(cast("Sequence[object]", tasks)):
        # Built in code, so not checked as a body is; a dict is validated with the envelope.
        if isinstance(task, Task):
            check_json(task.model_dump(), at=("tasks", i))
    signing = as_key(key)
    plan: HandoffPlan | None = None
    if target is not None or budget is not None:
        from aifkit.handoff._plan import plan_handoff

        fmt = target or (receiver.format if receiver and receiver.format else "aif")
        plan = plan_handoff(document, fmt, model=model, budget=budget)
    if plan is not None and plan.summarized and summary is None:
        summary = plan.summary
    receiver = receiver or Party()
    if receiver.format is None and target is not None:
        receiver = receiver.model_copy(update={"format": target})
    if receiver.model is None and model is not None:
        receiver = receiver.model_copy(update={"model": model})
    sender = sender or Party(model=document.settings.model)
    canonical, context, conversation_json = hashed_parts(document)
    provenance = previous.provenance if previous is not None else ()
    if previous is not None:
        provenance = (*provenance, _hop(previous))
    envelope = Envelope(
        id=uuid.uuid4().hex,
        created_at=now or datetime.now(UTC),
        sender=sender,
        receiver=receiver,
        conversation=document,
        summary=summary,
        open_calls=compute_open_calls(document),
        tasks=tuple(tasks),
        state=state_json,
        provenance=provenance,
        plan=plan.record() if plan is not None else None,
        integrity=_integrity(canonical, context),
    )
    if signing is None:
        return envelope
    sig = Signature(
        algorithm=signing.algorithm,
        key_id=signing.key_id,
        value=signing.sign(signed_bytes(envelope, conversation_json)),
    )
    return envelope.model_copy(update={"signature": sig})


def _state(state: object) -> dict[str, Any]:
    """Return application state as the envelope's JSON object, or name what is wrong."""
    if state is None:
        return {}
    if not isinstance(state, Mapping):
        raise UsageError(
            f"state= must be a mapping of names to JSON values, not {type(state).__name__}",
            hint="pass the application state as a dict, e.g. state={'order': 42}",
            cli_hint="pass --state FILE, a JSON file holding an object",
        )
    data = dict(cast("Mapping[object, Any]", state))
    for name in data:
        if not isinstance(name, str):
            raise UsageError(
                f"state= keys must be strings (JSON object keys), not {type(name).__name__}",
                hint="convert the keys to strings before packing",
            )
    check_json(data, at=("state",))
    return cast("dict[str, Any]", data)


def _hop(previous: Envelope) -> Hop:
    return Hop(
        envelope_id=previous.id,
        sender=previous.sender,
        receiver=previous.receiver,
        at=previous.created_at,
        head=previous.integrity.head,
        messages=previous.integrity.messages,
        key_id=previous.signature.key_id if previous.signature else None,
    )
