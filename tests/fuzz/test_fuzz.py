"""Bounded fuzzing of every entry point with mutated fixtures (the long run: ``make fuzz``).

Every format's fixtures (request bodies, AIF documents, stream payloads, hand-off
envelopes, response bodies, raw SSE streams, suites, and bodies for the integrations
and the gateway) are mutated — type swaps, deletions, huge strings, deep nesting,
duplicate ids, and the JSON edge's classes — and fed to ``validate``, ``decode``,
``convert`` to every format, ``count_tokens``, ``pack``, ``compress``,
``assemble`` and hand-off loading; ``convert_response``, ``usage_from_response``,
``decode_stream``/``translate_stream`` (streams truncated, garbled, in tiny or huge
events), suite loading and the strategy kinds' ``fit``, the LangChain, pydantic-ai,
OpenAI Agents and LiteLLM integrations (hostile message objects), the gateway's
endpoints and, for a sample, the CLI. Whatever the input, each either returns JSON
(``allow_nan=False``) or raises an `AifkitError`; the gateway answers a 4xx in the
client's error shape; the CLI exits 0-3 with at most one line on stderr.

Edge-class failures (lone surrogates, NaN, over-long integers, nesting past the
parser's limit) are left to the JSON edge's pre-check and not asserted here; slow
operations are counted by the long run only.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.harness import GARBLES, Failure, Seed, run, seeds, sse_text, warm
from tests.fuzz.mutate import KINDS, apply_one, is_edge, mutate, to_text

_SETTINGS = settings(
    max_examples=700,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


_OLD_KINDS = frozenset({"body", "stream", "envelope"})  # their salt picks one of 3 budgets


def _seeds(kind: str) -> list[Seed]:
    return [s for s in seeds() if s.kind == kind]


def _seeds_of(fmt: str) -> list[Seed]:
    return [s for s in _seeds("body") if s.format == fmt]


def _formats() -> list[str]:
    return sorted({s.format for s in _seeds("body")})


def _check(seed: Seed, data: st.DataObject) -> None:
    warm()
    salt = data.draw(st.integers(0, 2 if seed.kind in _OLD_KINDS else 10_000), label="salt")
    text, kinds = mutate(seed.body, lambda n: data.draw(st.integers(0, n - 1)))
    _, failures = run(seed, text, is_edge(kinds), salt)
    # Time is the long run's measure (make fuzz): no timing asserts in the default suite.
    real: list[Failure] = [f for f in failures if not f.edge and f.cls != "slow"]
    assert not real, f"{seed.format}:{seed.name} {kinds}: {real}"


@pytest.mark.parametrize("fmt", _formats())
@_SETTINGS
@given(data=st.data())
def test_mutated_bodies_convert_or_raise_aifkit_errors(fmt: str, data: st.DataObject) -> None:
    _check(data.draw(st.sampled_from(_seeds_of(fmt)), label="seed"), data)


@_SETTINGS
@given(data=st.data())
def test_mutated_streams_assemble_or_raise_aifkit_errors(data: st.DataObject) -> None:
    _check(data.draw(st.sampled_from(_seeds("stream")), label="seed"), data)


@_SETTINGS
@given(data=st.data())
def test_mutated_envelopes_load_or_raise_aifkit_errors(data: st.DataObject) -> None:
    _check(data.draw(st.sampled_from(_seeds("envelope")), label="seed"), data)


_NEWER = settings(_SETTINGS, max_examples=150)
"""The entry points added after the harness (responses, raw SSE, suites, integrations,
the gateway): fewer examples each, as each body runs more operations."""


@pytest.mark.parametrize("kind", ["response", "sse", "suite", "integration", "gateway"])
@_NEWER
@given(data=st.data())
def test_newer_entry_points_answer_or_raise_aifkit_errors(kind: str, data: st.DataObject) -> None:
    _check(data.draw(st.sampled_from(_seeds(kind)), label="seed"), data)


def test_every_stream_garble_reaches_the_decoders() -> None:
    seed = _seeds("sse")[0]
    texts = {g: sse_text(seed.body, g, 5) for g in GARBLES}
    assert len(set(texts.values())) == len(GARBLES)


@pytest.mark.parametrize("kind", sorted(set(KINDS)))
def test_every_mutation_kind_changes_some_fixture(kind: str) -> None:
    rng = random.Random(kind)
    changed = sum(apply_one(s.body, kind, rng.randrange) != to_text(s.body) for s in seeds())
    assert changed > 0
