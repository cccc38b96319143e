"""Draw the charts of docs/performance.md from the benchmark outputs recorded on it.

The page holds what the scripts under benchmarks/ and ``aif bench run`` printed
(the summary table, the outputs in its code blocks, the suites' tables). This
script reads those figures back from the page and writes one static SVG per chart
into ``docs/img/performance/``: no plotting library, nothing fetched when the page
is viewed. After pasting new benchmark output into the page, run

    python benchmarks/charts.py

and commit the SVGs; ``tests/docs/test_performance_charts.py`` fails while a chart
and the figures it is drawn from disagree.
"""

from __future__ import annotations

import argparse
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "performance.md"
OUT = ROOT / "docs" / "img" / "performance"

WIDTH = 720
LABEL_W = 230
BAR_H = 14
GAP = 10
COLORS = ("#3f6fb5", "#e0883e", "#5aa469", "#9b59b6")
FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"'


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]


# --- reading the page


def section(page: str, heading: str) -> str:
    """The text under the heading that starts with ``heading``, up to the next heading."""
    match = re.search(rf"^#+ {re.escape(heading)}.*?$(.*?)(?=^#+ |\Z)", page, re.M | re.S)
    if match is None:
        raise SystemExit(f"docs/performance.md has no section {heading!r}")
    return match.group(1)


def code_blocks(text: str) -> list[list[str]]:
    return [block.strip("\n").splitlines() for block in re.findall(r"```\n(.*?)```", text, re.S)]


def pipe_table(text: str) -> list[dict[str, str]]:
    """The first Markdown table in ``text``, as rows keyed by header."""
    all_lines = text.splitlines()
    first = next(i for i, line in enumerate(all_lines) if line.startswith("|"))
    lines = [*itertools.takewhile(lambda line: line.startswith("|"), all_lines[first:])]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    return [
        dict(zip(header, (cell.strip() for cell in line.strip("|").split("|")), strict=True))
        for line in lines[2:]
    ]


def number(text: str) -> float | None:
    match = re.search(r"-?[\d,]*\.?\d+", text)
    return None if match is None or "—" in text else float(match.group().replace(",", ""))


# --- drawing


def _svg(height: int, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(title)}">\n'
        f"<title>{escape(title)}</title>\n"
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>\n'
        f'<text x="10" y="20" font-size="14" font-weight="600" {FONT}>{escape(title)}</text>\n'
        + "\n".join(body)
        + "\n</svg>\n"
    )


