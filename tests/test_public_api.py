"""The public surface is deliberate: sorted __all__ lists that resolve, and a fast import."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PACKAGES = [
    "aifkit",
    "aifkit.aif",
    "aifkit.budget",
    "aifkit.errors",
    "aifkit.handoff",
    "aifkit.integrations",
    "aifkit.integrations.langchain",
    "aifkit.integrations.litellm",
    "aifkit.integrations.openai_agents",
    "aifkit.integrations.pydantic_ai",
    "aifkit.tokens",
]


def _isort_key(name: str) -> tuple[int, str]:
    if name.isupper():
        return 0, name
    return (1, name) if name[0].isupper() else (2, name)


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_and_resolves(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    # isort-style, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions.
    assert exported == sorted(exported, key=_isort_key)
    for attr in exported:
        assert getattr(module, attr) is not None


def test_import_aifkit_imports_nothing_heavy() -> None:
    # `import aifkit` must stay fast: pydantic, typer and rich load on first use.
    code = (
        "import sys, aifkit; "
        "heavy = [m for m in ('pydantic', 'typer', 'rich', 'tiktoken') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_lazy_names_match_their_home() -> None:
    import aifkit
    import aifkit.aif

    assert aifkit.convert is aifkit.aif.convert
    with pytest.raises(AttributeError):
        _ = aifkit.no_such_name  # type: ignore[attr-defined]


def _loaded_after(statement: str, modules: tuple[str, ...]) -> list[str]:
    code = f"import sys; {statement}; print(','.join(m for m in {modules!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [m for m in out.stdout.strip().split(",") if m]


def test_import_aif_loads_no_layer_above_it() -> None:
    # Dependencies point one way: handoff -> budget -> aif. Importing the format
    # must not pull in the layers that build on it.
    assert _loaded_after("import aifkit.aif", ("aifkit.budget", "aifkit.handoff")) == []


def test_handoff_names_moved_but_still_resolve_from_aif_lazily() -> None:
    import aifkit.aif
    import aifkit.handoff

    for name in aifkit.handoff.__all__:
        assert name not in aifkit.aif.__all__  # documented once, at the new home
        assert getattr(aifkit.aif, name) is getattr(aifkit.handoff, name)
    loaded = _loaded_after("from aifkit.aif import pack_handoff", ("aifkit.handoff",))
    assert loaded == ["aifkit.handoff"]
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        _ = aifkit.aif.no_such_name  # type: ignore[attr-defined]
