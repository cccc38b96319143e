"""The validators' shared rules (`aifkit.aif.converters._checks`): the tool-pairing rule
reads the same in Anthropic's and Bedrock's vocabularies."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from aifkit.aif import FORMATS

PAIRING_RULES = ("orphan-tool-result", "tool-result-placement", "tool-result-missing")

_BLOCK = st.one_of(
    st.just(("text", "")),
    st.tuples(st.just("call"), st.sampled_from("abc")),
    st.tuples(st.just("result"), st.sampled_from("abcd")),
)
_TURNS = st.lists(
    st.tuples(st.sampled_from(["user", "assistant"]), st.lists(_BLOCK, min_size=1, max_size=4)),
    max_size=6,
).map(
    # A result in an assistant turn breaks each format's role rule, named apart
    # (anthropic/tool-result-placement, bedrock-converse/orphan-tool-result): left out.
    lambda turns: [
        (r, [b for b in bs if r == "user" or b[0] != "result"] or [("text", "")]) for r, bs in turns
    ]
)


def anthropic(turns: list[tuple[str, list[tuple[str, str]]]]) -> dict[str, Any]:
    def block(kind: str, id: str) -> dict[str, Any]:
        if kind == "call":
            return {"type": "tool_use", "id": id, "name": "f", "input": {}}
        if kind == "result":
            return {"type": "tool_result", "tool_use_id": id, "content": "ok"}
        return {"type": "text", "text": "x"}

    messages = [{"role": r, "content": [block(*b) for b in bs]} for r, bs in turns]
    return {"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": messages}


def bedrock(turns: list[tuple[str, list[tuple[str, str]]]]) -> dict[str, Any]:
    def block(kind: str, id: str) -> dict[str, Any]:
        if kind == "call":
            return {"toolUse": {"toolUseId": id, "name": "f", "input": {}}}
        if kind == "result":
            return {"toolResult": {"toolUseId": id, "content": [{"text": "ok"}]}}
        return {"text": "x"}

    messages = [{"role": r, "content": [block(*b) for b in bs]} for r, bs in turns]
    return {"messages": messages}


def pairing(body: dict[str, Any], fmt: str) -> list[tuple[str, str, str]]:
    """The pairing violations: rule, message and block, in the order found."""
    out: list[tuple[str, str, str]] = []
    for v in FORMATS.get(fmt).validate(body):
        rule = v.rule.split("/", 1)[1]
        if rule in PAIRING_RULES:
            at = re.match(r"/messages/(\d+)/content/(\d+)", v.pointer)
            assert at is not None, v
            out.append((rule, at[1], at[2]))
    return out


@settings(max_examples=200, deadline=None)
@given(_TURNS)
def test_anthropic_and_bedrock_pair_tool_calls_by_one_rule(turns: Any) -> None:
    found = pairing(anthropic(turns), "anthropic")
    assert found == pairing(bedrock(turns), "bedrock-converse")
    # Every call of an assistant turn followed by a user turn that answers it first is fine.
    for i, (role, blocks) in enumerate(turns):
        calls = [id for kind, id in blocks if kind == "call"]
        if role != "assistant" or not calls or len(set(calls)) != len(calls):
            continue
        answer = [("result", id) for id in calls]
        fixed = [*turns[: i + 1], ("user", answer)]
        assert not [f for f in pairing(anthropic(fixed), "anthropic") if f[1] == str(i)]


def test_bedrock_cache_points_are_not_content_a_result_must_precede() -> None:
    body = {
        "messages": [
            {
                "role": "assistant",
                "content": [{"toolUse": {"toolUseId": "a", "name": "f", "input": {}}}],
            },
            {
                "role": "user",
                "content": [
                    {"cachePoint": {"type": "default"}},
                    {"toolResult": {"toolUseId": "a", "content": [{"text": "ok"}]}},
                ],
            },
        ]
    }
    assert pairing(body, "bedrock-converse") == []
    body["messages"][1]["content"][0] = {"text": "x"}
    assert pairing(body, "bedrock-converse") == [("tool-result-placement", "1", "1")]
