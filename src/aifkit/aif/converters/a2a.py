"""The ``a2a`` format: an Agent2Agent (A2A) ``Message``, or the ``Task`` whose history
holds a conversation, in the JSON of the ``a2a-sdk`` 1.x protobuf types.

A2A messages have two roles (``ROLE_USER``, ``ROLE_AGENT``) and parts holding
text, bytes, a URL or JSON data, which cannot say what an LLM conversation says
(instructions, tool calls and results, reasoning, settings). So aifkit sends the
whole AIF document as a ``data`` part of media type ``application/vnd.aif+json``,
beside a text summary for agents that do not know AIF, and declares it as an A2A
extension (``https://aifkit.dev/a2a/aif/v1`` in the message's ``extensions``). An
agent that knows the extension restores the exact document.

Decoding lives in ``_a2a_decode``, encoding in ``_a2a_encode``.
`A2AConverter.validate` reports ``a2a/schema`` (a wrong type, a missing key, an
unknown role, a part without exactly one of text/raw/url/data, an embedded AIF
document that does not load), ``a2a/message-id`` (a message without a
``messageId``), ``a2a/extension-undeclared`` (an AIF data part without the
extension URI in ``extensions``) and ``a2a/task-id`` (a task without an ``id``).
"""

from __future__ import annotations

from typing import Any, Final, cast

from aifkit.aif._features import FEATURES, Capabilities
from aifkit.aif._loss import Path
from aifkit.aif._schema import Document
from aifkit.aif.converters._a2a_decode import (
    EXTENSION_URI,
    NAME,
    aif_part_index,
    decode_body,
    is_task,
)
from aifkit.aif.converters._a2a_encode import encode_document, summarize
from aifkit.aif.converters._base import Decoded, Encoded, EncodeOptions, Violation
from aifkit.aif.converters._checks import RuleChecker
from aifkit.aif.converters._common import ensure_json

__all__ = ["A2AConverter"]

CAPABILITIES: Final = Capabilities(
    carries=dict.fromkeys(FEATURES, "yes"),
    rules={},
    notes={
        "text": (
            "the whole AIF document travels as an application/vnd.aif+json data part "
            f"(extension {EXTENSION_URI}); agents without the extension read a text summary"
        )
    },
)


class A2AConverter:
    """Reads and writes A2A messages and tasks.

    Any document is written as a message carrying it whole (an AIF data part and a
    text summary), so nothing is lost; reading such a message restores the exact
    document. A plain A2A message or task is read natively (its parts as text,
    image, audio and document parts) and written back as it was.

    Examples:
        >>> from aifkit.aif import EncodeOptions, load_document
        >>> conv = A2AConverter()
        >>> doc = load_document({"messages": [
        ...     {"role": "user", "parts": [{"type": "text", "text": "Weather in Oslo?"}]}]})
        >>> body = conv.encode(doc, EncodeOptions()).body
        >>> [sorted(p) for p in body["parts"]], body["extensions"]
        ([['text'], ['data', 'mediaType']], ['https://aifkit.dev/a2a/aif/v1'])
        >>> body["parts"][1]["mediaType"]
        'application/vnd.aif+json'
        >>> conv.decode(body).document.messages == doc.messages
        True
    """

    name = NAME
    capabilities = CAPABILITIES

    def decode(self, body: Any) -> Decoded:
        """Read an A2A Message or Task into an AIF document.

        Raises:
            InvalidInputError: the body is malformed; the pointer names where.
        """
        ensure_json(body)
        return decode_body(body, summarize)

    def encode(self, document: Document, options: EncodeOptions) -> Encoded:
        """Write any AIF document as an A2A message (or the task it was read from)."""
        return encode_document(document, options, lambda b: decode_body(b, summarize).document)

    def validate(self, body: Any) -> list[Violation]:
        """Return every A2A rule ``body`` breaks."""
        checker = RuleChecker(NAME)
        checker.schema(lambda b: decode_body(b, summarize), body)
        found, flag = checker.found, checker.flag
        if not isinstance(body, dict):
            return found
        root = cast("dict[str, Any]", body)
        if is_task(root):
            if not root.get("id"):
                flag(("id",), "task-id", "a task needs an id")
            history = root.get("history")
            for i, m in enumerate(cast("list[Any]", history) if isinstance(history, list) else []):
                if isinstance(m, dict):
                    _check_message(cast("dict[str, Any]", m), ("history", i), flag)
        else:
            _check_message(root, (), flag)
        return found


def _check_message(m: dict[str, Any], path: Path, flag: Any) -> None:
    if not m.get("messageId"):
        flag((*path, "messageId"), "message-id", "a message needs a messageId")
    parts = m.get("parts")
    if isinstance(parts, list) and aif_part_index(cast("list[Any]", parts)) is not None:
        extensions = m.get("extensions")
        if not isinstance(extensions, list) or EXTENSION_URI not in extensions:
            msg = f"an AIF data part needs {EXTENSION_URI} in the message's extensions"
            flag((*path, "extensions"), "extension-undeclared", msg)
