"""The gate on real runs: two back-to-back runs of the same code pass, packing 2x slower fails.

Each run executes a tiny YAML suite in this process (``workers=1``), so the
slow run can patch packing to do its work twice. The token-count cache is off in
every run: runs in one process would otherwise find it warm or cold depending on
their order, which is not what separate ``aif bench run`` processes see.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import aifkit.budget
import aifkit.tokens._count
from aifkit._cli import main
from aifkit.bench import Run, regress, run_suite
from aifkit.bench._calibration import calibration_ms, samples
from aifkit.tokens._cache import CountCache

SUITE = """
name: gate
tasks:
  - {kind: niah, params: {length: 12000}, grid: {depth: [0.1, 0.5, 0.9]}}
strategies: [truncate-front, pack]
budgets: [0.3]
seeds: [0, 1, 2, 3, 4, 5]
readers: [evidence]
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    root = tmp_path_factory.mktemp("gate")
    suite = root / "suite.yaml"
    suite.write_text(SUITE, encoding="utf-8")
    real: Callable[..., Any] = aifkit.budget.pack

    def twice(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(aifkit.tokens._count, "DEFAULT_CACHE", CountCache(maxsize=0))
        run_suite(suite, root / "warm-up", workers=1)  # imports, first allocations
        found = {
            "base": run_suite(suite, root / "base", workers=1),
            "same": run_suite(suite, root / "same", workers=1),
        }
        patch.setattr(aifkit.budget, "pack", twice)
        found["slow"] = run_suite(suite, root / "slow", workers=1)
    return found


def test_each_run_records_its_calibration(runs: dict[str, Run]) -> None:
    for run in runs.values():
        assert len(samples(run.meta)) == len(samples(run.meta, "cpu")) >= 6
        assert (calibration_ms(run.meta) or 0) > 0
        assert (calibration_ms(run.meta, "cpu") or 0) > 0
    cell = next(c for c in runs["base"].cells if c.strategy == "pack")
    assert {"pack_latency_ms", "pack_cpu_ms", "reader_latency_ms"} <= set(cell.metrics)


def test_two_runs_of_the_same_code_pass_with_and_without_timing(runs: dict[str, Run]) -> None:
    plain = regress(runs["base"], runs["same"])
    assert not plain.regressed, plain.to_markdown()
    assert set(plain.timing_left_out) == {"pack_latency_ms", "pack_cpu_ms", "reader_latency_ms"}
    timed = regress(runs["base"], runs["same"], timing=True)
    assert not timed.regressed, timed.to_markdown()
    assert "pack_cpu_ms" in {c.metric for c in timed.changes}
    assert set(timed.timing_left_out) == {"pack_latency_ms", "reader_latency_ms"}


def test_packing_twice_as_slow_fails_with_timing(runs: dict[str, Run]) -> None:
    report = regress(runs["base"], runs["slow"], timing=True)
    flagged = {(c.strategy, c.metric) for c in report.regressions}
    assert ("pack", "pack_cpu_ms") in flagged, report.to_markdown()
    assert not any(s == "truncate-front" for s, _ in flagged), report.to_markdown()
    assert report.exit_code == 1
    # without --timing the same runs pass, and the gate says what it left out
    assert regress(runs["base"], runs["slow"]).exit_code == 0


def test_the_cli_says_timing_was_not_gated(
    runs: dict[str, Run], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["bench", "regress", "--baseline", str(runs["base"].path), str(runs["slow"].path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "no regression" in out
    assert "timing not gated (pack_latency_ms, pack_cpu_ms, reader_latency_ms)" in out
    # --timing gates the CPU timing; the wall times stay out on a shared machine
    assert main([*argv, "--timing"]) == 1
    out = capsys.readouterr().out
    assert "REGRESSION niah / pack: pack_cpu_ms" in out