def bars(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    unit: str,
    log: bool = False,
    reference: tuple[float, str] | None = None,
) -> str:
    """Horizontal grouped bars: one group per label, one bar per series."""
    values = [v for s in series for v in s.values if v is not None]
    if reference is not None:
        values.append(reference[0])
    top = max(values)
    low = min(v for v in values if v > 0) if log else 0.0
    lo, hi = (math.floor(math.log10(low)), math.ceil(math.log10(top))) if log else (0, 0)
    plot_w = WIDTH - LABEL_W - 70

    def x(value: float) -> float:
        if log:
            return LABEL_W + plot_w * (math.log10(value) - lo) / max(hi - lo, 1)
        return LABEL_W + plot_w * value / (top * 1.08)

    group_h = len(series) * BAR_H + GAP
    top_y = 40 + (18 if len(series) > 1 else 0)
    height = top_y + len(labels) * group_h + 34
    body: list[str] = []
    if len(series) > 1:  # legend
        for i, s in enumerate(series):
            lx = 10 + i * 170
            body.append(f'<rect x="{lx}" y="30" width="10" height="10" fill="{COLORS[i]}"/>')
            body.append(f'<text x="{lx + 14}" y="39" font-size="11" {FONT}>{escape(s.name)}</text>')
    ticks = [10.0**e for e in range(lo, hi + 1)] if log else _ticks(top * 1.08)
    axis_y = top_y + len(labels) * group_h
    for tick in ticks:
        tx = x(tick)
        body.append(
            f'<line x1="{tx:.1f}" y1="{top_y - 4}" x2="{tx:.1f}" y2="{axis_y}" stroke="#e3e3e3"/>'
        )
        body.append(
            f'<text x="{tx:.1f}" y="{axis_y + 14}" font-size="10" text-anchor="middle" '
            f'fill="#555" {FONT}>{_fmt(tick)}</text>'
        )
    body.append(
        f'<text x="{LABEL_W + plot_w / 2:.0f}" y="{axis_y + 28}" font-size="11" '
        f'text-anchor="middle" fill="#333" {FONT}>{escape(unit)}</text>'
    )
    for g, label in enumerate(labels):
        gy = top_y + g * group_h
        body.append(
            f'<text x="{LABEL_W - 8}" y="{gy + len(series) * BAR_H / 2 + 4:.1f}" font-size="11" '
            f'text-anchor="end" {FONT}>{escape(label)}</text>'
        )
        for i, s in enumerate(series):
            value = s.values[g]
            if value is None:
                continue
            by = gy + i * BAR_H
            # on a log scale a ratio's bar starts at 1 (as fast), left when below it
            start = x(1.0) if log else float(LABEL_W)
            left, right = sorted((start, x(value)))
            right = max(right, left + 1.0)
            body.append(
                f'<rect class="bar" x="{left:.1f}" y="{by + 1}" width="{right - left:.1f}" '
                f'height="{BAR_H - 2}" fill="{COLORS[i]}"><title>{escape(label)}, '
                f"{escape(s.name)}: {_fmt(value)}</title></rect>"
            )
            below = log and value < 1.0
            body.append(
                f'<text x="{(left - 4 if below else right + 4):.1f}" y="{by + BAR_H - 3}" '
                f'font-size="10" fill="#333" text-anchor="{"end" if below else "start"}" '
                f"{FONT}>{_fmt(value)}</text>"
            )
    if reference is not None:
        rx = x(reference[0])
        body.append(
            f'<line x1="{rx:.1f}" y1="{top_y - 6}" x2="{rx:.1f}" y2="{axis_y}" '
            'stroke="#c0392b" stroke-dasharray="4 3"/>'
        )
        body.append(
            f'<text x="{rx + 4:.1f}" y="{top_y - 8}" font-size="10" fill="#c0392b" '
            f"{FONT}>{escape(reference[1])}</text>"
        )
    return _svg(height, body, title)


def scatter(
    title: str, points: Sequence[tuple[str, float, float]], *, x_label: str, y_label: str
) -> str:
    """Labelled points, both axes 0-100 %."""
    left, top, size = 70, 40, 360
    height = top + size + 50
    body: list[str] = []
    for tick in range(0, 101, 20):
        px, py = left + size * tick / 100, top + size - size * tick / 100
        body.append(f'<line x1="{px}" y1="{top}" x2="{px}" y2="{top + size}" stroke="#e3e3e3"/>')
        body.append(f'<line x1="{left}" y1="{py}" x2="{left + size}" y2="{py}" stroke="#e3e3e3"/>')
        body.append(
            f'<text x="{px}" y="{top + size + 14}" font-size="10" text-anchor="middle" '
            f'fill="#555" {FONT}>{tick}%</text>'
        )
        body.append(
            f'<text x="{left - 6}" y="{py + 3}" font-size="10" text-anchor="end" '
            f'fill="#555" {FONT}>{tick}%</text>'
        )
    body.append(
        f'<text x="{left + size / 2}" y="{top + size + 32}" font-size="11" '
        f'text-anchor="middle" {FONT}>{escape(x_label)}</text>'
    )
    body.append(
        f'<text x="16" y="{top + size / 2}" font-size="11" text-anchor="middle" '
        f'transform="rotate(-90 16 {top + size / 2})" {FONT}>{escape(y_label)}</text>'
    )
    placed: list[tuple[float, float]] = []
    for label, xv, yv in points:
        px, py = left + size * xv / 100, top + size - size * yv / 100
        body.append(
            f'<circle class="point" cx="{px:.1f}" cy="{py:.1f}" r="5" fill="{COLORS[0]}" '
            f'fill-opacity="0.8"><title>{escape(label)}: {xv:g}% tokens, {yv:g}% passed</title>'
            "</circle>"
        )
        ly = py + 4  # points that coincide get their labels stacked, not overprinted
        while any(abs(ly - qy) < 12 and abs(px - qx) < 120 for qx, qy in placed):
            ly += 12
        placed.append((px, ly))
        body.append(
            f'<text x="{px + 8:.1f}" y="{ly:.1f}" font-size="10" {FONT}>{escape(label)}</text>'
        )
    return _svg(height, body, title)


