"""Run one mutated input through every public entry point; classify what went wrong.

A seed is a fixture: a request body of one format (or an AIF document), a
stream's event payloads, or a hand-off envelope. `run` feeds a mutated seed's JSON
text to the library as a user would and records each `Failure`:

* an exception outside the `AifkitError` tree (its class and the innermost aifkit
  frame that raised it),
* an output that is not JSON (``json.dumps(..., allow_nan=False)`` refuses it),
* an operation that takes more than `SLOW_SECONDS` of CPU time.

Failures of the `EDGE_CLASSES` on inputs carrying an edge mutation (see
`mutate.EDGE`) are flagged ``edge``: the JSON edge's pre-check, owned by another
change, rejects those inputs before any converter runs. Any other failure on such
an input (a type confusion, say) counts in full.
"""

from __future__ import annotations

import json
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final, Literal

from aifkit.aif import (
    EncodeOptions,
    convert,
    decode,
    dump_document,
    formats,
    load_document,
    validate,
)
from aifkit.aif._codec import parse_json
from aifkit.aif._convert import FORMATS
from aifkit.aif._stream import assemble
from aifkit.budget import CompressionTarget, compress, pack
from aifkit.errors import AifkitError
from aifkit.handoff import load_envelope, pack_handoff, unpack_handoff
from aifkit.tokens import count_tokens

FIXTURES: Final = Path(__file__).parent.parent / "fixtures"
MODEL: Final = "gpt-4o"
OPTIONS: Final = EncodeOptions(model="fuzz-model")  # a2a and mcp bodies name no model
SLOW_SECONDS: Final = 1.0
"""CPU seconds one operation may take on an input under 1 MB."""

EDGE_CLASSES: Final = frozenset(
    {"UnicodeEncodeError", "PydanticSerializationError", "RecursionError", "non-json-output"}
)
"""What a lone surrogate, a NaN or nesting past the parser's limit raise downstream."""

EDGE_DEPTH: Final = 128
"""Nesting the JSON edge's pre-check refuses beyond (a body this deep is an edge input)."""

Kind = Literal["body", "stream", "envelope"]


@dataclass(frozen=True, slots=True)
class Seed:
    """One fixture to mutate: a body of ``format``, a stream, or an envelope."""

    kind: Kind
    format: str
    name: str
    body: Any


@dataclass(frozen=True, slots=True)
class Failure:
    """One broken promise: ``cls`` raised (or ``non-json-output``/``slow``) at ``site``."""

    operation: str
    cls: str
    site: str
    edge: bool
    message: str = ""

    @property
    def key(self) -> str:
        """What failures are counted by: class and code site."""
        return f"{self.cls} @ {self.site}"


def _decodes(fmt: str) -> bool:
    return not getattr(FORMATS.get(fmt), "render_only", False)


@cache
def seeds() -> tuple[Seed, ...]:
    """Every fixture of every format: bodies, AIF documents, streams and envelopes."""
    out: list[Seed] = []
    for fmt in formats():
        folder = FIXTURES / fmt
        if fmt == "aif" or not folder.is_dir() or not _decodes(fmt):
            continue
        for path in sorted(folder.glob("*.json")):
            if path.name.endswith(".aif.json"):
                continue
            data = json.loads(path.read_text())
            body = data["body"] if isinstance(data, dict) and "body" in data else data
            out.append(Seed("body", fmt, path.stem, body))
    docs = sorted((FIXTURES / "aif").rglob("*.json")) + sorted(FIXTURES.rglob("*.aif.json"))
    for path in docs:
        out.append(
            Seed("body", "aif", str(path.relative_to(FIXTURES)), json.loads(path.read_text()))
        )
    for path in sorted((FIXTURES / "streams").glob("*.sse")):
        fmt = path.stem.split("__")[0]
        payloads = [
            json.loads(line[6:])
            for line in path.read_text().splitlines()
            if line.startswith("data: ") and line[6:].strip() != "[DONE]"
        ]
        out.append(Seed("stream", fmt, path.stem, payloads))
    for name in ("1.0/everything.json", "1.0/minimal.json"):
        doc = load_document(json.loads((FIXTURES / "aif" / name).read_text()))
        plain = pack_handoff(doc, summary="So far: weather.").to_json()
        planned = pack_handoff(doc, target="anthropic", model=MODEL, budget=50_000).to_json()
        out.append(Seed("envelope", "aif", f"{name}:plain", plain))
        out.append(Seed("envelope", "aif", f"{name}:planned", planned))
    return tuple(out)


def targets() -> list[str]:
    """Every format a conversion can write."""
    return formats()


def _site(exc: BaseException) -> str:
    """The innermost aifkit frame in ``exc``'s traceback, as ``path:line function``."""
    frames = traceback.extract_tb(exc.__traceback__)
    inside = [f for f in frames if "/aifkit/" in f.filename.replace("\\", "/")]
    frame = (inside or frames or [None])[-1]
    if frame is None:
        return "?"
    path = frame.filename.replace("\\", "/")
    path = path[path.rfind("/aifkit/") + 1 :] if "/aifkit/" in path else path
    return f"{path}:{frame.lineno} {frame.name}"


