"""What importing aifkit.budget costs (its `__all__` is checked in tests/test_public_api.py)."""

from __future__ import annotations

import os
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


def test_the_stop_words_load_without_the_bm25s_package() -> None:
    # bm25s's __init__ imports scipy, numpy.testing and tqdm (~0.4 s); the stop words
    # are one tuple in one module of it.
    code = (
        "import sys; from aifkit.budget._score import _stopwords\n"
        "words = _stopwords()\n"
        "from bm25s.stopwords import STOPWORDS_EN\n"  # now the package, to compare
        "print(words == frozenset(STOPWORDS_EN), len(words))"
    )
    check = "import sys; from aifkit.budget._score import _stopwords; _stopwords(); "
    check += "print([m for m in ('bm25s', 'scipy', 'tqdm') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "33"]


def test_a_built_in_name_does_not_scan_the_installed_plugins() -> None:
    # Plugins never replace a built-in, so looking one up skips reading every
    # distribution's entry points (~20 ms); an unknown name still reads them.
    code = (
        "import importlib.metadata as md, sys\n"
        "calls = []\n"
        "real = md.entry_points\n"
        "md.entry_points = lambda **k: calls.append(k) or real(**k)\n"
        "from aifkit.aif import convert\n"
        "from aifkit.tokens import count_tokens\n"
        "body = {'model': 'gpt-4o', 'messages': [{'role': 'user', 'content': 'Hi'}]}\n"
        "count_tokens(convert(body, source='openai-chat', target='anthropic').body,"
        " format='anthropic', model='gpt-4o')\n"
        "print(len(calls))\n"
        "from aifkit.aif import formats; formats()\n"
        "print(len(calls))"
    )
    env = {**os.environ, "PYDANTIC_DISABLE_PLUGINS": "__all__"}  # pydantic's own scan, as aif
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=env)  # fmt: skip
    assert out.stdout.split() == ["0", "1"]
