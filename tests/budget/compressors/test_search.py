"""Search results: handles kept first, duplicates worth nothing, novel snippets above boilerplate."""

from __future__ import annotations

import json

from aifkit.budget.compressors._search import search_layout


def test_a_repeated_result_scores_zero_and_a_novel_snippet_scores_high() -> None:
    rows = [{"title": f"Guide {i}", "url": f"https://x.org/{i}",
             "snippet": "A generic guide to bridges and tunnels."} for i in range(10)]  # fmt: skip
    rows.append(dict(rows[3]))
    rows.append({"title": "Orvane", "url": "https://y.org/o",
                 "snippet": "The Orvane bridge reopened with a 7,450 tonne limit."})  # fmt: skip
    lay = search_layout(json.dumps(rows), rows)
    dup = [p for p in lay.pieces if p.group == "duplicates"]
    assert dup
    assert all(p.score == 0 for p in dup)
    best = max(lay.pieces, key=lambda p: p.score)
    assert "7,450" in best.text
    assert all("https://" in p.text for p in lay.pieces if p.text.startswith("- "))


def test_a_few_other_fields_stay_on_the_handle_and_many_get_a_line_of_their_own() -> None:
    short = {"results": [{"title": f"T{i}", "url": f"https://x.org/{i}", "content": f"c {i}",
                          "score": 0.9 - i / 100} for i in range(4)]}  # fmt: skip
    lay = search_layout(json.dumps(short), short)
    assert lay.pieces[0].text == '- T0 <https://x.org/0> {"score": 0.9}\n'
    long = {"items": [{"name": f"r{i}", "html_url": f"https://github.com/o/r{i}",
                       "url": f"https://api.github.com/repos/o/r{i}", "description": "d",
                       **{f"f{k}_url": f"https://api.github.com/{k}" for k in range(9)}}
                      for i in range(4)]}  # fmt: skip
    pieces = search_layout(json.dumps(long), long).pieces
    assert pieces[0].text == "- r0 <https://github.com/o/r0>\n"
    assert pieces[2].text.startswith('  fields: {"url": "https://api.github.com/repos/o/r0"')
    assert pieces[2].score < min(pieces[0].score, pieces[1].score)


def _results(snippets: list[str]) -> str:
    return "\n".join(
        f"{i + 1}. Guide {i}\n   https://news.example.com/{i}\n   {s}\n"
        for i, s in enumerate(snippets)
    )


def test_the_one_result_unlike_the_others_scores_as_an_outlier_row() -> None:
    usual = [f"Read the guide to Arden roads for {2020 + i % 6}. Updated {i % 28 + 1} Mar."
             for i in range(14)]  # fmt: skip
    odd = "The Orvane viaduct reopened to traffic with a load limit of 74,450 tonnes."
    lay = search_layout(_results([*usual[:9], odd, *usual[9:]]))
    scores = {p.text.strip(): p.score for p in lay.pieces}
    assert scores[odd] == 0.9  # as records' outlier rows, above the handles (0.6)
    assert max(s for t, s in scores.items() if t in usual) < 0.6


def test_results_that_all_differ_are_a_spread_not_outliers() -> None:
    varied = [f"Result {i}: {' '.join(f'w{i}x{k}' for k in range(i % 7 + 1))} and more."
              for i in range(20)]  # fmt: skip
    lay = search_layout(_results(varied))
    assert max(p.score for p in lay.pieces) < 0.9
