"""Time ``aif`` as whole processes: start-up, imports and the vocabulary load.

Runs each command line ``--repeat`` times in a fresh interpreter and prints the
minimum wall time and the minimum CPU time (user + system, from ``wait4``): on a
shared machine the CPU time is the steadier of the two. The first run of a
command fills the user cache (vocabulary, model index); ``--cold`` points
``AIFKIT_CACHE_DIR`` at an empty folder for every run instead, and ``--no-cache``
turns the cache off. ``--against SRC`` also runs every command with another
source tree first on ``PYTHONPATH`` (a checkout's ``src``), alternating the two
run by run, so a before/after pair shares the machine's load.

    python benchmarks/cli_startup.py --repeat 5
    git archive main src | tar -x -C /tmp/before
    python benchmarks/cli_startup.py --repeat 7 --against /tmp/before/src
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hello there"}]}


def _commands(body: str) -> dict[str, list[str]]:
    return {
        "aif --version": ["--version"],
        "aif count (gpt-4o)": ["count", body, "-f", "openai-chat"],
        "aif count (llama-3.1-8b)": ["count", body, "-f", "openai-chat", "-m", "llama-3.1-8b"],
        "aif pack": ["pack", body, "-f", "openai-chat", "-m", "gpt-4o", "--budget", "100"],
        "aif convert": ["convert", body, "--from", "openai-chat", "--to", "anthropic"],
    }


_AIF = "import sys; from aifkit._cli import main; sys.argv[0] = 'aif'; main()"
_FLOOR = "import json, sys; json.dumps(sys.argv)"  # an interpreter that starts and exits


def _run(args: list[str], env: dict[str, str], code: str = _AIF) -> tuple[float, float]:
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    stderr = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(stderr.strip())
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description="Time aif as whole processes.")
    parser.add_argument("--repeat", type=int, default=5)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--cold", action="store_true", help="an empty cache for every run")
    mode.add_argument("--no-cache", action="store_true", help="the cache turned off")
    parser.add_argument("--against", type=Path, help="another source tree to time alongside")
    options = parser.parse_args()
    trees: dict[str, str | None] = {"": None}
    if options.against is not None:
        trees = {" (against)": str(options.against.resolve()), " (this tree)": None}
    width = 26 + max(len(tree) for tree in trees)
    with tempfile.TemporaryDirectory() as tmp:
        body = Path(tmp) / "body.json"
        body.write_text(json.dumps(BODY))
        env = dict(os.environ)
        if options.no_cache:
            env["AIFKIT_CACHE_DIR"] = ""
        # The lower bound, timed in the same run: a bare interpreter start.
        floor = min(_run([], env, _FLOOR)[1] for _ in range(options.repeat))
        print(f"{'python (the lower bound)':<{width}} min cpu {floor * 1000:6.0f} ms")
        for label, args in _commands(str(body)).items():
            walls: dict[str, list[float]] = {tree: [] for tree in trees}
            cpus: dict[str, list[float]] = {tree: [] for tree in trees}
            failed = False
            for i in range(options.repeat):
                for tree, src in trees.items():
                    run_env = dict(env)
                    if src is not None:
                        run_env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
                    if options.cold:
                        run_env["AIFKIT_CACHE_DIR"] = str(Path(tmp) / f"cache-{label}{tree}-{i}")
                    try:
                        wall, cpu = _run(args, run_env)
                    except RuntimeError as exc:
                        print(f"{label + tree:<{width}} failed: {str(exc)[:100]}")
                        failed = True
                        break
                    walls[tree].append(wall)
                    cpus[tree].append(cpu)
                if failed:
                    break
            for tree in trees:
                if not walls[tree]:
                    continue
                print(
                    f"{label + tree:<{width}} min wall {min(walls[tree]) * 1000:6.0f} ms   "
                    f"min cpu {min(cpus[tree]) * 1000:6.0f} ms   "
                    f"{min(cpus[tree]) / floor:5.1f}x the bound   ({len(walls[tree])} runs)"
                )


if __name__ == "__main__":
    main()
