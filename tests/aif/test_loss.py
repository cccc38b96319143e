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


def test_locate_keeps_every_pointer_inside_the_source() -> None:
    # Bedrock nests an image's media type as the block's "format", beside "source".
    sm = SourceMap(fields={"source": (("image", "source"),), "media_type": (("image", "format"),)})
    sm.add(("messages", 0, "parts", 0), ("messages", 0, "content", 0))
    body = {"messages": [{"content": [{"image": {"format": "png", "source": {"bytes": "AA=="}}}]}]}
    part = ("messages", 0, "parts", 0)
    assert sm.locate((*part, "source", "media_type"), body) == ("messages", 0, "content", 0, "image", "format")  # fmt: skip
    assert sm.locate((*part, "source", "data"), body) == ("messages", 0, "content", 0, "image", "source")  # fmt: skip
    assert sm.locate(("instructions", 0), body) == ()


def test_losses_of_values_the_decoder_made_up_are_left_out() -> None:
    sm = SourceMap()
    sm.add(("messages", 1, "parts", 0), ("contents", 1, "parts", 0))
    sm.invent(("messages", 1, "parts", 0, "id"))
    log = LossLog()
    log.add(("messages", 1, "parts", 0, "id"), "dropped", "ollama/tool-call-id", "info")
    log.add(("messages", 1, "parts", 0), "dropped", "ollama/other", "info")
    body = {"contents": [{}, {"parts": [{"functionCall": {"name": "f"}}]}]}
    assert [e.pointer for e in log.resolve(sm, body)] == ["/contents/1/parts/0"]
