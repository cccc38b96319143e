"""aifkit.gateway's public surface: a sorted __all__ that resolves; importing it is light."""

from __future__ import annotations

import subprocess
import sys

import aifkit.gateway


def test_all_is_sorted_and_resolves() -> None:
    exported = list(aifkit.gateway.__all__)
    key = lambda n: (0, n) if n.isupper() else ((1, n) if n[0].isupper() else (2, n))  # noqa: E731
    assert exported == sorted(exported, key=key)
    assert all(getattr(aifkit.gateway, name) is not None for name in exported)


def test_importing_the_gateway_loads_no_server_or_client() -> None:
    # Starlette, uvicorn, httpx2 and prometheus_client load when an app is created.
    code = (
        "import sys, aifkit.gateway; "
        "print(','.join(m for m in ('starlette', 'uvicorn', 'httpx2', 'prometheus_client') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
