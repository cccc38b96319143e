"""Agent transcripts: four large tool outputs with a fact planted in each, asked about later.

`transcript(seed)` writes an OpenAI Chat body of about 60k tokens (gpt-4o): a
system prompt, a task, four tool calls whose results are a service log
(~900 lines), an inventory listing (~260 JSON records), a source file (~160
functions) and web search results (~60 results), in a seeded order, then a few
short turns and a question about one of the four facts. The facts are of the
kind an agent needs later without knowing it at compression time:

* logs: one FATAL line among INFO/WARN/ERROR traffic (there are other errors);
* records: one row with negative stock (there are other rare values: a few
  discontinued items, a few very large stocks);
* code: one module constant placed between functions (there are other constants);
* search: one result stating a figure, among results that also carry numbers
  and names.

Everything comes from the seed. The ``agent_transcript`` task asks one fact and
measures all four (`TaskInstance.facts`); ``agent_session`` compresses once and
asks about every fact in turn. ``benchmarks/compress.py`` reads `transcript`
with integer seeds; the tasks seed it with ``"agent:<seed>"``, a stream no
integer seed gives, so suite results come from transcripts nobody tuned on.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aifkit.bench._tasks import TaskInstance
from aifkit.errors import InvalidInputError

__all__ = [
    "KINDS",
    "Fact",
    "Transcript",
    "agent_session",
    "agent_transcript",
    "asked_kind",
    "assemble",
    "transcript",
]

KINDS = ("logs", "records", "code", "search")

_SERVICES = ["api", "auth", "billing", "ledger", "search", "worker", "cache", "gateway"]
_PATHS = ["/api/v1/orders", "/api/v1/users", "/api/v1/carts", "/api/v2/payments", "/health",
          "/api/v1/items", "/api/v1/sessions", "/metrics"]  # fmt: skip
_CITIES = ["Arden", "Belmora", "Castine", "Dunmore", "Elsworth", "Fenwick", "Galloway",
           "Hartsdale", "Ivory", "Jasper", "Kellan", "Linwood", "Marlow", "Norcross"]  # fmt: skip
_NOUNS = ["bridge", "tunnel", "ferry", "rail line", "highway", "overpass", "bypass", "viaduct"]
_ADJ = ["new", "updated", "official", "complete", "quick", "detailed", "practical", "local"]
_TOPICS = ["traffic", "repairs", "closures", "inspections", "funding", "schedules", "detours"]
_WORDS = ["order", "user", "cart", "item", "price", "total", "state", "record", "entry",
          "value", "result", "config", "payload", "batch", "queue", "token"]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Fact:
    """A planted fact: the kind of output it is in, the string that proves it kept, a question."""

    kind: str
    key: str
    question: str


@dataclass(frozen=True, slots=True)
class Transcript:
    """A generated body, its planted facts, and which one the last turn asks about."""

    body: dict[str, Any]
    facts: tuple[Fact, ...]
    asked: Fact


def _name(rng: random.Random) -> str:
    return (
        rng.choice("BCDFGKLMNPRSTVZ")
        + rng.choice("aeiou")
        + rng.choice("lmnrst")
        + rng.choice(["ane", "ora", "ith", "ell", "ova", "ux"])
    )


def _logs(rng: random.Random, lines: int) -> tuple[str, Fact]:
    segment = f"seg-{rng.randint(10000, 99999)}"
    out: list[str] = []
    t = rng.randint(0, 3000)
    fatal_at = rng.randint(lines // 6, lines - lines // 6)
    for i in range(lines):
        t += rng.randint(0, 3)
        ts = f"2026-03-04T{8 + t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}.{rng.randint(0, 999):03d}Z"
        svc = rng.choice(_SERVICES)
        r = rng.random()
        if i == fatal_at:
            msg = f"FATAL [ledger] checksum mismatch in {segment}, aborting replay"
        elif r < 0.55:
            msg = (f"INFO  [{svc}] request served path={rng.choice(_PATHS)}/{rng.randint(1, 9999)} "
                   f"status=200 duration_ms={rng.randint(2, 180)} user=u{rng.randint(1000, 99999)}")  # fmt: skip
        elif r < 0.75:
            msg = (f"DEBUG [{svc}] cache lookup key={rng.choice(_WORDS)}:{rng.randint(1, 99999)} "
                   f"hit={rng.choice(['true', 'false'])}")  # fmt: skip
        elif r < 0.87:
            msg = f"INFO  [worker] job {rng.randint(1, 99999)} finished in {rng.randint(5, 900)}ms"
        elif r < 0.95:
            msg = (
                f"INFO  [{svc}] heartbeat ok peers={rng.randint(3, 9)} lag_ms={rng.randint(0, 40)}"
            )
        elif r < 0.985:
            msg = (f"WARN  [{svc}] slow query on {rng.choice(_WORDS)}s took "
                   f"{rng.randint(800, 4000)}ms")  # fmt: skip
        else:
            msg = (f"ERROR [gateway] upstream timeout after {rng.randint(3, 30)}s "
                   f"path={rng.choice(_PATHS)}")  # fmt: skip
        out.append(f"{ts} {msg}")
    question = "Which ledger segment had the checksum mismatch in the service log?"
    return "\n".join(out), Fact("logs", segment, question)


def _records(rng: random.Random, rows: int) -> tuple[str, Fact]:
    sku = f"SKU-{rng.randint(100000, 999999)}"
    bad = rng.randint(rows // 6, rows - rows // 6)
    items: list[dict[str, Any]] = []
    for i in range(rows):
        stock = rng.randint(0, 900) if rng.random() > 0.02 else rng.randint(5000, 9000)
        status = "active" if rng.random() > 0.03 else "discontinued"
        items.append({
            "sku": sku if i == bad else f"SKU-{rng.randint(100000, 999999)}",
            "name": f"{rng.choice(_ADJ)} {rng.choice(_WORDS)} {rng.choice(_NOUNS)}",
            "warehouse": rng.choice(_CITIES),
            "stock": -rng.randint(10, 90) if i == bad else stock,
            "price": round(rng.uniform(2, 400), 2),
            "status": status,
            "updated": f"2026-02-{rng.randint(1, 28):02d}",
        })  # fmt: skip
    text = json.dumps({"count": rows, "items": items}, indent=2)
    return text, Fact("records", sku, "Which SKU in the inventory listing has negative stock?")


def _code(rng: random.Random, functions: int) -> tuple[str, Fact]:
    value = rng.randint(1000, 99999)
    out = ["import json", "import logging", "from datetime import timedelta", "",
           "log = logging.getLogger(__name__)", "DEFAULT_PAGE_SIZE = 50",
           f"MAX_BATCH = {rng.randint(100, 900)}", ""]  # fmt: skip
    plant_at = rng.randint(functions // 4, functions - functions // 4)
    for f in range(functions):
        if f == plant_at:
            out += [f"SETTLEMENT_WINDOW_SECONDS = {value}", ""]
        name = f"{rng.choice(['load', 'save', 'check', 'apply', 'merge', 'build'])}_{rng.choice(_WORDS)}_{f}"
        out.append(f"def {name}({rng.choice(_WORDS)}, ctx=None):")
        out.append(f'    """{rng.choice(_ADJ).capitalize()} {rng.choice(_WORDS)} handling."""')
        for _ in range(rng.randint(3, 9)):
            w = rng.choice(_WORDS)
            out.append(rng.choice([
                f"    {w} = ctx.get('{w}', {rng.randint(0, 99)}) if ctx else None",
                f"    if {w} is None:\n        log.debug('missing {w}')",
                f"    result = json.dumps({{'{w}': {w}}})",
                f"    for item in {w} or []:\n        item['{rng.choice(_WORDS)}'] = {rng.randint(0, 9)}",
            ]))  # fmt: skip
        out += ["    return result if 'result' in dir() else None", ""]
    question = "What is SETTLEMENT_WINDOW_SECONDS set to in the source file?"
    return "\n".join(out), Fact("code", str(value), question)


def _search(rng: random.Random, results: int) -> tuple[str, Fact]:
    limit = f"{rng.randint(11, 99)},{rng.randint(100, 999)}"
    city = _name(rng)
    plant_at = rng.randint(results // 4, results - 1)
    out: list[str] = []
    for i in range(results):
        place = rng.choice(_CITIES)
        noun = rng.choice(_NOUNS)
        topic = rng.choice(_TOPICS)
        site = rng.choice(["news", "citydesk", "roads", "transit", "daily", "herald"])
        if i == plant_at:
            title = f"{city} {noun} reopens after refit"
            snippet = (f"The {city} {noun} reopened to traffic with a load limit of {limit} "
                       f"tonnes, officials said. Works took {rng.randint(3, 19)} months.")  # fmt: skip
        else:
            title = f"{place} {noun} {topic}: {rng.choice(_ADJ)} guide"
            snippet = (f"Read the {rng.choice(_ADJ)} guide to {place} {noun} {topic} for "
                       f"{rng.randint(2019, 2026)}. Updated {rng.randint(1, 28)} "
                       f"{rng.choice(['Jan', 'Feb', 'Mar', 'Apr'])} with {rng.randint(2, 40)} "
                       f"tips on {topic} and {rng.choice(_TOPICS)} near {rng.choice(_CITIES)}.")  # fmt: skip
        url = f"https://{site}.example.com/{place.lower()}/{topic}/{rng.randint(1000, 9999)}"
        out.append(f"{i + 1}. {title}\n   {url}\n   {snippet}\n")
    question = f"What load limit did the {city} bridge or crossing reopen with, per the search?"
    return "\n".join(out), Fact("search", limit, question)


def transcript(seed: int | str, *, scale: float = 1.0, asked: str | None = None) -> Transcript:
    """Return a generated transcript of about ``60k * scale`` tokens.

    Args:
        seed: Everything follows from it.
        scale: Size of the tool outputs relative to the default.
        asked: The kind the last turn asks about; default: chosen by the seed.
    """
    rng = random.Random(seed)
    outputs = {
        "logs": ("read_log", {"service": "ledger"}, _logs(rng, int(900 * scale))),
        "records": ("query_inventory", {"limit": 300}, _records(rng, int(260 * scale))),
        "code": ("read_file", {"path": "settlement.py"}, _code(rng, int(160 * scale))),
        "search": ("web_search", {"q": "bridge reopening"}, _search(rng, int(60 * scale))),
    }
    order = list(KINDS)
    rng.shuffle(order)
    calls: list[tuple[str, Mapping[str, Any], str]] = []
    facts: list[Fact] = []
    for kind in order:
        tool, args, (text, fact) = outputs[kind]
        calls.append((tool, args, text))
        facts.append(fact)
    task = ("Look into last night's settlement incident: check the ledger log, the "
            "inventory, the settlement code and any news about the crossings.")  # fmt: skip
    read = "I have read the log, the inventory, the code and the search results."
    return assemble(task, calls, read, facts, asked, rng)


def assemble(
    task: str,
    calls: Sequence[tuple[str, Mapping[str, Any], str]],
    read: str,
    facts: Sequence[Fact],
    asked: str | None,
    rng: random.Random,
) -> Transcript:
    """An agent's transcript: ``task``, each ``(tool, arguments, result)`` call, a few
    short turns (``read`` the first), and the question of the first fact of ``asked``'s
    kind (without it, one the ``rng`` picks)."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are an operations agent. Use the tools; answer "
         "from what they returned."},
        {"role": "user", "content": task},
    ]  # fmt: skip
    for n, (tool, args, text) in enumerate(calls):
        call = f"call_{n}"
        messages.append({"role": "assistant", "content": None, "tool_calls": [
            {"id": call, "type": "function",
             "function": {"name": tool, "arguments": json.dumps(args)}}]})  # fmt: skip
        messages.append({"role": "tool", "tool_call_id": call, "content": text})
    messages += [
        {"role": "assistant", "content": read},
        {"role": "user", "content": "Thanks. Keep them in mind; I will ask about details."},
        {"role": "assistant", "content": "Understood."},
    ]  # fmt: skip
    ask = next(f for f in facts if f.kind == asked) if asked else rng.choice(facts)
    messages.append({"role": "user", "content": ask.question})
    return Transcript({"model": "gpt-4o", "messages": messages}, tuple(facts), ask)


