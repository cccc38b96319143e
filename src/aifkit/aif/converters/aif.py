"""The ``aif`` format itself: AIF documents as JSON."""

from __future__ import annotations

from typing import Any

from aifkit.aif._codec import dump_document, load_document
from aifkit.aif._features import FEATURES, Capabilities
from aifkit.aif._schema import Document
from aifkit.aif.converters._base import Decoded, Encoded, EncodeOptions, Violation
from aifkit.errors import InvalidInputError

__all__ = ["AifConverter"]


class AifConverter:
    """Reads and writes AIF documents; nothing is lost either way."""

    name = "aif"
    capabilities = Capabilities(carries=dict.fromkeys(FEATURES, "yes"), rules={})

    def decode(self, body: Any) -> Decoded:
        """Validate an AIF document (upgrading older versions)."""
        return Decoded(load_document(body))

    def encode(self, document: Document, options: EncodeOptions) -> Encoded:
        """Write the document as JSON-ready data."""
        return Encoded(dump_document(document))

    def validate(self, body: Any) -> list[Violation]:
        """Return the first schema violation of ``body``, if any."""
        try:
            load_document(body)
        except InvalidInputError as exc:
            return [Violation(exc.pointer, "aif/schema", exc.problem)]
        return []
