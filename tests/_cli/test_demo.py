"""`aif demo`, the README's main job: every bundled example round-trips and every loss is shown."""

from __future__ import annotations

import pytest

from aifkit._cli import main
from aifkit.aif import convert
from aifkit.examples import example, examples


def test_demo_shows_each_conversion_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert out.count("round trip exact") == len(examples())
    for source, name in examples():
        _, report = convert(
            example(source, name),
            source=source,
            target="anthropic" if source != "anthropic" else "openai-chat",
        )
        for entry in report:
            assert entry.rule in out
