"""Records (a JSON array of objects, a CSV table): schema, counts, a few rows, every outlier.

A row is an outlier when one of its fields is: a number far from the field's
median (a robust z-score over the median absolute deviation past 3.5; when too
many are, a spread, only its largest and smallest), a
negative number where nearly all are positive, a null or missing value where
nearly all rows have one, or a category that nearly no row has. The fields of an
object in a row count as fields (``properties.mag`` of a GeoJSON feature). The outliers, the
first rows and the last row are worth keeping; the rest collapse into one marker.
Medians come from `numpy.median` (a partition, not a sort), so this is linear.
"""

from __future__ import annotations

import csv
import json
import secrets
from collections import Counter
from typing import Any, cast

import numpy as np

from aifkit.budget.compressors._kinds import record_array
from aifkit.budget.compressors._layout import FAR, FRAME, Layout, Piece, robust_z

__all__ = ["outliers", "records_layout", "table_layout"]

_FIRST = 2
_SEP = {"\t": "\t", ",": ",", "|": "|", ";": ";"}


def outliers(rows: list[dict[str, Any]]) -> list[list[str]]:
    """Return, per row, the fields in which it is an outlier.

    Examples:
        >>> rows = [{"sku": f"A{i}", "stock": 10 + i % 7} for i in range(50)]
        >>> rows[17]["stock"] = -3
        >>> rows[30]["stock"] = None
        >>> [(i, f) for i, f in enumerate(outliers(rows)) if f]
        [(17, ['stock']), (30, ['stock'])]
    """
    n = len(rows)
    found: list[list[str]] = [[] for _ in rows]
    # The cells each key has, in one pass over the rows: a full column per key would cost
    # rows x keys, quadratic when each row brings keys of its own.
    columns: dict[str, list[tuple[int, Any]]] = {}
    for i, row in enumerate(rows):
        for key, value in row.items():
            if isinstance(value, dict):  # GeoJSON's properties, an API's attributes
                for sub, inner in cast("dict[str, Any]", value).items():
                    columns.setdefault(f"{key}.{sub}", []).append((i, inner))
            else:
                columns.setdefault(key, []).append((i, value))
    for key, cells in columns.items():
        held = {i for i, v in cells if v is not None}
        if len(held) * 10 >= n * 9:  # a value is usual here: a row without one stands out
            for i in range(n):
                if i not in held:
                    found[i].append(key)
        for i in _column_outliers(cells, n):
            found[i].append(key)
    return found


