"""Loss reports and source maps."""

from __future__ import annotations

from aifkit.aif._loss import LossLog, SourceMap


def test_source_map_uses_longest_prefix() -> None:
    sm = SourceMap()
    sm.add(("messages", 3), ("messages", 2))
    sm.add(("messages", 3, "parts", 1), ("messages", 2, "tool_calls", 0))
    assert sm.translate(("messages", 3, "parts", 1, "arguments")) == (
        "messages",
        2,
        "tool_calls",
        0,
        "arguments",
    )
    assert sm.translate(("messages", 3, "parts", 0)) == ("messages", 2, "parts", 0)
    assert sm.translate(("tools", 0)) == ("tools", 0)


def test_log_resolves_pointers_through_the_map() -> None:
    sm = SourceMap()
    sm.add(("messages", 1, "extensions", "openai-chat", "extra"), ("messages", 0))
    log = LossLog()
    log.add(
        ("messages", 1, "extensions", "openai-chat", "extra", "a/b"), "dropped", "x/y", "warning"
    )
    (entry,) = log.resolve(sm)
    assert entry.pointer == "/messages/0/a~1b"
    assert entry.to_json() == {
        "pointer": "/messages/0/a~1b",
        "action": "dropped",
        "rule": "x/y",
        "severity": "warning",
        "detail": "",
    }
