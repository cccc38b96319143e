"""Records: every kind of outlier found, schema and counts stated, elided rows given back."""

from __future__ import annotations

import json
import random
from typing import Any

from aifkit.budget.compressors._layout import render
from aifkit.budget.compressors._records import outliers, records_layout, table_layout


def _rows(n: int) -> list[dict[str, Any]]:
    rng = random.Random(1)
    return [{"sku": f"S{i}", "stock": rng.randint(10, 500), "status": "active",
             "price": round(rng.uniform(5, 50), 2)} for i in range(n)]  # fmt: skip


def test_negative_extreme_null_and_rare_category_are_outliers() -> None:
    rows = _rows(260)
    rows[10]["stock"] = -4
    rows[20]["stock"] = 990_000
    rows[30]["price"] = None
    rows[40]["status"] = "recalled"
    del rows[50]["sku"]
    found = {i: f for i, f in enumerate(outliers(rows)) if f}
    assert found == {10: ["stock"], 20: ["stock"], 30: ["price"], 40: ["status"], 50: ["sku"]}


def test_uniform_data_has_no_outliers() -> None:
    assert not any(outliers(_rows(200)))


def test_the_layout_states_the_schema_and_gives_back_exactly_the_elided_rows() -> None:
    rows = _rows(100)
    rows[60]["stock"] = -7
    lay = records_layout({"count": 100, "items": rows})
    assert lay is not None
    keep = [p.score >= 0.9 for p in lay.pieces]
    text, elided = render(lay, keep)
    top = max(r["stock"] for r in rows)
    assert f"// 100 rows; fields: sku (100 distinct), stock -7..{top}, status" in text
    assert '{"sku": "S60", "stock": -7' in text
    assert "[99 rows similar elided, ref " in text
    (body,) = elided.values()
    back = [json.loads(line.rstrip().rstrip(",")) for line in body.splitlines()]
    assert back == rows[:60] + rows[61:]  # exactly the rows left out, in order


def test_a_csv_table_keeps_its_header_and_finds_the_odd_row() -> None:
    text = "sku,stock\n" + "".join(f"A{i},{10 + i % 5}\n" for i in range(60))
    text = text.replace("A33,13", "A33,-1")
    lay = table_layout(text)
    assert lay.pieces[0].text == "sku,stock\n"
    assert lay.pieces[0].score == 3.0
    assert [p.text for p in lay.pieces if p.score == 0.9] == ["A33,-1\n"]


def test_rows_go_where_their_key_is_even_when_a_nested_key_has_the_same_name() -> None:
    value = {"rows": [{"a": i, "b": "x"} for i in range(30)], "meta": {"rows": None}}
    layout = records_layout(value)
    assert layout is not None
    text = "".join(p.text for p in layout.pieces)
    assert text.startswith('{"rows": [\n')
    assert text.endswith('], "meta": {"rows": null}}')


def test_outliers_cost_grows_with_the_cells_not_rows_times_keys() -> None:
    # Each row with a key of its own: a column per key over every row was quadratic.
    import time

    def cost(n: int) -> float:
        rows = [{f"k{i}": i, "stock": i % 7} for i in range(n)]
        best = float("inf")
        for _ in range(3):
            began = time.process_time()
            outliers(rows)
            best = min(best, time.process_time() - began)
        return best

    assert cost(8_000) < 8 * cost(2_000)  # linear: about 4; quadratic: 16


def test_a_spread_keeps_its_far_extremes_only() -> None:
    # Mostly zero with many non-zero counts: a spread. The largest stands out; the
    # smallest is the median itself and does not.
    rows = [{"id": i, "felt": (i % 4) * 10 if i % 3 == 0 else 0} for i in range(60)]
    rows[41]["felt"] = 900
    flagged = [i for i, fields in enumerate(outliers(rows)) if "felt" in fields]
    assert flagged == [41]


def test_fields_of_a_nested_object_are_fields() -> None:
    rows = [{"id": f"e{i}", "properties": {"mag": 1.0 + i % 5 / 10, "kind": "quake"}}
            for i in range(40)]  # fmt: skip
    rows[7]["properties"]["kind"] = "explosion"
    rows[20]["properties"]["mag"] = 6.4
    found = outliers(rows)
    assert found[7] == ["properties.kind"]
    assert found[20] == ["properties.mag"]
