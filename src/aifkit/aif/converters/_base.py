"""The `Converter` protocol every wire format implements, what it returns, and
`FormatConverter`, the base that implements it once from a format's data and steps."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

from aifkit.aif._features import Capabilities
from aifkit.aif._loss import LossLog, SourceMap
from aifkit.aif._schema import Document
from aifkit.aif.converters._common import ensure_json

__all__ = [
    "Capabilities",
    "Checker",
    "Converter",
    "Decoded",
    "EncodeOptions",
    "Encoded",
    "FormatConverter",
    "Violation",
]


@dataclass(frozen=True, slots=True)
class EncodeOptions:
    """Choices a conversion makes where the target cannot carry the source as it is.

    Attributes:
        reasoning: What to do with reasoning the target cannot replay (another
            provider's signed thinking, or a target with no reasoning input):
            ``"drop"`` it, or keep it as ``"text"`` wrapped in ``<reasoning>`` tags.
        default_max_tokens: ``max_tokens`` to send when the target requires one
            and the source had none.
        model: The model to name when the document names none, or (in `convert`)
            names another provider's model, e.g. ``gpt-4o`` converted to
            ``anthropic``; formats that keep the model outside the body, such as
            Gemini's URL, leave it out. Without it such a model is sent as it is
            and reported (``TARGET/model-not-carried``).
    """

    reasoning: Literal["drop", "text"] = "drop"
    default_max_tokens: int = 4096
    model: str | None = None


@dataclass(frozen=True, slots=True)
class Decoded:
    """What `Converter.decode` returns.

    Attributes:
        document: The AIF document.
        source_map: AIF paths -> source paths, for loss pointers.
        losses: What decoding itself changed (paths are source paths).
        unchecked: The indices of the messages whose inline data the decoder did
            not check to be base64 itself, in order; None (the default) for all of
            them. `convert` checks these (`check_inline_data`).
    """

    document: Document
    source_map: SourceMap = field(default_factory=SourceMap)
    losses: LossLog = field(default_factory=LossLog)
    unchecked: Sequence[int] | None = None


@dataclass(frozen=True, slots=True)
class Encoded:
    """What `Converter.encode` returns.

    Attributes:
        body: The request body in the target format.
        losses: What the target could not carry (paths are AIF paths).
    """

    body: Any
    losses: LossLog = field(default_factory=LossLog)


@dataclass(frozen=True, slots=True)
class Violation:
    """A rule of a wire format that a body breaks."""

    pointer: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.message} [{self.rule}]"

    def to_json(self) -> dict[str, str]:
        """Return the violation as a JSON object."""
        return {"pointer": self.pointer, "rule": self.rule, "message": self.message}


class Converter(Protocol):
    """A wire format: reads its bodies into AIF and writes AIF back out.

    ``decode(body)`` then ``encode(document)`` must return a body equal to ``body``,
    key for key. ``encode`` must enforce the format's rules on any document and log
    in its `LossLog` everything it could not carry.
    """

    name: str
    """The format's name, e.g. ``"openai-chat"``; also its extensions namespace."""

    capabilities: Capabilities
    """What the format carries, feature by feature, and every loss rule its encoder
    logs; the conversion matrix test holds the encoder to it."""

    def decode(self, body: Any) -> Decoded:
        """Read a request body.

        Raises:
            InvalidInputError: the body is malformed; the pointer names where.
        """
        ...

    def encode(self, document: Document, options: EncodeOptions) -> Encoded:
        """Write a document as a request body in this format."""
        ...

    def validate(self, body: Any) -> list[Violation]:
        """Return every rule of this format that ``body`` breaks (empty when valid)."""
        ...


class Checker(Protocol):
    """What a format's validator is: it reads one body and collects what it breaks.

    `aifkit.aif.converters._checks.RuleChecker` is the usual base: it runs the
    decoder as the schema check and records ``<format>/<rule>`` violations.
    """

    found: list[Violation]

    def body(self, body: Any) -> None:
        """Record every rule ``body`` breaks in `found`; never raise."""
        ...


class FormatConverter:
    """The `Converter` protocol, implemented once for every wire format.

    A format declares its data and its steps; this base turns them into the three
    methods of the protocol:

    * ``name`` and ``capabilities``, as the protocol asks;
    * ``read``: the decode step, a function ``body -> Decoded`` (the body is
      already checked to be JSON);
    * ``write``: the encode step, a function ``(document, options) -> Encoded``;
    * ``checker``: the validator, a class (or factory) called with ``name`` whose
      ``body(body)`` collects the violations (see `Checker`);
    * ``render_only``: True for a format that can be written but not read back
      (``chatml``); `aifkit.aif.detect_format` never guesses such a format.
    * ``checks_json``: True when ``decode`` refuses, as it reads, what
      `aifkit._limits.check_json` refuses, with the same error; `convert` and
      `decode` then do not walk the body first.

    The functions are stored with ``staticmethod`` so that they are not bound.

    Examples:
        >>> from aifkit.aif._features import STRUCTURE
        >>> from aifkit.aif._codec import dump_document, load_document
        >>> class Found:  # a validator that finds nothing
        ...     def __init__(self, name: str) -> None:
        ...         self.found: list[Violation] = []
        ...     def body(self, body: Any) -> None:
        ...         pass
        >>> class Echo(FormatConverter):
        ...     name = "echo"
        ...     capabilities = Capabilities(carries={}, rules={"x": STRUCTURE})
        ...     read = staticmethod(lambda body: Decoded(load_document(body)))
        ...     write = staticmethod(lambda doc, options: Encoded(dump_document(doc)))
        ...     checker = Found
        >>> body = {"messages": [{"role": "user", "parts": [{"type": "text", "text": "hi"}]}]}
        >>> conv = Echo()
        >>> conv.encode(conv.decode(body).document, EncodeOptions()).body["messages"][0]["role"]
        'user'
        >>> conv.validate(body), conv.render_only
        ([], False)
    """

    name: str
    capabilities: Capabilities
    read: Callable[[Any], Decoded]
    write: Callable[[Document, EncodeOptions], Encoded]
    checker: Callable[[str], Checker]
    render_only: ClassVar[bool] = False
    checks_json: ClassVar[bool] = False

    def decode(self, body: Any) -> Decoded:
        """Read a request body into an AIF document.

        Raises:
            InvalidInputError: the body is malformed; the pointer names where.
        """
        ensure_json(body)
        return self.read(body)

    def encode(self, document: Document, options: EncodeOptions) -> Encoded:
        """Write any AIF document as a body of this format; log every change."""
        return self.write(document, options)

    def validate(self, body: Any) -> list[Violation]:
        """Return every rule of this format that ``body`` breaks (empty when valid)."""
        checker = self.checker(self.name)
        checker.body(body)
        return checker.found
