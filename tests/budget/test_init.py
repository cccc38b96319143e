"""What importing aifkit.budget costs (its `__all__` is checked in tests/test_public_api.py)."""

from __future__ import annotations

import subprocess
import sys


def test_importing_aifkit_does_not_import_the_budget_or_numpy() -> None:
    code = "import sys, aifkit; print([m for m in ('aifkit.budget', 'numpy', 'bm25s') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_bm25s_is_imported_only_when_relevance_is_scored() -> None:
    code = "import sys; import aifkit.budget; print('bm25s' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_missing_extra_names_the_pip_command() -> None:
    code = (
        "import sys; sys.modules['bm25s'] = None; sys.modules['bm25s.stopwords'] = None\n"
        "from aifkit.budget._score import _stopwords\n"
        "try:\n    _stopwords()\nexcept ImportError as e:\n    print(e)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert 'pip install "aifkit[budget]"' in out.stdout
