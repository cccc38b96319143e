"""Strategies that cannot run on this install are named, with the reason, by `aif bench list`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aifkit._cli import main
from aifkit.bench import _peers, load_suite
from aifkit.bench._strategies import (
    compress_methods,
    unavailable_compress_methods,
    unavailable_strategies,
)
from aifkit.budget.compressors import COMPRESSORS, Compressor
from aifkit.errors import MissingDependencyError


def _needs_an_extra() -> Compressor:
    raise MissingDependencyError("fancy_model", "semantic")


@pytest.fixture
def broken_method() -> Iterator[str]:
    COMPRESSORS.register("needs-extra", _needs_an_extra)
    try:
        yield "needs-extra"
    finally:
        COMPRESSORS.unregister("needs-extra")


def test_a_method_that_cannot_build_is_left_out_with_its_reason(broken_method: str) -> None:
    assert broken_method not in compress_methods()
    reason = unavailable_compress_methods()[f"compress:{broken_method}"]
    assert (
        reason
        == "'fancy_model' is not installed; install it with: pip install \"aifkit[semantic]\""
    )
    assert f"compress:{broken_method}" not in load_suite("standard").strategies


def test_bench_list_says_which_strategies_are_missing_and_why(
    broken_method: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", "list", "--runs", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "strategies left out of these counts, because they cannot run here:" in out
    assert f"  compress:{broken_method}: 'fancy_model' is not installed" in out


@pytest.fixture
def every_peer_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_peers, "REQUIRES", dict.fromkeys(_peers.REQUIRES, "json"))


@pytest.mark.usefixtures("every_peer_importable")
def test_bench_list_is_silent_about_strategies_when_all_can_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert unavailable_compress_methods() == {}
    assert unavailable_strategies() == {}
    assert main(["bench", "list", "--runs", str(tmp_path)]) == 0
    assert "left out" not in capsys.readouterr().out


def test_a_peer_that_is_not_installed_is_named_with_the_install_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_peers, "REQUIRES", {**_peers.REQUIRES, "headroom": "no_such_module_x"})
    assert "headroom" not in load_suite("agent").strategies
    assert main(["bench", "list", "--runs", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert (
        "  headroom: 'no_such_module_x' is not installed; install it with: "
        'pip install "aifkit[bench-peers]"'
    ) in out
