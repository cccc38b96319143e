"""Each integration, its framework missing, fails on import with one line naming the extra."""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import sys
from typing import Any

import pytest

from aifkit.errors import MissingDependencyError

CASES = [
    ("langchain", "langchain_core", "langchain"),
    ("pydantic_ai", "pydantic_ai", "pydantic-ai"),
    ("openai_agents", "agents", "openai-agents"),
    ("litellm", "litellm", "litellm"),
]


@pytest.mark.parametrize(("module", "framework", "extra"), CASES)
def test_a_missing_framework_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, module: str, framework: str, extra: str
) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> Any:
        return None if name.split(".")[0] == framework else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.delitem(sys.modules, f"aifkit.integrations.{module}", raising=False)
    with pytest.raises(MissingDependencyError) as caught:
        importlib.import_module(f"aifkit.integrations.{module}")
    (line,) = str(caught.value).splitlines()
    assert line.endswith(f'pip install "aifkit[{extra}]"')


def test_importing_aifkit_imports_no_integration_or_framework() -> None:
    code = (
        "import sys, aifkit, aifkit.integrations; aifkit.pack; aifkit.convert;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('langchain', 'langchain_core', 'pydantic_ai', 'agents', 'litellm')"
        " or m.startswith('aifkit.integrations.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