def _ticks(top: float) -> list[float]:
    step = 10 ** math.floor(math.log10(top))
    step = step / 2 if top / step < 4 else step
    return [i * step for i in range(int(top / step) + 1)]


def _fmt(value: float) -> str:
    if value == int(value) and value >= 1:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}".rstrip("0").rstrip(".") if value < 10 else f"{value:.1f}"


# --- the charts


def charts(page: str) -> dict[str, str]:
    """Every chart of the page: file name -> SVG text."""
    out: dict[str, str] = {}

    rows = pipe_table(section(page, "Summary"))
    ratio = [r for r in rows if number(r["\u00d7 lower bound"]) is not None]
    out["summary-lower-bound.svg"] = bars(
        "aifkit against the lower bound and the peers (lower is better)",
        [r["component"].replace("`", "") for r in ratio],
        [
            Series("\u00d7 the lower bound", tuple(number(r["\u00d7 lower bound"]) for r in ratio)),
            Series("\u00d7 the peer", tuple(number(r["\u00d7 peer"]) for r in ratio)),
        ],
        unit="ratio (log scale); 1 = as fast",
        log=True,
        reference=(1.0, "1\u00d7"),
    )

    block = next(b for b in code_blocks(section(page, "Conversion")) if "target" in b[0])
    formats = [[c.strip() for c in line.split("|")] for line in block[1:]]
    out["conversion-formats.svg"] = bars(
        "Conversion from openai-chat, 1,000 messages (µs per message)",
        [f[0] for f in formats],
        [
            Series("convert", tuple(number(f[1]) for f in formats)),
            Series("round trip", tuple(number(f[5]) for f in formats)),
        ],
        unit="µs per message",
        reference=(
            float(number(formats[0][1]) or 0) / float(number(formats[0][2]) or 1),
            "json.loads",
        ),
    )

    block = code_blocks(section(page, "Compression"))[0]
    methods = [line.split() for line in block[1:]]
    out["compression-survival.svg"] = bars(
        "Evidence kept per compression method, single needle (higher is better)",
        [m[0] for m in methods],
        [
            Series("2\u00d7 (keep 0.5)", tuple(number(m[1]) for m in methods)),
            Series("4\u00d7 (keep 0.25)", tuple(number(m[4]) for m in methods)),
            Series("10\u00d7 (keep 0.1)", tuple(number(m[7]) for m in methods)),
        ],
        unit="planted facts that survive (%)",
    )

    suite = pipe_table(section(page, "The standard suite"))
    out["standard-suite.svg"] = scatter(
        "The standard suite: passed against tokens kept, per strategy",
        [
            (
                r["strategy"].strip("`"),
                float(number(r["tokens"]) or 0),
                float(number(r["passed"]) or 0),
            )
            for r in suite
            if number(r["tokens"]) is not None
        ],
        x_label="tokens kept (mean share of the conversation)",
        y_label="cells passed",
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a chart is stale")
    args = parser.parse_args()
    drawn = charts(PAGE.read_text(encoding="utf-8"))
    stale = [
        n for n, svg in drawn.items() if not (OUT / n).exists() or (OUT / n).read_text() != svg
    ]
    if args.check:
        print("\n".join(f"stale: docs/img/performance/{n}" for n in stale) or "charts up to date")
        raise SystemExit(1 if stale else 0)
    OUT.mkdir(parents=True, exist_ok=True)
    for name, svg in drawn.items():
        (OUT / name).write_text(svg, encoding="utf-8")
        print(f"wrote docs/img/performance/{name}")


if __name__ == "__main__":
    main()
