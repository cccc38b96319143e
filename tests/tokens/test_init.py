"""The public surface of aifkit.tokens, and what importing it costs."""

from __future__ import annotations

import subprocess
import sys

import aifkit.tokens


def _isort_key(name: str) -> tuple[int, str]:
    if name.isupper():
        return 0, name
    return (1, name) if name[0].isupper() else (2, name)


def test_all_is_sorted_and_resolves() -> None:
    exported = list(aifkit.tokens.__all__)
    assert exported == sorted(exported, key=_isort_key)
    for name in exported:
        assert getattr(aifkit.tokens, name) is not None


def test_importing_loads_no_optional_dependency_and_reads_no_vocabulary() -> None:
    code = (
        "import sys, aifkit, aifkit.tokens; "
        "print(','.join(m for m in ('tiktoken', 'bpe_openai', 'genai_prices', 'httpx2') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_import_aifkit_does_not_import_tokens() -> None:
    code = "import sys, aifkit; print('aifkit.tokens' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
