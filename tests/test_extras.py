"""Extras: a missing one is one line naming the pip command, before any work starts."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from importlib.machinery import ModuleSpec
from pathlib import Path

import pytest

from aifkit import _extras
from aifkit._cli import main
from aifkit.errors import MissingDependencyError

_real_find_spec = importlib.util.find_spec


def _without(*modules: str) -> Callable[[str, str | None], ModuleSpec | None]:
    def find_spec(name: str, package: str | None = None) -> ModuleSpec | None:
        if name.split(".", 1)[0] in modules:
            return None
        return _real_find_spec(name, package)

    return find_spec


def test_every_extra_of_pyproject_is_known_or_has_no_runtime_modules() -> None:
    import tomllib

    pyproject = Path(__file__).parents[1] / "pyproject.toml"
    declared = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]
    assert set(_extras.EXTRAS) <= set(declared)


def test_require_names_the_first_missing_module_and_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", _without("scipy", "plotly"))
    assert _extras.missing("bench") == ["scipy", "plotly"]
    with pytest.raises(MissingDependencyError) as caught:
        _extras.require("bench")
    assert caught.value.package == "scipy"
    assert 'pip install "aifkit[bench]"' in str(caught.value)


def test_require_passes_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", _without())
    monkeypatch.setitem(_extras.EXTRAS, "demo", ("json", "sqlite3"))
    assert _extras.missing("demo") == []
    _extras.require("demo")


def _one_line(captured: pytest.CaptureFixture[str], module: str) -> None:
    out, err = captured.readouterr()
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"aif: {module!r} is not installed")
    assert lines[0].endswith('pip install "aifkit[bench]"')
    assert out == ""


def test_bench_run_on_dask_without_the_extra_is_one_line_and_exit_2_before_any_work(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", _without("distributed"))
    out = tmp_path / "run"
    code = main(["bench", "run", "quick", "--out", str(out), "--dask", "local", "--quiet"])
    assert code == 2
    _one_line(capsys, "distributed")
    assert not out.exists()  # nothing was started


def test_bench_run_of_a_model_reader_suite_without_openai_stops_before_any_work(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = tmp_path / "s.yaml"
    suite.write_text(
        "name: s\ntasks:\n  - {kind: niah, params: {length: 300}}\n"
        "strategies: [truncate-front]\nbudgets: [0.6]\nreaders: [model]\n"
        "endpoint: {base_url: 'http://127.0.0.1:9', model: m}\n"
    )
    monkeypatch.setattr(importlib.util, "find_spec", _without("openai"))
    out = tmp_path / "run"
    code = main(["bench", "run", str(suite), "--out", str(out), "--workers", "1", "--quiet"])
    assert code == 2
    _one_line(capsys, "openai")
    assert not out.exists()


def test_bench_run_of_a_yaml_suite_without_pyyaml_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = tmp_path / "s.yaml"
    suite.write_text("name: s\n")
    real_import = __builtins__["__import__"] if isinstance(__builtins__, dict) else __import__

    def no_yaml(name: str, *args: object, **kwargs: object) -> object:
        if name == "yaml" or name.startswith("yaml."):
            raise ImportError("No module named 'yaml'")
        return real_import(name, *args, **kwargs)  # pyright: ignore[reportArgumentType]

    monkeypatch.setattr("builtins.__import__", no_yaml)
    code = main(["bench", "run", str(suite), "--out", str(tmp_path / "run"), "--quiet"])
    assert code == 2
    _one_line(capsys, "yaml")
