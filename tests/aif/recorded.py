"""Recorded AIF documents as this aifkit reads them.

The golden ``*.aif.json`` fixtures beside each format's recorded bodies were written
at AIF 1.0.0 and stay so: they are old documents every later aifkit must load.
What a decoder writes today is such a document brought to the current version by
the registered upgrade steps (`tests/aif/test_migrate.py` checks that the steps
change nothing else).
"""

from __future__ import annotations

from typing import Any

from aifkit.aif import dump_document, load_document


def today(recorded: dict[str, Any]) -> dict[str, Any]:
    """Return the JSON of a recorded document as read today: upgraded, validated, written back.

    Examples:
        >>> today({"aif_version": "1.0.0", "messages": []})
        {'aif_version': '1.1.0'}
    """
    return dump_document(load_document(recorded))