def _check_json(value: Any) -> None:
    json.dumps(value, allow_nan=False)


class _Run:
    """Records the failures of one input's operations."""

    def __init__(self, edge: bool) -> None:
        self.edge = edge
        self.failures: list[Failure] = []
        self.operations = 0

    def call(self, operation: str, fn: Callable[[], Any]) -> tuple[bool, Any]:
        """Run ``fn``; return ``(completed, result)`` (an `AifkitError` is not completed)."""
        self.operations += 1
        start = time.process_time()
        try:
            result = fn()
        except AifkitError:
            return False, None
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            cls = type(exc).__name__
            edge = self.edge and cls in EDGE_CLASSES
            self.failures.append(Failure(operation, cls, _site(exc), edge, str(exc)[:200]))
            return False, None
        finally:
            took = time.process_time() - start
            if took > SLOW_SECONDS:
                self.failures.append(Failure(operation, "slow", f"{took:.1f}s", False))
        return True, result

    def output(self, operation: str, value: Any) -> None:
        """Record a failure when ``value`` is not strict JSON."""
        try:
            _check_json(value)
        except (TypeError, ValueError, RecursionError) as exc:
            self.failures.append(
                Failure(operation, "non-json-output", type(exc).__name__, self.edge, str(exc)[:200])
            )


def _run_body(run: _Run, fmt: str, body: Any, salt: int) -> None:
    ok, violations = run.call(f"validate[{fmt}]", lambda: [str(v) for v in validate(body, fmt)])
    ok, decoded = run.call(f"decode[{fmt}]", lambda: decode(body, fmt))
    if not ok:
        return  # convert, count and pack decode the same way and fail the same way
    for target in targets():
        ok, conversion = run.call(
            f"convert[{fmt}->{target}]",
            lambda t=target: convert(body, source=fmt, target=t, options=OPTIONS),
        )
        if ok:
            run.output(f"convert[{fmt}->{target}]", conversion.body)
            run.call(f"report[{fmt}->{target}]", lambda c=conversion: [str(e) for e in c.report])
    doc = decoded[0]
    ok, dumped = run.call(f"dump[{fmt}]", lambda: dump_document(doc))
    run.call(f"count_tokens[{fmt}]", lambda: count_tokens(body, format=fmt, model=MODEL))
    budget = (60, 400, 4_000)[salt % 3]
    ok, packed = run.call(
        f"pack[{fmt}]", lambda: pack(body, format=fmt, model=MODEL, budget=budget)
    )
    if ok:
        run.output(f"pack[{fmt}]", packed.body)
    ok, compressed = run.call(
        f"compress[{fmt}]", lambda: compress(doc, CompressionTarget(MODEL, ratio=0.5))
    )
    if ok:
        run.call(f"compress-dump[{fmt}]", lambda: dump_document(compressed.document))
    del violations, dumped


def _run_stream(run: _Run, fmt: str, body: Any) -> None:
    if isinstance(body, list):
        text = "".join(f"data: {json.dumps(p, allow_nan=True)}\n\n" for p in body)  # pyright: ignore[reportUnknownVariableType]
    else:
        text = f"data: {json.dumps(body, allow_nan=True)}\n\n"
    ok, message = run.call(f"assemble[{fmt}]", lambda: assemble(text, fmt))
    if ok:
        run.call(f"assemble-dump[{fmt}]", lambda: message.model_dump(mode="json"))


def _run_envelope(run: _Run, body: Any, salt: int) -> None:
    run.call("load_envelope", lambda: load_envelope(body))
    target = targets()[salt % len(targets())]
    for verify in (True, False):
        ok, conversion = run.call(
            f"unpack_handoff[{target}]",
            lambda v=verify: unpack_handoff(body, target, verify=v),
        )
        if ok:
            run.output(f"unpack_handoff[{target}]", conversion.body)


def depth(value: Any) -> int:
    """How deep ``value`` nests (a scalar is 0), without recursion.

    Examples:
        >>> depth([{"a": [1]}]), depth("x")
        (3, 0)
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()  # pyright: ignore[reportUnknownMemberType]
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, level + 1)
        stack.extend((child, level + 1) for child in children)
    return deepest


def run(seed: Seed, text: str, edge: bool, salt: int = 0) -> tuple[int, list[Failure]]:
    """Feed JSON ``text`` (a mutated ``seed``) to every entry point; return (operations, failures)."""
    state = _Run(edge)
    ok, body = state.call("parse_json", lambda: parse_json(text))
    if not ok:
        return state.operations, state.failures
    state.edge = edge or depth(body) > EDGE_DEPTH
    with warnings.catch_warnings():
        # pydantic warns before it raises on a value it cannot serialize; the raise counts
        warnings.simplefilter("ignore")
        if seed.kind == "body":
            _run_body(state, seed.format, body, salt)
        elif seed.kind == "stream":
            _run_stream(state, seed.format, body)
        else:
            _run_envelope(state, body, salt)
    return state.operations, state.failures
