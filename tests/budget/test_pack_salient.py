"""`pack(body, budget=...)` compresses by content before dropping, by default: the facts in old
tool output survive where dropping whole messages loses them."""

from __future__ import annotations

import json

from aifkit.aif import encode
from aifkit.budget import pack
from aifkit.tokens import count_tokens
from tests.budget.compressors.test_salient import FACTS, _agent_doc


def test_a_default_pack_keeps_every_planted_fact_within_the_budget() -> None:
    body, _ = encode(_agent_doc(7), "openai-chat")
    before = count_tokens(body, format="openai-chat", model="gpt-4o").total
    budget = before // 4
    out, report = pack(body, format="openai-chat", model="gpt-4o", budget=budget)
    assert count_tokens(out, format="openai-chat", model="gpt-4o").total <= budget
    text = json.dumps(out)
    assert {k for k, v in FACTS.items() if v in text} == set(FACTS)
    assert any(i.decision == "compressed" for i in report.items)
    dropped, _ = pack(body, format="openai-chat", model="gpt-4o", budget=budget, compress=None)
    assert {k for k, v in FACTS.items() if v in json.dumps(dropped)} != set(FACTS)
