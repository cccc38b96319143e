"""The render-only ``chatml`` format: prompts through Hugging Face chat templates
(golden prompts per built-in template, agreement with the published templates,
the sandbox, loss reports, token counting) and its refusal to decode."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aifkit.aif import FORMATS, Document, EncodeOptions, convert, load_document
from aifkit.aif.converters.chatml import (
    TEMPLATES,
    ChatMLConverter,
    RenderOnlyError,
    pick_template,
    render_prompt,
)
from aifkit.errors import MissingDependencyError, UsageError
from tests.aif.strategies import documents

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CONV = ChatMLConverter()

# Published templates, verbatim: the classic ChatML one from the transformers docs
# and Meta-Llama-3-8B-Instruct's tokenizer_config.json.
HF_CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content']"
    " + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
HF_LLAMA3 = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
    "+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
    "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
    "{% endif %}"
)


def fixture(name: str) -> Document:
    return load_document(json.loads((FIXTURES / "chatml" / f"{name}.aif.json").read_text("utf-8")))


def losses(doc: Document | dict[str, Any], template: str | None = None, **options: Any) -> Any:
    document = doc if isinstance(doc, Document) else load_document(doc)
    rendered = render_prompt(document, template, options=EncodeOptions(**options))
    return rendered.prompt, [(e.pointer, e.action, e.rule) for e in rendered.losses]


def text(t: str) -> dict[str, Any]:
    return {"type": "text", "text": t}


def msg(role: str, *parts: dict[str, Any]) -> dict[str, Any]:
    return {"role": role, "parts": list(parts)}


# -- render-only ----------------------------------------------------------------------


def test_the_format_is_registered_and_render_only() -> None:
    assert isinstance(FORMATS.get("chatml"), ChatMLConverter)
    with pytest.raises(RenderOnlyError) as info:
        convert({"prompt": "<|im_start|>user\nhi<|im_end|>\n"}, source="chatml", target="aif")
    assert isinstance(info.value, UsageError)
    assert "render-only" in str(info.value)


def test_converting_to_chatml_works_from_any_format() -> None:
    body = json.loads((FIXTURES / "openai-chat" / "plain-chat.json").read_text("utf-8"))["body"]
    out, report = convert(body, source="openai-chat", target="chatml")
    assert out == {
        "prompt": "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n"
        "Hi there. How can I help?<|im_end|>\n<|im_start|>user\n"
        "Write a haiku about recursion.<|im_end|>\n<|im_start|>assistant\n",
        "template": "chatml",
        "model": "gpt-4o",
    }
    assert report.lossless
    assert CONV.validate(out) == []


# -- golden prompts -------------------------------------------------------------------


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("name", ["plain", "weather"])
def test_golden_prompts(name: str, template: str) -> None:
    expected = (FIXTURES / "chatml" / f"{name}.{template}.txt").read_text("utf-8")
    assert render_prompt(fixture(name), template).prompt == expected


def test_the_model_picks_the_template() -> None:
    doc = fixture("plain").model_copy(update={"settings": fixture("plain").settings.model_copy(
        update={"model": "mistralai/Mistral-7B-Instruct-v0.3"})})  # fmt: skip
    body = CONV.encode(doc, EncodeOptions()).body
    assert body["template"] == "mistral"
    assert body["prompt"].startswith("<s>[INST] Be concise.\n\nWhat is ChatML?[/INST]")
    assert pick_template("gemma-2-9b-it") == "gemma"
    assert ChatMLConverter("llama-3").encode(doc, EncodeOptions()).body["template"] == "llama-3"


_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
    min_size=1,
    max_size=20,
)


@st.composite
def plain_conversations(draw: st.DrawFn) -> Document:
    messages = [
        msg(role, text(draw(_TEXT)))
        for role in draw(st.lists(st.sampled_from(["user", "assistant"]), min_size=1, max_size=6))
    ]
    instructions = [msg("system", text(draw(_TEXT)))] if draw(st.booleans()) else []
    return load_document({"instructions": instructions, "messages": messages})


@settings(max_examples=60, deadline=None)
@given(doc=plain_conversations(), generation=st.booleans())
def test_built_ins_agree_with_the_published_templates(doc: Document, generation: bool) -> None:
    for builtin, published, bos in (("chatml", HF_CHATML, ""), ("llama-3", HF_LLAMA3, None)):
        ours = render_prompt(doc, builtin, add_generation_prompt=generation).prompt
        theirs = render_prompt(
            doc, published, add_generation_prompt=generation, bos_token=bos or "<|begin_of_text|>"
        )
        assert theirs.template == "custom"
        assert ours == theirs.prompt


@pytest.mark.parametrize("template", TEMPLATES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents())
def test_any_document_renders(template: str, doc: Document) -> None:
    encoded = ChatMLConverter(template).encode(doc, EncodeOptions(reasoning="text"))
    assert CONV.validate(encoded.body) == []
    assert encoded.body["template"] == template
    rules = {e.rule.removeprefix("chatml/") for e in encoded.losses.resolve(None)}
    assert rules <= set(CONV.capabilities.rules)
    for m in doc.messages:  # every text of the conversation is in the prompt
        for p in m.parts:
            if p.type == "text":
                assert p.text.strip() in encoded.body["prompt"]


def test_the_prompt_can_be_counted() -> None:
    from aifkit.tokens import get_tokenizer

    prompt = render_prompt(fixture("weather")).prompt
    tok = get_tokenizer("o200k_base")
    assert tok.count(prompt) == len(tok.encode(prompt)) > 100


# -- what a prompt cannot carry ---------------------------------------------------------


def test_what_a_text_prompt_cannot_carry_is_reported() -> None:
    prompt, found = losses(
        {
            "messages": [
                {**msg("user", text("look"), {"type": "image", "source": {"kind": "url", "url": "https://x/a.png"}}), "name": "ada"},
                msg("assistant", {"type": "reasoning", "text": "hm"}, {"type": "refusal", "text": "No."}),
                msg("user", {"type": "document", "source": {"kind": "text", "text": "notes"}, "title": "N"}),
                msg("assistant", {"type": "tool_call", "id": "c1", "name": "f", "arguments": {}}),
                msg("tool", {"type": "tool_result", "call_id": "c1", "is_error": True, "content": [
                    text("boom"), {"type": "image", "source": {"kind": "base64", "data": "AAAA"}}]}),
            ],
            "settings": {"model": "qwen2.5", "temperature": 0.2, "tool_choice": {"mode": "required"}},
        },
        reasoning="text",
    )  # fmt: skip
    assert "<think>\nhm\n</think>\nNo." in prompt
    assert "N\n\nnotes" in prompt
    assert "<tool_response>\nError: boom\n</tool_response>" in prompt
    assert found == [
        ("/messages/0/name", "dropped", "chatml/message-name"),
        ("/messages/0/parts/1", "dropped", "chatml/media"),
        ("/messages/1/parts/0", "transformed", "chatml/reasoning-text"),
        ("/messages/1/parts/1", "transformed", "chatml/refusal"),
        ("/messages/2/parts/0", "transformed", "chatml/document-text"),
        ("/messages/3/parts/0/id", "dropped", "chatml/tool-call-id"),
        ("/messages/4/parts/0/content/1", "dropped", "chatml/tool-result-media"),
        ("/messages/4/parts/0/is_error", "transformed", "chatml/tool-error-flag"),
        ("/messages/4/parts/0/call_id", "dropped", "chatml/tool-call-id"),
        ("/settings/temperature", "dropped", "chatml/setting"),
        ("/settings/tool_choice", "dropped", "chatml/tool-choice"),
    ]


def test_templates_without_system_or_tool_roles_log_the_change() -> None:
    doc = {
        "instructions": [msg("developer", text("Rule."))],
        "messages": [
            msg("user", text("a")),
            msg("user", text("b")),
            msg("system", text("Late.")),
            msg("assistant", {"type": "tool_call", "id": "c1", "name": "f", "arguments": {}}),
            msg("tool", {"type": "tool_result", "call_id": "c1", "content": [text("r")]}),
        ],
    }
    prompt, found = losses(doc, "gemma")
    assert prompt.startswith("<bos><start_of_turn>user\nRule.\n\na\n\nb\n\nLate.<end_of_turn>\n")
    assert found == [
        ("/instructions/0", "transformed", "chatml/developer-instructions"),
        ("/instructions", "transformed", "chatml/system-as-user"),
        ("/messages/2", "transformed", "chatml/system-position"),
        ("/messages/3/parts/0/id", "dropped", "chatml/tool-call-id"),
        ("/messages/4/parts/0", "transformed", "chatml/tool-role"),
        ("/messages/4/parts/0/call_id", "dropped", "chatml/tool-call-id"),
        ("/messages/1", "transformed", "chatml/alternating-roles"),
        ("/messages/2", "transformed", "chatml/alternating-roles"),
    ]


def test_a_call_outside_an_assistant_turn_is_text() -> None:
    prompt, found = losses({"messages": [msg("user", {"type": "tool_call", "id": "c", "name": "f", "arguments": {"a": 1}})]})  # fmt: skip
    assert 'Tool call f (c): {"a":1}' in prompt
    assert found == [("/messages/0/parts/0", "transformed", "chatml/tool-call-role")]


# -- the sandbox and template errors ------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{% set _ = messages.append(1) %}",
        "{{ raise_exception('no system role allowed') }}",
        "{% for m in messages %}",
    ],
)
def test_unsafe_or_broken_templates_are_usage_errors(source: str) -> None:
    with pytest.raises(UsageError, match="chat template"):
        render_prompt(fixture("plain"), source)


def test_unknown_template_names_list_the_built_ins() -> None:
    with pytest.raises(UsageError) as info:
        render_prompt(fixture("plain"), "vicuna")
    assert "chatml, llama-3, mistral, gemma" in str(info.value)


def test_missing_jinja2_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jinja2.sandbox", None)
    with pytest.raises(MissingDependencyError) as info:
        render_prompt(fixture("plain"))
    assert "aifkit[templates]" in str(info.value)


# -- validate -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ([], [("", "chatml/schema")]),
        ({"template": "chatml"}, [("/prompt", "chatml/schema")]),
        ({"prompt": "x", "template": "vicuna"}, [("/template", "chatml/template")]),
        ({"prompt": "x", "model": 1}, [("/model", "chatml/schema")]),
        ({"prompt": "x", "template": "custom"}, []),
    ],
)
def test_validate(body: Any, expected: list[tuple[str, str]]) -> None:
    assert [(v.pointer, v.rule) for v in CONV.validate(body)] == expected
