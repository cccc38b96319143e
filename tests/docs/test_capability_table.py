"""The capability table in docs/aif/formats.md is the one the code generates."""

from __future__ import annotations

import re
from pathlib import Path

from aifkit.aif import capabilities, capability_table, formats

PAGE = Path(__file__).parents[2] / "docs" / "aif" / "formats.md"
START, END = "<!-- capabilities:start -->", "<!-- capabilities:end -->"


def test_the_docs_table_is_current() -> None:
    text = PAGE.read_text(encoding="utf-8")
    found = re.search(re.escape(START) + r"\n(.*?)\n" + re.escape(END), text, re.S)
    assert found, f"{PAGE} has no {START} ... {END} section"
    expected = capability_table({name: capabilities(name) for name in formats()})
    assert found.group(1) == expected, (
        "the capability table in docs/aif/formats.md is stale: regenerate it with "
        "`aif formats --capabilities` and paste it between the markers"
    )


def regenerate() -> None:
    """Rewrite the table in place (``make capabilities``)."""
    text = PAGE.read_text(encoding="utf-8")
    table = capability_table({name: capabilities(name) for name in formats()})
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    PAGE.write_text(f"{head}{START}\n{table}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    regenerate()
