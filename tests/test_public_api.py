"""The public surface is deliberate: sorted __all__ lists that resolve, and a fast import."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PACKAGES = ["aifkit", "aifkit.aif", "aifkit.budget", "aifkit.errors", "aifkit.tokens"]


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