def _scale(params: Mapping[str, Any]) -> float:
    value = params.get("scale", 1.0)
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0.02 <= value <= 8:
        raise InvalidInputError("/params/scale", f"expected a number in [0.02, 8], got {value!r}")
    return float(value)


def asked_kind(params: Mapping[str, Any], seed: int) -> str:
    """The ``asked`` param: one of `KINDS`, by default the seed's."""
    asked = params.get("asked", KINDS[seed % len(KINDS)])
    if asked not in KINDS:
        raise InvalidInputError(
            "/params/asked", f"unknown kind {asked!r}", hint=f"use one of {', '.join(KINDS)}"
        )
    return str(asked)


def agent_transcript(params: Mapping[str, Any], seed: int, model: str) -> TaskInstance:
    """An agent transcript whose last turn asks about one of four planted facts.

    Params: ``scale`` (size of the tool outputs; 1.0 is about 60k tokens),
    ``asked`` (``logs``, ``records``, ``code`` or ``search``; default: by seed).
    Every planted fact is measured (``facts_kept``), the asked one is the answer.

    Examples:
        >>> task = agent_transcript({"scale": 0.05, "asked": "code"}, 0, "gpt-4o")
        >>> len(task.facts), task.answers[0] in task.facts, task.extra["asked"]
        (4, True, 'code')
    """
    del model  # sized in lines, records and functions, like the outputs it imitates
    tr = transcript(f"agent:{seed}", scale=_scale(params), asked=asked_kind(params, seed))
    return TaskInstance(
        tr.body, tr.asked.question, (tr.asked.key,), facts=tuple(f.key for f in tr.facts),
        extra={"asked": tr.asked.kind},
    )  # fmt: skip


