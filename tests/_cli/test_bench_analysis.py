"""The CLI contract of `aif bench compare`, `aif bench regress` and `aif bench report`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aifkit._cli import main
from tests.bench.helpers_runs import synthetic_run


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("runs")
    return {
        "base": synthetic_run(root / "base", seeds=4, noise_seed=1),
        "same": synthetic_run(root / "same", seeds=4, noise_seed=2),
        "slow": synthetic_run(root / "slow", seeds=4, noise_seed=1, latency={"recency": 2.0}),
    }


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_compare_prints_a_table(runs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, ["bench", "compare", str(runs["base"]), str(runs["slow"])])
    assert code == 0, err
    assert "slow vs base" in out
    assert "pack_latency_ms" in out
    assert "worse" in out
    assert "Pareto fronts" in out


def test_compare_json_and_markdown(
    runs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, ["bench", "compare", str(runs["base"]), str(runs["slow"]), "--json"])
    assert code == 0
    data = json.loads(out)
    assert (data["run_a"], data["run_b"]) == ("base", "slow")
    slow = next(g for g in data["groups"] if (g["task"], g["strategy"]) == ("niah", "recency"))
    latency = next(d for d in slow["deltas"] if d["metric"] == "pack_latency_ms")
    assert latency["verdict"] == "worse"
    assert latency["ci"][0] > 0
    code, out, _ = run(capsys, ["bench", "compare", str(runs["base"]), str(runs["slow"]),
                                "--markdown", "--metric", "pack_latency_ms"])  # fmt: skip
    assert code == 0
    assert out.startswith("## slow vs base")
    assert "| niah | recency | pack_latency_ms |" in out
    assert "| niah | recency | passed |" not in out


def test_regress_exits_1_and_writes_the_pr_comment(
    runs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    comment = tmp_path / "comment.md"
    code, out, _ = run(capsys, ["bench", "regress", "--baseline", str(runs["base"]),
                                str(runs["slow"]), "--wall-timing", "--markdown", str(comment)])  # fmt: skip
    assert code == 1
    assert "REGRESSION niah / recency: pack_latency_ms" in out
    assert "slow vs baseline base: 2 regression(s)" in out
    text = comment.read_text(encoding="utf-8")
    assert text.startswith("## aif bench regress: :x: 2 regression(s)")
    assert "| niah | recency | pack_latency_ms (lower is better) |" in text


def test_regress_exits_0_without_regression(
    runs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, ["bench", "regress", "--baseline", str(runs["base"]),
                                str(runs["same"]), "--markdown", "-"])  # fmt: skip
    assert code == 0
    assert out.startswith("## aif bench regress: :white_check_mark: no regression")
    code, out, _ = run(capsys, ["bench", "regress", "-b", str(runs["base"]), str(runs["same"]),
                                "--json"])  # fmt: skip
    assert code == 0
    assert json.loads(out)["regressed"] is False


def test_regress_ignore_drops_a_metric_from_the_gate(
    runs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["bench", "regress", "--baseline", str(runs["base"]), str(runs["slow"]), "--wall-timing"]
    code, out, _ = run(capsys, [*argv, "--ignore", "pack_latency_ms"])
    assert code == 0
    assert "no regression" in out
    code, _, err = run(capsys, [*argv, "--ignore", "latency"])
    assert code == 2
    assert "unknown metric 'latency'" in err


def test_regress_names_the_p_value_it_compared(
    runs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["bench", "regress", "--baseline", str(runs["base"]), str(runs["slow"]), "--wall-timing"]
    code, out, _ = run(capsys, argv)
    assert code == 1
    assert "adjusted p=" in out
    code, out, _ = run(capsys, [*argv, "--no-correction"])
    assert code == 1
    assert "is better, p=" in out
    assert "adjusted p=" not in out


def test_regress_factor_decides(runs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["bench", "regress", "--baseline", str(runs["base"]), str(runs["slow"]), "--wall-timing"]
    assert run(capsys, [*argv, "--factor", "2.5"])[0] == 0  # 2x slower is inside 2.5x
    assert run(capsys, [*argv, "--factor", "1.5"])[0] == 1


def test_regress_leaves_timing_out_unless_told_and_says_so(
    runs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["bench", "regress", "--baseline", str(runs["base"]), str(runs["slow"])]
    code, out, _ = run(capsys, argv)
    assert code == 0
    assert "timing not gated (pack_latency_ms): --timing (timing=True) gates CPU" in out
    code, out, _ = run(capsys, [*argv, "--timing"])  # CPU timings only: the wall time stays out
    assert code == 0
    assert "timing not gated (pack_latency_ms): --wall-timing" in out
    code, out, _ = run(capsys, [*argv, "--wall-timing"])
    assert code == 1
    assert "timing gated on medians, flagged past 1.5x and 1 ms (cpu: raw" in out
    assert run(capsys, [*argv, "--wall-timing", "--timing-factor", "2.5"])[0] == 0


@pytest.mark.parametrize(
    "extra",
    [["--factor", "0.5"], ["--alpha", "2"], ["--timing-factor", "0.9"], ["--timing-min-ms", "-1"]],
)
def test_regress_bad_options_exit_2(
    runs: dict[str, Path], capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    code, _, err = run(capsys, ["bench", "regress", "--baseline", str(runs["base"]),
                                str(runs["same"]), *extra])  # fmt: skip
    assert code == 2
    assert err.startswith("aif: ")
    assert "Traceback" not in err


def test_a_missing_run_exits_2_in_one_line(
    runs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (
        ["bench", "compare", str(tmp_path / "nope"), str(runs["base"])],
        ["bench", "regress", "--baseline", str(tmp_path / "nope"), str(runs["base"])],
        ["bench", "report", str(tmp_path / "nope"), "-o", str(tmp_path / "r.html")],
    ):
        code, _, err = run(capsys, argv)
        assert code == 2
        assert err.count("\n") == 1
        assert "not a directory" in err
        assert "aif bench run" in err


def test_report_writes_the_dashboard(
    runs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "report.html"
    code, out, err = run(capsys, ["bench", "report", str(runs["base"]), str(runs["slow"]),
                                  "-o", str(target), "--title", "Nightly"])  # fmt: skip
    assert code == 0, err
    assert "dashboard of 2 run(s)" in out
    page = target.read_text(encoding="utf-8")
    assert "<title>Nightly</title>" in page
    assert "slow vs base" in page


def test_report_needs_an_output(runs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, ["bench", "report", str(runs["base"])])
    assert code == 2
    assert "-o" in err or "output" in err
