"""The conversion matrix: every ordered pair of formats over one shared corpus.

The corpus is every format's golden fixtures, decoded to AIF. For each document and
each target format, the loss report must be exactly what the target cannot carry,
as the target declares it in its `Capabilities`:

* every rule the encoder logs is declared, and maps to a feature the target does not
  fully carry (a feature marked ``"yes"`` never produces a loss entry);
* every feature the document uses that the target marks ``"no"`` produces a loss
  entry at or around the place it is used (nothing is lost silently);
* the body written is one the target accepts (its own ``validate`` finds nothing).

The pair conversions (source body straight to target body) are checked the same way
for declared rules and valid output.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from aifkit.aif import Document, EncodeOptions, decode, encode, formats, validate
from aifkit.aif._convert import FORMATS
from aifkit.aif._features import STRUCTURE, Capabilities, document_features
from aifkit.errors import AifkitError

FIXTURES = Path(__file__).parent.parent / "fixtures"
OPTIONS = EncodeOptions(model="matrix-model")  # a2a and mcp bodies name no model


def _capabilities(fmt: str) -> Capabilities:
    caps: Capabilities = FORMATS.get(fmt).capabilities
    return caps


def _decodes(fmt: str) -> bool:
    """Whether ``fmt`` reads bodies (render-only formats such as chatml do not)."""
    return not getattr(FORMATS.get(fmt), "render_only", False)


@cache
def corpus() -> tuple[tuple[str, str, Any, Document], ...]:
    """Every fixture body of every decodable format: (format, name, body, document)."""
    items: list[tuple[str, str, Any, Document]] = []
    for fmt in formats():
        if fmt == "aif" or not (FIXTURES / fmt).is_dir():
            continue
        if not _decodes(fmt):
            continue
        for path in sorted((FIXTURES / fmt).glob("*.json")):
            if path.name.endswith(".aif.json"):
                continue
            data = json.loads(path.read_text())
            body = data["body"] if isinstance(data, dict) and "body" in data else data
            try:
                doc, _ = decode(body, fmt)
            except AifkitError:
                continue  # fixtures of malformed input
            items.append((fmt, path.stem, body, doc))
    return tuple(items)


def _targets() -> list[str]:
    return [f for f in formats() if f != "aif"]


def _pointer(path: tuple[str | int, ...]) -> str:
    return "".join(f"/{p}" for p in path)


def _related(a: str, b: str) -> bool:
    """Whether two JSON pointers are the same place, or one lies inside the other."""
    return a == b or a.startswith(b + "/") or b.startswith(a + "/") or not a or not b


def _own(doc: Document, feature: str, path: tuple[str | int, ...], target: str) -> bool:
    """Whether a provider part or extension at ``path`` belongs to ``target`` itself."""
    if feature == "extensions":
        return path[-1] == target
    if feature == "provider_part":
        node: Any = doc
        for step in path:
            node = node[step] if isinstance(step, int) else getattr(node, step)
        return bool(node.format == target)
    return False


def _invalid(out: Any, target: str, source: str, source_body: Any) -> list[str]:
    """The target's violations in ``out``, but for those its own source already had.

    A same-format round trip is exact, so it keeps whatever the source got wrong
    (e.g. nulls the SDK rejects); every other target must get a valid body.
    """
    known = {str(v) for v in validate(source_body, source)} if source == target else set()
    return [f"{source} -> {target}: {v}" for v in validate(out, target) if str(v) not in known]


def test_corpus_covers_every_decodable_format() -> None:
    covered = {fmt for fmt, *_ in corpus()}
    missing = {f for f in _targets() if _decodes(f)} - covered
    assert not missing, f"formats with no fixtures in tests/fixtures/: {sorted(missing)}"


@pytest.mark.parametrize("target", _targets())
def test_encoding_the_corpus_loses_exactly_what_the_target_cannot_carry(target: str) -> None:
    caps = _capabilities(target)
    problems: list[str] = []
    for fmt, name, source_body, doc in corpus():
        body, report = encode(doc, target, options=OPTIONS)
        where = f"{fmt}/{name} -> {target}"
        problems += _invalid(body, target, fmt, source_body)
        for entry in report:
            prefix, _, rule = entry.rule.partition("/")
            if prefix != target or rule not in caps.rules:
                problems.append(f"{where}: undeclared rule {entry.rule} at {entry.pointer}")
                continue
            feature = caps.rules[rule]
            if feature != STRUCTURE and caps.support(feature) == "yes":
                problems.append(f"{where}: {entry.rule} lost {feature}, declared carried")
        for feature, paths in document_features(doc).items():
            if caps.support(feature) != "no":
                continue
            for path in paths:
                if _own(doc, feature, path, target):
                    continue
                at = _pointer(path)
                if not any(_related(e.pointer, at) for e in report):
                    problems.append(f"{where}: {feature} at {at} lost with no loss entry")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("target", _targets())
def test_every_pair_writes_valid_bodies_with_declared_rules(target: str) -> None:
    from aifkit.aif import convert

    caps = _capabilities(target)
    problems: list[str] = []
    for fmt, name, body, _ in corpus():
        out, report = convert(body, source=fmt, target=target, options=OPTIONS)
        where = f"{fmt}/{name} -> {target}"
        problems += _invalid(out, target, fmt, body)
        for entry in report:
            prefix, _, rule = entry.rule.partition("/")
            if prefix == target and rule not in caps.rules:
                problems.append(f"{where}: undeclared rule {entry.rule}")
            elif prefix not in (target, fmt):
                problems.append(f"{where}: rule {entry.rule} from neither side")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("fmt", _targets())
def test_capabilities_speak_the_feature_vocabulary(fmt: str) -> None:
    from aifkit.aif._features import FEATURES

    caps = _capabilities(fmt)
    assert set(caps.carries) <= set(FEATURES)
    assert set(caps.rules.values()) <= {*FEATURES, STRUCTURE}
    assert set(caps.notes) <= set(caps.carries)


@pytest.mark.parametrize("fmt", [f for f in _targets() if _decodes(f)])
def test_a_body_that_validates_also_decodes(fmt: str) -> None:
    # validate() runs the checks decode() runs first: a value JSON cannot hold
    # (a set) is a violation, not a surprise at decode time.
    body = next(body for f, _, body, _ in corpus() if f == fmt)
    bad = {**body, "zz": {1, 2}}
    with pytest.raises(AifkitError):
        decode(bad, fmt)
    assert any(v.rule == f"{fmt}/schema" for v in validate(bad, fmt))


@pytest.mark.parametrize("fmt", [f for f in _targets() if _decodes(f)])
def test_every_fixture_comes_back_exactly_through_aif(fmt: str) -> None:
    # X -> X and X -> aif -> X give back the body as it was: ids, task ids,
    # metadata and part kinds included (a2a too: not an envelope around it).
    from aifkit.aif import convert

    problems: list[str] = []
    for source, name, body, _ in corpus():
        if source != fmt:
            continue
        direct = convert(body, source=fmt, target=fmt).body
        document = convert(body, source=fmt, target="aif").body
        back = convert(document, source="aif", target=fmt).body
        problems += [f"{fmt}/{name}: {how} changed it" for how, out in (("X -> X", direct), ("X -> aif -> X", back)) if out != body]  # fmt: skip
    assert not problems, "\n".join(problems)
