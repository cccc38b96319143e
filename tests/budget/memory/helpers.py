"""Small builders shared by the memory tests."""

from __future__ import annotations

from aifkit.aif import Document, Message, TextPart, ToolCallPart, ToolResultPart


def text(role: str, body: str) -> Message:
    return Message(role=role, parts=(TextPart(text=body),))  # type: ignore[arg-type]


def call(call_id: str, name: str, **arguments: object) -> Message:
    return Message(
        role="assistant", parts=(ToolCallPart(id=call_id, name=name, arguments=arguments),)
    )


def result(call_id: str, body: str) -> Message:
    return Message(
        role="tool", parts=(ToolResultPart(call_id=call_id, content=(TextPart(text=body),)),)
    )


def support_chat() -> Document:
    """A support conversation with facts to keep and chatter to drop."""
    return Document(
        messages=(
            text("user", "Hi! My name is Dana Reyes and my order ord_4471 never arrived."),
            text("assistant", "I am sorry to hear that. Let me look the order up for you."),
            call("c1", "lookup_order", order="ord_4471"),
            result("c1", "status: lost in transit; carrier tracking 1Z999AA10123456784"),
            text("assistant", "The parcel was lost in transit. I can send a replacement."),
            text("user", "Yes please, send it to 221 Baker Street, London."),
            text("assistant", "Done. The replacement ships tomorrow."),
            text("user", "Thanks. When will it arrive?"),
        )
    )
