"""The ``headroom`` peer runs offline, without telemetry, on a workspace of its own.

Headroom (``headroom-ai``) lives in the peers venv, so the run itself happens in a
subprocess of that venv's Python, with DNS and outbound connections refused and
recorded, and ``HOME`` a temporary folder: skipped where the peers venv is not built,
failed under CI, where it must be.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

from aifkit.bench._peers import headroom_settings

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import json, os, socket, threading, time
tried = []
def refuse(host, *args, **kwargs):
    tried.append(str(host))
    raise OSError("the test lets nothing reach the network")
socket.getaddrinfo = refuse
_connect = socket.socket.connect
def connect(self, address):
    if self.family == socket.AF_UNIX:
        return _connect(self, address)
    tried.append(str(address))
    raise OSError("the test lets nothing reach the network")
socket.socket.connect = connect
from aifkit.bench import STRATEGY_KINDS
from aifkit.bench._agent import transcript
from aifkit.tokens import count_tokens
body = transcript(3, scale=0.2).body
fitted = STRATEGY_KINDS.get("headroom").fit(body, 1000, "gpt-4o", {})
# Headroom fetches its Kompress model in a thread: give a fetch time to show.
deadline = time.monotonic() + 20
while not tried and time.monotonic() < deadline and threading.active_count() > 1:
    time.sleep(0.1)
size = lambda b: count_tokens(b, format="openai-chat", model="gpt-4o").total
print(json.dumps({
    "tried": sorted(set(tried)),
    "workspace": os.environ["HEADROOM_WORKSPACE_DIR"],
    "ratio": size(fitted.body) / size(body),
    "report": fitted.report,
}), flush=True)
if tried:  # not the rest of its retries with back-off (nor the exit's own clean-up)
    import shutil
    shutil.rmtree(os.environ["HEADROOM_WORKSPACE_DIR"])
    os._exit(0)
"""


def _peers_python() -> str:
    if find_spec("headroom") is not None:
        return sys.executable
    peers = ROOT / ".venv-peers" / "bin" / "python"
    if peers.is_file():
        return str(peers)
    reason = "headroom-ai is not installed: `make .venv-peers/.installed` builds the peers venv"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _run(home: Path, **preset: str) -> dict[str, Any]:
    keep = {"PATH", "LANG", "LC_ALL", "TMPDIR"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env |= {"HOME": str(home), "PYTHONPATH": str(ROOT / "src"), **preset}
    done = subprocess.run([_peers_python(), "-c", _PROBE], env=env, capture_output=True, text=True, timeout=180)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_headroom_runs_offline_on_a_workspace_removed_at_exit(tmp_path: Path) -> None:
    seen = _run(tmp_path)
    assert seen["tried"] == []
    assert seen["ratio"] < 0.9  # it did compress: the records went through its SmartCrusher
    assert seen["report"]["strategy"] == "headroom"
    assert seen["report"]["applied"]
    assert not (tmp_path / ".headroom").exists()  # nothing written to the user's state
    assert not Path(seen["workspace"]).exists()  # its own workspace went with the process


def test_a_user_who_allows_the_network_gets_headroom_s_model_download(tmp_path: Path) -> None:
    # The settings are defaults: set otherwise, Headroom fetches its Kompress model, and
    # the probe does see that fetch (so the test above would see one too).
    seen = _run(tmp_path, HEADROOM_OFFLINE="0", HF_HUB_OFFLINE="0")
    assert "huggingface.co" in seen["tried"]


def test_the_user_s_settings_are_kept_and_blank_ones_filled(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("HEADROOM_OFFLINE", "HF_HUB_OFFLINE", "HEADROOM_TELEMETRY", "HEADROOM_WORKSPACE_DIR"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HEADROOM_TELEMETRY", "on")
    monkeypatch.setenv("HF_HUB_OFFLINE", " ")
    first = headroom_settings()
    assert first["HEADROOM_TELEMETRY"] == "on"
    assert first["HF_HUB_OFFLINE"] == first["HEADROOM_OFFLINE"] == "1"
    workspace = Path(first["HEADROOM_WORKSPACE_DIR"])
    assert workspace.is_dir()
    assert not any(workspace.iterdir())
    assert headroom_settings() == first == {k: os.environ[k] for k in first}
    monkeypatch.setenv("HEADROOM_WORKSPACE_DIR", str(tmp_path))
    assert headroom_settings()["HEADROOM_WORKSPACE_DIR"] == str(tmp_path)
