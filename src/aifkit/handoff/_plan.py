"""Planning a hand-off, and turning an envelope into the receiver's request.

The planner preflights the conversation in the receiver's format before anything
is sent: which messages move as they are, which the summary covers instead (when
a model and budget are given, the token allocation manager decides, keeping the
instructions, the tools, the current turn and whole tool exchanges), and what the
target format cannot carry (the loss report of the planned request, its pointers
into the conversation as handed off).
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aifkit._json import canonical_json
from aifkit.aif._codec import load_document
from aifkit.aif._convert import Conversion, encode
from aifkit.aif._loss import LossEntry, LossReport
from aifkit.aif._schema import (
    Document,
    Instruction,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from aifkit.errors import InvalidInputError, UsageError
from aifkit.handoff._envelope import Envelope, Party, PlanRecord, as_key, load_envelope
from aifkit.handoff._verify import verify_handoff

if TYPE_CHECKING:
    from pathlib import Path

    from aifkit.budget import PackReport
    from aifkit.handoff._crypto import HandoffKey

__all__ = ["HandoffPlan", "digest_summary", "plan_handoff", "planned_document", "unpack_handoff"]

SUMMARY_CHARS = 240
"""Characters kept of each message in an extractive digest."""

_MESSAGE_POINTER = re.compile(r"^/messages/(\d+)")


@dataclass(frozen=True, slots=True)
class HandoffPlan:
    """What a hand-off will send, decided before anything is sent.

    Attributes:
        target: The receiver's wire format.
        model: The receiver's model (when packing within a budget).
        budget: The most prompt tokens the receiver's request may take.
        moved: Indexes of the messages sent as they are.
        summarized: Indexes of the messages the summary covers instead.
        summary: An extractive digest of the summarized messages (None when none are).
        report: The loss report of the planned request in ``target``; its pointers
            point into the conversation as handed off.
        pack: The token allocation report, when a model was given.
    """

    target: str
    model: str | None
    budget: int | None
    moved: tuple[int, ...]
    summarized: tuple[int, ...]
    summary: str | None
    report: LossReport
    pack: PackReport | None = None

    @property
    def dropped(self) -> tuple[LossEntry, ...]:
        """What the target cannot carry at all."""
        return self.report.dropped

    def record(self) -> PlanRecord:
        """Return the part of the plan an envelope records."""
        return PlanRecord(
            target=self.target,
            model=self.model,
            budget=self.budget,
            moved=self.moved,
            summarized=self.summarized,
            losses=tuple(e.to_json() for e in self.report),
        )

    def to_json(self) -> dict[str, Any]:
        """Return the plan as JSON-ready data (the pack report's totals, not its items)."""
        data: dict[str, Any] = {
            "target": self.target,
            "model": self.model,
            "budget": self.budget,
            "moved": list(self.moved),
            "summarized": list(self.summarized),
            "summary": self.summary,
            "report": self.report.to_json(),
        }
        if self.pack is not None:
            data["tokens"] = {"before": self.pack.tokens_before, "after": self.pack.tokens_after}
        return data


def plan_handoff(
    document: Document | Mapping[str, Any],
    target_format: str,
    *,
    model: str | None = None,
    budget: int | None = None,
) -> HandoffPlan:
    """Preflight a hand-off: what moves, what is summarized, what the target drops.

    Args:
        document: The conversation (AIF).
        target_format: The receiver's wire format, e.g. ``"anthropic"``.
        model: The receiver's model; with it the conversation is packed within
            ``budget`` (default: the model's window minus the reply reserve).
        budget: The most prompt tokens the receiver's request may take.

    Raises:
        UsageError: a budget without a model to count tokens with.
        UnknownNameError: the format or model is unknown.
        BudgetError: what must be kept does not fit the budget.

    Examples:
        >>> doc = {"messages": [{"role": "user", "parts": [{"type": "text", "text": "Hi"}],
        ...                      "name": "ada"}]}
        >>> plan = plan_handoff(doc, "anthropic")
        >>> plan.moved, [(e.pointer, e.action) for e in plan.dropped]
        ((0,), [('/messages/0/name', 'dropped')])
    """
    doc = load_document(document)
    if budget is not None and model is None:
        raise UsageError(
            "a hand-off budget needs the receiver's model to count tokens",
            hint="pass model=",
            cli_hint="pass --model",
        )
    everything = tuple(range(len(doc.messages)))
    moved, pack = everything, None
    if model is not None:
        from aifkit.budget import Packer

        packed = Packer(model).pack(doc, budget=budget)
        pack = packed.report
        moved = tuple(
            int(i.pointer.rsplit("/", 1)[1])
            for i in pack.items
            if i.kind == "message" and i.decision == "kept"
        )
    kept = set(moved)
    summarized = tuple(i for i in everything if i not in kept)
    summary = digest_summary([doc.messages[i] for i in summarized]) if summarized else None
    planned = planned_document(doc, moved, summary)
    _, report = encode(planned, target_format)
    return HandoffPlan(
        target_format, model, budget, moved, summarized, summary, _remap(report, moved), pack
    )


def planned_document(
    document: Document,
    moved: Sequence[int],
    summary: str | None,
    sender: Party | None = None,
) -> Document:
    """Return the conversation the receiver gets: the moved messages, the summary ahead.

    The summary becomes a system instruction after the conversation's own; it is
    added only when messages were left out.
    """
    if len(moved) == len(document.messages):
        return document
    messages = tuple(document.messages[i] for i in moved)
    instructions = document.instructions
    if summary:
        who = f" from {sender.agent}" if sender is not None and sender.agent else ""
        text = f"Summary of the earlier conversation, handed off{who}:\n{summary}"
        instructions = (*instructions, Instruction(role="system", parts=(TextPart(text=text),)))
    return document.model_copy(update={"messages": messages, "instructions": instructions})


def digest_summary(messages: Sequence[Message]) -> str:
    """Return an extractive digest of ``messages``: one line per message, tool calls by name.

    Examples:
        >>> from aifkit.aif import Message, TextPart
        >>> print(digest_summary([Message(role="user", parts=(TextPart(text="Book a flight."),))]))
        - user: Book a flight.
    """
    lines: list[str] = []
    for message in messages:
        bits: list[str] = []
        for part in message.parts:
            if isinstance(part, TextPart):
                bits.append(part.text)
            elif isinstance(part, ToolCallPart):
                args = (
                    canonical_json(part.arguments)
                    if part.raw_arguments is None
                    else part.raw_arguments
                )
                bits.append(f"[called {part.name} {args} as {part.id}]")
            elif isinstance(part, ToolResultPart):
                text = " ".join(p.text for p in part.content if isinstance(p, TextPart))
                bits.append(f"[result of {part.call_id}: {text}]")
            elif not isinstance(part, ReasoningPart):
                bits.append(f"[{part.type}]")
        text = " ".join(" ".join(bits).split())
        if len(text) > SUMMARY_CHARS:
            text = text[: SUMMARY_CHARS - 1] + "…"
        lines.append(f"- {message.role}: {text}")
    return "\n".join(lines)


def unpack_handoff(
    envelope: Envelope | Mapping[str, Any] | str | bytes,
    to: str,
    *,
    key: HandoffKey | bytes | Path | None = None,
    verify: bool = True,
    whole: bool = False,
    receiver: str | None = None,
    seen: Container[str] = (),
) -> Conversion:
    """Verify an envelope and write the receiver's request body in ``to``.

    The body holds what the envelope's plan moved, with its summary as a system
    instruction in place of the messages left out (``whole=True`` sends every
    message instead).

    Args:
        envelope: The envelope, its JSON, or its JSON text.
        to: The wire format to write.
        key: The key to verify the signature with (see `verify_handoff`).
        verify: Verify first (default); a failure raises.
        whole: Ignore the plan and send the whole conversation.
        receiver: Fail unless the envelope is addressed to this agent.
        seen: Ids of envelopes already accepted: fail if this is one of them.

    Returns:
        The body and its loss report (pointers into the conversation as handed off).

    Raises:
        VerificationError: the envelope failed verification; ``.failures`` says how.
        InvalidInputError: it is not a well-formed envelope.
        UnknownNameError: ``to`` is not a known format.

    Examples:
        >>> from aifkit.handoff import pack_handoff
        >>> doc = {"messages": [{"role": "user", "parts": [{"type": "text", "text": "hi"}]}]}
        >>> body, report = unpack_handoff(pack_handoff(doc).to_json(), "openai-chat")
        >>> body["messages"], report.lossless
        ([{'role': 'user', 'content': 'hi'}], True)
    """
    try:
        env = load_envelope(envelope)  # read once, for verifying and for writing
    except InvalidInputError:
        if verify:  # a malformed envelope fails verification, naming where
            verify_handoff(envelope).raise_for_failures()
        raise
    if verify:
        verify_handoff(env, as_key(key), receiver=receiver, seen=seen).raise_for_failures()
    doc = env.conversation
    moved: tuple[int, ...] = tuple(range(len(doc.messages)))
    if env.plan is not None and not whole:
        moved = _checked_moved(env.plan.moved, len(doc.messages))
    planned = planned_document(doc, moved, env.summary, env.sender)
    body, report = encode(planned, to)
    return Conversion(body, _remap(report, moved))


def _checked_moved(moved: Sequence[int], n: int) -> tuple[int, ...]:
    """Return the plan's moved indexes when each names a message, in order, once.

    `verify_handoff` checks this; an envelope unpacked with ``verify=False`` is
    checked here, so a plan that does not fit its conversation is an error, not a crash.
    """
    previous = -1
    for k, i in enumerate(moved):
        if not previous < i < n:
            where = f"message {i} is not in the conversation ({n} messages)"
            raise InvalidInputError(
                f"/plan/moved/{k}",
                where if not 0 <= i < n else f"message {i} is out of order or repeated",
                hint="the plan does not fit this conversation: verify the envelope, "
                "or unpack it with whole=True",
                cli_hint="the plan does not fit this conversation: verify the envelope, "
                "or unpack it with --whole",
            )
        previous = i
    return tuple(moved)


def _remap(report: LossReport, moved: Sequence[int]) -> LossReport:
    """Point a planned request's losses at the messages' places in the whole conversation."""
    if all(i == j for i, j in enumerate(moved)):
        return report

    def fix(entry: LossEntry) -> LossEntry:
        hit = _MESSAGE_POINTER.match(entry.pointer)
        if hit is None or int(hit.group(1)) >= len(moved):
            return entry
        pointer = f"/messages/{moved[int(hit.group(1))]}" + entry.pointer[hit.end() :]
        return LossEntry(pointer, entry.action, entry.rule, entry.severity, entry.detail)

    return LossReport(report.source, report.target, tuple(fix(e) for e in report))