def _column_outliers(cells: list[tuple[int, Any]], n: int) -> list[int]:
    """The rows (of ``n``) whose cell in this column stands out; ``cells`` are the rows that have one."""
    nums = [
        (i, float(v)) for i, v in cells if isinstance(v, int | float) and not isinstance(v, bool)
    ]
    if len(nums) * 2 > n and len(nums) >= 5:
        return _numeric(nums)
    values = [(i, v) for i, v in cells if isinstance(v, str | bool)]
    if len(values) < 10:
        return []
    counts = Counter(v for _, v in values)
    if len(counts) > max(10, len(values) // 10):
        return []  # names and ids, not categories
    rare = max(1, len(values) // 100)
    return [i for i, v in values if counts[v] <= rare and counts[v] < len(values)]


def _numeric(nums: list[tuple[int, float]]) -> list[int]:
    arr = np.fromiter((v for _, v in nums), dtype=np.float64, count=len(nums))
    far = np.abs(robust_z(arr)) > FAR
    negative = arr < 0
    negative_rare = int(negative.sum()) * 20 <= len(arr)
    flagged = np.flatnonzero(far | (negative & negative_rare)).tolist()
    if len(flagged) * 20 > len(nums):  # not rare: a spread; its far extremes still stand out
        keep = set(np.flatnonzero(negative).tolist()) if negative_rare else set[int]()
        keep |= {k for k in (int(np.argmax(arr)), int(np.argmin(arr))) if far[k]}
        flagged = sorted(keep)
    return [nums[k][0] for k in flagged]


def _schema(rows: list[dict[str, Any]]) -> str:
    keys: Counter[str] = Counter()
    for row in rows:
        keys.update(row.keys())
    parts: list[str] = []
    for key in list(keys)[:12]:
        vals = [row.get(key) for row in rows]
        nums = [v for v in vals if isinstance(v, int | float) and not isinstance(v, bool)]
        if nums and len(nums) * 2 > len(vals):
            parts.append(f"{key} {min(nums):g}..{max(nums):g}")
        else:
            distinct = len({json.dumps(v) for v in vals})
            parts.append(f"{key} ({distinct} distinct)" if distinct > 5 else key)
    return f"{len(rows)} rows; fields: {', '.join(parts)}"


def _row_score(i: int, n: int, odd: list[str]) -> float:
    if odd:
        return 0.9
    if i < _FIRST:
        return 0.5
    return 0.3 if i == n - 1 else 0.05


def records_layout(value: Any) -> Layout | None:
    """Lay out the array of objects in a JSON value one row a line, outliers scored high.

    Returns None when the value holds no such array.

    Examples:
        >>> rows = [{"sku": f"A{i}", "stock": 10 + i % 7} for i in range(50)]
        >>> rows[17]["stock"] = -3
        >>> lay = records_layout({"items": rows})
        >>> sorted(lay.pieces, key=lambda p: -p.score)[3].text
        '{"sku": "A17", "stock": -3},\\n'
    """
    found = record_array(value)
    if found is None:
        return None
    key, rows = found
    n = len(rows)
    odd = outliers(rows)
    if key is None:
        head, tail = "[\n", "]"
    else:
        # A placeholder no value can hold marks where the rows go (a nested key of the
        # same name, or a null elsewhere, must not be taken for it).
        placeholder = f"\x00{secrets.token_hex(16)}\x00"  # in no value: never in the output
        spot = json.dumps(placeholder)
        frame = json.dumps({**cast("dict[str, Any]", value), key: placeholder}, ensure_ascii=False)
        cut = frame.index(spot)
        head, tail = frame[:cut] + "[\n", "]" + frame[cut + len(spot) :]
    pieces = [Piece(head, FRAME, "frame"), Piece(f"// {_schema(rows)}\n", FRAME, "frame")]
    for i, row in enumerate(rows):
        end = ",\n" if i < n - 1 else "\n"
        text = json.dumps(row, ensure_ascii=False) + end
        pieces.append(Piece(text, _row_score(i, n, odd[i]), "rows"))
    pieces.append(Piece(tail, FRAME, "frame"))
    return Layout(pieces, "rows", {"rows": "similar"}, kind="records")


def table_layout(text: str) -> Layout:
    """Lay out a CSV, TSV or Markdown table: the header kept, outlier rows scored high.

    Examples:
        >>> csv_text = "sku,stock\\n" + "".join(f"A{i},{10 + i % 5}\\n" for i in range(40))
        >>> csv_text = csv_text.replace("A9,14", "A9,-2")
        >>> lay = table_layout(csv_text)
        >>> [p.text for p in lay.pieces if p.score == 0.9]
        ['A9,-2\\n']
    """
    lines = text.splitlines(keepends=True)
    sep = _separator(lines[0]) if lines else ","
    reader = csv.reader((line.rstrip("\r\n") for line in lines), delimiter=sep)
    cells = [row for row in reader]
    header = [h.strip() for h in cells[0]] if cells else []
    rows = [dict(zip(header, (_cell(c) for c in row), strict=False)) for row in cells[1:]]
    odd: list[list[str]] = outliers(rows) if len(rows) >= 3 else [[] for _ in rows]
    pieces = [Piece(lines[0], FRAME, "frame")] if lines else []
    n = len(rows)
    for i, line in enumerate(lines[1:]):
        score = _row_score(i, n, odd[i]) if i < n else 0.05
        if line.lstrip().startswith("|-") or set(line.strip()) <= set("|-: "):
            score = FRAME
        pieces.append(Piece(line, score, "rows"))
    return Layout(pieces, "rows", {"rows": "similar"}, kind="table")


def _separator(header: str) -> str:
    return max(_SEP, key=header.count)


def _cell(text: str) -> Any:
    s = text.strip()
    if not s or s.lower() in ("null", "none", "nan", "na", "n/a"):
        return None
    try:
        return float(s) if any(c in s for c in ".eE") else int(s)
    except ValueError:
        return s
