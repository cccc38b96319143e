"""The per-kind compressors on real tool outputs (``aifkit/bench/tool_outputs``, see SOURCES.md)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aifkit.bench._real import _text  # pyright: ignore[reportPrivateUsage]
from aifkit.budget.compressors._code import code_layout
from aifkit.budget.compressors._kinds import content_kind
from aifkit.budget.compressors._logs import _merged, log_layout  # pyright: ignore[reportPrivateUsage]
from aifkit.budget.compressors._records import outliers
from aifkit.budget.compressors._search import search_layout


@pytest.mark.parametrize(
    ("name", "kind"),
    [("bgl.log", "logs"), ("openssh.log", "logs"), ("apache.log", "logs"),
     ("usgs_earthquakes.json", "records"), ("requests_models.py.txt", "code"),
     ("github_search_repositories.json", "search")],
)  # fmt: skip
def test_each_real_output_is_routed_to_its_kind(name: str, kind: str) -> None:
    assert content_kind(_text(name)) == kind


# The first three lines (cut at 110 characters) of other loghub samples (logpai/loghub
# at dd61d09, <System>/<System>_2k.log; see aifkit/bench/tool_outputs/SOURCES.md).
_LOGHUB_HEADS = {
    "HDFS": "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 termina\n081109 203807 222 INFO dfs.DataNode$PacketResponder: PacketResponder 0 for block blk_-6952295868487656571 term\n081109 204005 35 INFO dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock: blockMap updated: 10.251.73.220:5001\n",
    "Spark": "17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers for [TERM, HUP, INT]\r\n17/06/09 20:10:40 INFO spark.SecurityManager: Changing view acls to: yarn,curi\r\n17/06/09 20:10:40 INFO spark.SecurityManager: Changing modify acls to: yarn,curi\r\n",
    "Android": '03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogsopening app wtoken = AppWindowToken{9f\n03-17 16:13:38.819  1702  8671 D PowerManagerService: acquire lock=233570404, flags=0x1, tag="View Lock", name\n03-17 16:13:38.820  1702  8671 D PowerManagerService: ready=true,policy=3,wakefulness=1,wksummary=0x23,uasumma\n',
    "HealthApp": "20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579\r\n20171223-22:15:29:615|Step_LSC|30002312|onExtend:1514038530000 14 0 4\r\n20171223-22:15:29:633|Step_StandReportReceiver|30002312|onReceive action: android.intent.action.SCREEN_ON\r\n",
    "OpenStack": "nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-3810\nnova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.272 25746 INFO nova.osapi_compute.wsgi.server [req-9bc3\nnova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:01.551 25746 INFO nova.osapi_compute.wsgi.server [req-55db\n",
    "Proxifier": "[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS\n[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS\n[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS\n",
}  # fmt: skip


@pytest.mark.parametrize("system", sorted(_LOGHUB_HEADS))
def test_other_systems_log_formats_are_logs(system: str) -> None:
    assert content_kind(_LOGHUB_HEADS[system]) == "logs"


def _score_of(lines: list[tuple[str, float]], needle: str) -> float:
    return next(score for text, score in lines if needle in text)


def test_bgl_anomaly_lines_outscore_the_repeated_corrected_errors() -> None:
    pieces = [(p.text, p.score) for p in log_layout(_text("bgl.log")).pieces]
    anomaly = _score_of(pieces, "RAPTOR/2183")
    repeats = [s for t, s in pieces if "parity error corrected" in t][5:]
    assert repeats
    assert anomaly > max(repeats)


def test_sshd_the_one_accepted_login_outscores_the_repeated_attack_lines() -> None:
    lay = log_layout(_text("openssh.log"))
    pieces = [(p.text, p.score) for p in lay.pieces]
    accepted = _score_of(pieces, "Accepted password for fztu")
    failures = [s for t, s in pieces if "Failed password for" in t]
    # Every failure after the first few of its template is a repeat; user names vary.
    assert sum(1 for s in failures if s < accepted) * 2 > len(failures)


def test_user_names_in_otherwise_equal_templates_are_fields() -> None:
    lines = [ln for ln in _text("openssh.log").splitlines() if "Invalid user" in ln]
    lay = log_layout("\n".join(lines) + "\n")
    assert len(lines) >= 10
    assert len({p.group for p in lay.pieces}) == 1  # one template for every user


@given(st.lists(st.text("abc", min_size=1, max_size=3), min_size=3, max_size=6), st.integers(0, 9))
def test_merged_templates_keep_their_length_and_need_three(words: list[str], n: int) -> None:
    temps = {" ".join([*words[:1], f"v{i}", *words[1:]]) for i in range(n)}
    merged = _merged(temps)
    for temp, to in merged.items():
        assert len(to.split(" ")) == len(temp.split(" "))
        assert "<*>" in to
    assert bool(merged) == (len(temps) >= 3)


def test_usgs_features_outliers_are_read_in_their_properties() -> None:
    rows = json.loads(_text("usgs_earthquakes.json"))["features"]
    odd = outliers(rows)
    places = {rows[i]["properties"]["place"]: fields for i, fields in enumerate(odd) if fields}
    assert "properties.mag" in places["22km NNE of Hualian, Taiwan"]  # the largest
    assert "properties.type" in places["58km NE of Eureka, Nevada"]  # the one explosion
    assert "properties.tsunami" in places["288km ESE of Kodiak, Alaska"]
    assert len(places) * 4 < len(rows)


def test_every_line_of_a_multiline_signature_scores_as_the_signature() -> None:
    pieces = code_layout(_text("requests_models.py.txt")).pieces
    params = [p.score for p in pieces if "delimiter: str | bytes | None = None" in p.text]
    assert params
    assert all(s == 0.6 for s in params)


def test_github_search_shows_the_page_url_and_scores_the_api_fields_low() -> None:
    text = _text("github_search_repositories.json")
    lay = search_layout(text, json.loads(text))
    heads = [p for p in lay.pieces if p.text.startswith("- ")]
    assert len(heads) == 12
    assert "<https://github.com/Shikhin/tetranglix>" in heads[2].text
    rest = [p for p in lay.pieces if p.text.startswith("  fields: ")]
    assert rest
    assert max(p.score for p in rest) < min(p.score for p in heads)
    assert '"url": "https://api.github.com/repos/Shikhin/tetranglix"' in "".join(
        p.text for p in lay.pieces
    )
