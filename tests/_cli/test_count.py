"""`aif count`: JSON with the total, per-message counts and exactness."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from aifkit._cli._main import guard
from aifkit._cli.count import count_command
from aifkit.aif import Document, Instruction, Message, TextPart, dump_document
from aifkit.tokens import count_tokens
from aifkit.tokens._models import MODELS

CHAT = Document(
    instructions=(Instruction(role="system", parts=(TextPart(text="Be brief."),)),),
    messages=(
        Message(role="user", name="ada", parts=(TextPart(text="What is a token?"),)),
        Message(role="assistant", parts=(TextPart(text="A piece of text a model reads."),)),
    ),
)


def _app() -> typer.Typer:
    # The command as the lead wires it into `aif`, on its own so this test does not
    # depend on the wiring.
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command("count")(guard(count_command))
    app.command("noop")(lambda: None)  # two commands: typer keeps the "count" name
    return app


def test_count_prints_the_total_per_message_counts_and_exactness(tmp_path: Path) -> None:
    src = tmp_path / "chat.json"
    src.write_text(json.dumps(dump_document(CHAT)))
    result = CliRunner().invoke(_app(), ["count", str(src), "--format", "aif", "--model", "gpt-4o"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out == {**count_tokens(CHAT, model="gpt-4o").to_json(), "context_window": 128_000,
                   "max_output": 16_384}  # fmt: skip
    assert (out["exact"], out["error_bound"], len(out["messages"])) == (True, 0, 2)
    assert (
        out["instructions"] + sum(out["messages"]) + out["tools"] + out["overhead"] == out["total"]
    )


@pytest.fixture
def forget_acme() -> Iterator[None]:
    yield
    MODELS.unregister("acme-cli")


@pytest.mark.usefixtures("forget_acme")
def test_count_reads_stdin_and_user_models(tmp_path: Path) -> None:
    models = tmp_path / "models.toml"
    models.write_text('[models.acme-cli]\nlike = "claude-sonnet-4-5"\n')
    body = json.dumps(dump_document(CHAT))
    result = CliRunner().invoke(
        _app(), ["count", "-", "-f", "aif", "-m", "acme-cli", "--models", str(models)], input=body
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["model"], out["exact"], out["method"]) == ("acme-cli", False, "estimate")
    assert out["error_bound"] > 0


def test_an_unknown_model_exits_2_naming_the_known_ones(tmp_path: Path) -> None:
    src = tmp_path / "chat.json"
    src.write_text(json.dumps(dump_document(CHAT)))
    result = CliRunner().invoke(_app(), ["count", str(src), "-f", "aif", "-m", "gpt-17"])
    assert result.exit_code == 2
    assert "unknown model 'gpt-17'" in result.output
    assert "gpt-4o" in result.output
