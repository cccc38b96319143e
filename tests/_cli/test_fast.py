"""``aif count`` read without typer answers exactly as the typer path does."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aifkit._cli import _main
from aifkit._cli._count_fast import parse_count

FIXTURES = Path(__file__).parents[1] / "fixtures"  # recorded bodies, see SOURCES.md there
CHAT, IMAGE = "{tool-calls}", "{multimodal-user}"  # stand for the bodies `bodies` writes


@pytest.fixture(scope="module")
def bodies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("bodies")
    paths: dict[str, str] = {}
    for name in ("tool-calls", "multimodal-user"):
        recorded = json.loads((FIXTURES / "openai-chat" / f"{name}.json").read_text())
        (folder / f"{name}.json").write_text(json.dumps(recorded["body"]))
        paths[f"{{{name}}}"] = str(folder / f"{name}.json")
    return paths


def _resolve(args: list[str], bodies: dict[str, str]) -> list[str]:
    return [bodies.get(arg, arg) for arg in args]


def _run(args: list[str], capsys: pytest.CaptureFixture[str], *, fast: bool, stdin: bytes = b""):
    patch = pytest.MonkeyPatch()
    if not fast:
        patch.setattr(_main, "_run_fast", lambda args: None)
    patch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    try:
        code = _main.main(args)
    finally:
        patch.undo()
    out, err = capsys.readouterr()
    return code, out, err


def _same(args: list[str], capsys: pytest.CaptureFixture[str], stdin: bytes = b"") -> int:
    fast = _run(args, capsys, fast=True, stdin=stdin)
    assert fast == _run(args, capsys, fast=False, stdin=stdin)
    code, out, err = fast
    # Either the counts (JSON) or one line saying what was wrong.
    assert (code == 0 and '"total"' in out and not err) or (code and err.count("\n") == 1)
    return code


@pytest.mark.parametrize(
    "args",
    [
        ["count", CHAT, "-f", "openai-chat"],
        ["count", "--format=openai-chat", CHAT, "--model", "gpt-4o-mini"],
        ["count", IMAGE, "-f", "openai-chat"],
        ["count", str(FIXTURES / "anthropic" / "multimodal.json"), "-f", "anthropic"],
        ["count", CHAT, "-f", "openai-chat", "-m", "llama-3.1-8b"],
    ],
)
def test_plain_command_lines_take_the_fast_path_with_the_same_output(
    args: list[str], bodies: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    args = _resolve(args, bodies)
    assert parse_count(args) is not None
    assert _same(args, capsys) == 0


@pytest.mark.parametrize(
    "args",
    [
        ["count", CHAT, "-f", "no-such-format"],
        ["count", CHAT, "-f", "openai-chat", "-m", "gpt-17"],
        ["count", "/no/such/body.json", "-f", "openai-chat"],
        ["count", str(FIXTURES), "-f", "openai-chat"],
        ["count", CHAT, "-f", "anthropic"],
        ["count", CHAT, "-f", "openai-chat", "--models", "/no/such/models.toml"],
    ],
)
def test_failures_say_the_same_line_and_exit_code(
    args: list[str], bodies: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    args = _resolve(args, bodies)
    assert parse_count(args) is not None
    assert _same(args, capsys) != 0


def test_stdin_and_user_models(
    tmp_path: Path, bodies: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    models = tmp_path / "models.toml"
    models.write_text('[models.acme-fast]\nlike = "claude-sonnet-4-5"\n')
    args = ["count", "-", "-f", "openai-chat", "-m", "acme-fast", "--models", str(models)]
    assert parse_count(args) is not None
    assert _same(args, capsys, stdin=Path(bodies[CHAT]).read_bytes()) == 0
    assert _same(args, capsys, stdin=b"{not json") == 2


@pytest.mark.parametrize(
    "args",
    [
        ["count", "--help"],
        ["count", CHAT],  # --format missing
        ["count", CHAT, CHAT, "-f", "openai-chat"],
        ["count", CHAT, "-fopenai-chat"],
        ["count", CHAT, "-f", "openai-chat", "-f", "anthropic"],
        ["count", CHAT, "-f", "openai-chat", "--verbose"],
        ["count", "--", CHAT, "-f", "openai-chat"],
        ["count", CHAT, "-f"],
        ["--version"],
    ],
)
def test_everything_else_is_left_to_typer(args: list[str], bodies: dict[str, str]) -> None:
    assert parse_count(_resolve(args, bodies)) is None


_option = st.sampled_from(
    [("-f", "openai-chat"), ("--format", "openai-chat"), ("-m", "gpt-4o"), ("--model", "gpt-4.1")]
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    options=st.lists(_option, max_size=3),
    equals=st.lists(st.booleans(), min_size=3, max_size=3),
    at=st.integers(0, 3),
)
def test_any_order_of_options_answers_as_typer_does(
    options: list[tuple[str, str]],
    equals: list[bool],
    at: int,
    bodies: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    words: list[str] = []
    for (name, value), joined in zip(options, equals, strict=False):
        words += [f"{name}={value}"] if joined and name.startswith("--") else [name, value]
    words.insert(min(at, len(words)), bodies[CHAT])
    _same(["count", *words], capsys)
