"""Agent transcripts built from real tool outputs: facts nobody here planted.

`agent_transcript` measures compressors on outputs our own generator writes; this
task measures them on outputs others wrote (``tool_outputs/SOURCES.md`` names each
file's repository, path, commit and license): a system log from loghub (BlueGene/L
RAS, OpenSSH or Apache; the seed picks one), a USGS earthquake feed (GeoJSON), a
Python module (``requests/models.py``) and a GitHub repository search.

The facts are in the data already, chosen by a rule written before any compressor
ran on them: in logs, the anomaly lines (BGL's labels) or the one line of its kind
(the only accepted login among break-in attempts, the only refused directory
index); in records, the field values that are rare (the largest magnitude, the only
explosion, the only tsunami flag); in code, a module constant and a parameter of a
multi-line signature; in search results, the URL of a result a question describes.

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

__all__ = ["OUTPUTS", "Output", "agent_real", "real_transcript"]


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

OUTPUTS: tuple[Output, ...] = (*_LOGS, _RECORDS, _CODE, _SEARCH)
"""Every recorded output the task draws on, with the facts each holds."""


@cache
def _text(name: str) -> str:
    # Read when a task is built, never at import time.
    return (files("aifkit.bench") / "tool_outputs" / name).read_text(encoding="utf-8")


def real_transcript(seed: int | str, *, asked: str | None = None) -> Transcript:
    """Return a transcript of four real tool outputs and a question about one of their facts.

    Args:
        seed: Picks the log, the order of the tool calls and (without ``asked``)
            the question.
        asked: The kind the last turn asks about (its first fact).
    """
    rng = random.Random(seed)
    log = _LOGS[rng.randrange(len(_LOGS))]
    outputs = [log, _RECORDS, _CODE, _SEARCH]
    rng.shuffle(outputs)
    task = ("Gather what we need for the incident review: the system log, the event "
            "feed, the HTTP client's models module and the repository search.")  # fmt: skip
    calls = [(out.tool, out.arguments, _text(out.file)) for out in outputs]
    facts = [f for out in outputs for f in out.facts]
    read = "I have read the log, the feed, the module and the search results."
    return assemble(task, calls, read, facts, asked, rng)


def agent_real(params: Mapping[str, Any], seed: int, model: str) -> TaskInstance:
    """An agent transcript of real tool outputs whose last turn asks about one of their facts.

    Params: ``asked`` (``logs``, ``records``, ``code`` or ``search``; default: by
    seed). Every fact of the four outputs is measured (``facts_kept``); the asked
    one is the answer. About 60k tokens on gpt-4o, whatever the model.

    Examples:
        >>> task = agent_real({"asked": "records"}, 0, "gpt-4o")
        >>> task.answers[0] in task.facts, task.extra["asked"], len(task.body["messages"])
        (True, 'records', 14)
    """
    del model  # the outputs are what they are
    tr = real_transcript(f"real:{seed}", asked=asked_kind(params, seed))
    return TaskInstance(
        tr.body, tr.asked.question, (tr.asked.key,), facts=tuple(f.key for f in tr.facts),
        extra={"asked": tr.asked.kind, "log": next(o.file for o in _LOGS if o.facts[0] in tr.facts)},
    )  # fmt: skip