def agent_session(params: Mapping[str, Any], seed: int, model: str) -> TaskInstance:
    """An agent transcript compressed once, then asked about each planted fact in turn.

    The body ends with the first question; ``extra["followups"]`` holds the later
    ones (``{"question", "answers"}``), asked of the same fitted context. Params:
    ``scale``, ``questions`` (how many in all, 1 to 4, default 4).

    Examples:
        >>> task = agent_session({"scale": 0.05, "questions": 3}, 1, "gpt-4o")
        >>> len(task.extra["followups"]), len(task.gold)
        (2, 3)
    """
    del model
    questions = params.get("questions", len(KINDS))
    if not isinstance(questions, int) or isinstance(questions, bool) or not 1 <= questions <= 4:
        raise InvalidInputError("/params/questions", f"expected 1 to 4, got {questions!r}")
    tr = transcript(f"session:{seed}", scale=_scale(params))
    order = [tr.asked, *(f for f in random.Random(f"session:{seed}").sample(tr.facts, 4)
                         if f is not tr.asked)][:questions]  # fmt: skip
    followups = [{"question": f.question, "answers": [f.key]} for f in order[1:]]
    return TaskInstance(
        tr.body, tr.asked.question, (tr.asked.key,), evidence=tuple(f.key for f in order),
        facts=tuple(f.key for f in tr.facts), extra={"followups": followups},
    )  # fmt: skip
