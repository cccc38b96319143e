"""Agent transcripts built from real tool outputs: facts nobody here planted.

`agent_transcript` measures compressors on outputs our own generator writes; this
task measures them on outputs others wrote (``tool_outputs/SOURCES.md`` names each
file's repository, path, commit and license). A transcript holds four: a system log
from loghub (the seed picks one of three), a JSON listing, a source file and a
GitHub search. Two pools: ``dev`` (BlueGene/L, OpenSSH or Apache; a USGS earthquake
feed; Python's ``requests/models.py``; a repository search), on which the
compressors were fixed, and ``held-out`` (Hadoop, ZooKeeper or Thunderbird; BTS
flight records; Ruby's octokit ``repositories.rb``; an issue search), chosen
afterwards and never tuned on.

The facts are in the data already, chosen by a rule before any compressor ran on
them: in logs, the anomaly and error lines of a kind seen once or twice (loghub's
labels where it gives them); in records, the rows that hold a field's extreme or a
value no other row has; in code, a module constant or the parameters of a method;
in search results, the URL of a result a question describes.

The transcript is shaped as `aifkit.bench._agent.transcript`'s: a task, four tool
calls in a seeded order, a few short turns, then a question about one fact.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from aifkit.bench._agent import Fact, Transcript, asked_kind, assemble
from aifkit.bench._tasks import TaskInstance
from aifkit.errors import InvalidInputError

__all__ = ["OUTPUTS", "POOLS", "Output", "Pool", "agent_real", "real_transcript"]


@dataclass(frozen=True, slots=True)
class Output:
    """A recorded tool output: its file, the tool call that returned it, its facts."""

    kind: str
    file: str
    tool: str
    arguments: Mapping[str, Any]
    facts: tuple[Fact, ...]


def _fact(kind: str, key: str, question: str) -> Fact:
    return Fact(kind, key, question)


_LOGS = (
    Output("logs", "bgl.log", "read_log", {"system": "bgl", "tail": 300}, (
        _fact("logs", "/p/gb1/stella/RAPTOR/2183",
              "In the BlueGene/L RAS log, which directory did ciod fail to chdir into at LOGIN?"),
        _fact("logs", "bglio78",
              "In the BlueGene/L RAS log, which I/O node was named in the first failed "
              "Lustre mount?"),
    )),
    Output("logs", "openssh.log", "read_log", {"system": "sshd", "tail": 400}, (
        _fact("logs", "119.137.62.142",
              "In the sshd log, from which IP address did the one accepted password login come?"),
        _fact("logs", "Too many authentication failures for admin",
              "In the sshd log, for which user was a client disconnected after too many "
              "authentication failures?"),
    )),
    Output("logs", "apache.log", "read_log", {"system": "httpd", "tail": 200}, (
        _fact("logs", "207.12.15.211",
              "In the Apache error log, which client was refused a directory index?"),
    )),
)  # fmt: skip

_RECORDS = Output(
    "records", "usgs_earthquakes.json", "query_events", {"feed": "all_week", "limit": 60}, (
        _fact("records", "22km NNE of Hualian, Taiwan",
              "In the earthquake feed, where was the event with the largest magnitude?"),
        _fact("records", "58km NE of Eureka, Nevada",
              "In the earthquake feed, where was the event that was an explosion, not an "
              "earthquake?"),
        _fact("records", "288km ESE of Kodiak, Alaska",
              "In the earthquake feed, where was the event with the tsunami flag set?"),
    ),
)  # fmt: skip

_CODE = Output(
    "code", "requests_models.py.txt", "read_file", {"path": "src/requests/models.py"}, (
        _fact("code", "CONTENT_CHUNK_SIZE: int = 10 * 1024",
              "What is CONTENT_CHUNK_SIZE set to in requests' models.py?"),
        _fact("code", "delimiter: str | bytes | None = None",
              "In requests' models.py, what type and default does Response.iter_lines give "
              "its delimiter parameter?"),
    ),
)  # fmt: skip

_SEARCH = Output(
    "search", "github_search_repositories.json", "search_repositories",
    {"q": "tetris language:assembly", "sort": "stars"}, (
        _fact("search", "https://github.com/Shikhin/tetranglix",
              "Which repository in the search results is a bootable 512-byte Tetris clone? "
              "Give its URL."),
        _fact("search", "https://github.com/coolhongly/8088-Microprocessor-Tetris",
              "Which repository in the search results targets the 8088 microprocessor? "
              "Give its URL."),
    ),
)  # fmt: skip

_HELD_OUT_LOGS = (
    Output("logs", "hadoop.log", "read_log", {"system": "mapreduce", "tail": 200}, (
        _fact("logs", "java.net.NoRouteToHostException",
              "In the Hadoop log, which exception made the map task attempts exit?"),
        _fact("logs", "65020ms",
              "In the Hadoop log, how long did the slow ReadProcessor read take?"),
    )),
    Output("logs", "zookeeper.log", "read_log", {"system": "zookeeper", "tail": 300}, (
        _fact("logs", "NIOServerCnxn@180",
              "In the ZooKeeper log, which component logged the Unexpected Exception error?"),
        _fact("logs", "ZooKeeperServer not running",
              "In the ZooKeeper log, why was session 0x0 closed?"),
    )),
    Output("logs", "thunderbird.log", "read_log", {"system": "thunderbird", "tail": 300}, (
        _fact("logs", "Bind to port 22 on 0.0.0.0 failed",
              "In the Thunderbird log, what did sshd fail to bind?"),
        _fact("logs", "probe of vesafb0 failed",
              "In the Thunderbird log, which framebuffer device's probe failed with error -6?"),
    )),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Pool:
    """The outputs one transcript draws on: a log (by seed), records, code, search."""

    logs: tuple[Output, ...]
    records: Output
    code: Output
    search: Output
    task: str
    read: str


POOLS: Mapping[str, Pool] = {
    "dev": Pool(
        _LOGS, _RECORDS, _CODE, _SEARCH,
        "Gather what we need for the incident review: the system log, the event feed, "
        "the HTTP client's models module and the repository search.",
        "I have read the log, the feed, the module and the search results.",
    ),
    # Chosen after the compressors were fixed on "dev" and measured once, untouched:
    # what a reviewer's data would show.
    "held-out": Pool(
        _HELD_OUT_LOGS,
        Output("records", "bts_flights.json", "query_flights", {"month": "2001-01", "limit": 300}, (
            _fact("records", "2001/01/12 19:51",
                  "In the flight records, when did the flight with the longest delay leave?"),
            _fact("records", "2001/01/12 18:37",
                  "In the flight records, when did the longest-distance flight leave?"),
        )),
        Output("code", "octokit_repositories.rb.txt", "read_file",
               {"path": "lib/octokit/client/repositories.rb"}, (
            _fact("code", "transfer_repository(repo, new_owner, options = {})",
                  "In octokit's repositories.rb, what parameters does transfer_repository take?"),
            _fact("code", "check_assignee(repo, assignee, options = {})",
                  "In octokit's repositories.rb, what parameters does check_assignee take?"),
        )),
        Output("search", "github_search_issues.json", "search_issues",
               {"q": "http author:jasonrudolph", "sort": "created"}, (
            _fact("search", "https://github.com/rails/rails/pull/389",
                  "Which search result is about always flushing the logger at exit? "
                  "Give its URL."),
            _fact("search", "https://github.com/rsanheim/chatterbox/issues/1",
                  "Which search result reports that backtraces are no longer formatted "
                  "cleanly? Give its URL."),
        )),
        "Gather what we need for the postmortem: the cluster log, the flight records, "
        "the API client's repositories module and the issue search.",
        "I have read the log, the records, the module and the search results.",
    ),
}  # fmt: skip
"""The outputs by pool: ``dev`` (the compressors were fixed on it) and ``held-out``."""

OUTPUTS: tuple[Output, ...] = tuple(
    o for pool in POOLS.values() for o in (*pool.logs, pool.records, pool.code, pool.search)
)
"""Every recorded output the task draws on, with the facts each holds."""


@cache
def _text(name: str) -> str:
    # Read when a task is built, never at import time.
    return (files("aifkit.bench") / "tool_outputs" / name).read_text(encoding="utf-8")


def real_transcript(seed: int | str, *, pool: str = "dev", asked: str | None = None) -> Transcript:
    """Return a transcript of four real tool outputs and a question about one of their facts.

    Args:
        seed: Picks the log, the order of the tool calls and (without ``asked``)
            the question.
        pool: ``dev`` or ``held-out`` (`POOLS`).
        asked: The kind the last turn asks about (its first fact).
    """
    rng = random.Random(seed)
    chosen = POOLS[pool]
    outputs = [chosen.logs[rng.randrange(len(chosen.logs))], chosen.records, chosen.code,
               chosen.search]  # fmt: skip
    rng.shuffle(outputs)
    calls = [(out.tool, out.arguments, _text(out.file)) for out in outputs]
    facts = [f for out in outputs for f in out.facts]
    return assemble(chosen.task, calls, chosen.read, facts, asked, rng)


def agent_real(params: Mapping[str, Any], seed: int, model: str) -> TaskInstance:
    """An agent transcript of real tool outputs whose last turn asks about one of their facts.

    Params: ``pool`` (``dev``, the default, or ``held-out``), ``asked`` (``logs``,
    ``records``, ``code`` or ``search``; default: by seed). Every fact of the four
    outputs is measured (``facts_kept``); the asked one is the answer. About 45k
    to 75k tokens on gpt-4o, whatever the model.

    Examples:
        >>> task = agent_real({"asked": "records"}, 0, "gpt-4o")
        >>> task.answers[0] in task.facts, task.extra["asked"], len(task.body["messages"])
        (True, 'records', 14)
        >>> agent_real({"pool": "held-out"}, 0, "gpt-4o").extra["log"]
        'thunderbird.log'
    """
    del model  # the outputs are what they are
    pool = params.get("pool", "dev")
    if pool not in POOLS:
        raise InvalidInputError(
            "/params/pool", f"unknown pool {pool!r}", hint=f"use one of {', '.join(POOLS)}"
        )
    tr = real_transcript(f"real:{seed}", pool=str(pool), asked=asked_kind(params, seed))
    log = next(o.file for o in POOLS[pool].logs if o.facts[0] in tr.facts)
    return TaskInstance(
        tr.body, tr.asked.question, (tr.asked.key,), facts=tuple(f.key for f in tr.facts),
        extra={"asked": tr.asked.kind, "log": log},
    )  # fmt: skip
