"""Gateway settings: TOML loading, validation with pointers, routing by pattern and alias."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aifkit.errors import InvalidInputError, UsageError
from aifkit.gateway import GatewayConfig, Route, load_config

TOML = """
fail_open = false
keys = ["gk-1"]

[aliases]
fast = "gpt-4o-mini"

[[routes]]
models = ["claude-*"]
upstream = "https://api.anthropic.com/v1/"
format = "anthropic"
api_key_env = "ANTHROPIC_API_KEY"
policy = "always"
ratio = 0.5

[[routes]]
upstream = "https://api.openai.com/v1"
context_window = 64000
"""


def test_a_toml_config_loads(tmp_path: Path) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text(TOML)
    config = load_config(path)
    assert config.fail_open is False
    assert config.routes[0].upstream == "https://api.anthropic.com/v1"
    assert config.route_for("claude-sonnet-4-5") is config.routes[0]
    assert config.route_for("fast") is config.routes[1]
    assert config.resolve("fast") == "gpt-4o-mini"


@pytest.mark.parametrize(
    ("text", "pointer"),
    [
        ('[[routes]]\nupstream = "http://x"\nformat = "telex"\n', "/routes/0/format"),
        ('[[routes]]\nupstream = "ftp://x"\n', "/routes/0/upstream"),
        ('[[routes]]\nupstream = "http://x"\npolicy = "sometimes"\n', "/routes/0/policy"),
        ("routes = []\n", "/routes"),
        ('[[routes]]\nupstream = "http://x"\ncolour = 1\n', "/routes/0/colour"),
        ("routes = [", ""),
    ],
)
def test_a_bad_config_names_the_setting(tmp_path: Path, text: str, pointer: str) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text(text)
    with pytest.raises(InvalidInputError) as err:
        load_config(path)
    assert err.value.pointer == pointer


def test_a_missing_file_and_a_bad_quick_start_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read"):
        load_config(tmp_path / "none.toml")
    with pytest.raises(UsageError, match="upstream format"):
        GatewayConfig.single("http://x", format="telex")


@given(st.lists(st.from_regex(r"[a-z]{1,6}-[0-9]", fullmatch=True), min_size=1, max_size=5), st.text(min_size=1, max_size=12))  # fmt: skip
def test_the_first_matching_route_serves(names: list[str], model: str) -> None:
    routes = tuple(Route(models=(n,), upstream=f"http://h/{i}") for i, n in enumerate(names))
    config = GatewayConfig(routes=(*routes, Route(upstream="http://fallback")))
    chosen = config.route_for(model)
    expected = next((r for r in routes if model in r.models), config.routes[-1])
    assert chosen is expected
