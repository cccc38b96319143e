"""What importing aifkit.tokens costs (its `__all__` is checked in tests/test_public_api.py)."""

from __future__ import annotations

import subprocess
import sys


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
