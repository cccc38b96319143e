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

import copy
import importlib
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
    STREAM_FORMATS,
    EncodeOptions,
    convert,
    convert_response,
    decode,
    decode_response,
    decode_stream,
    dump_document,
    formats,
    load_document,
    response_formats,
    translate_stream,
    validate,
)
from aifkit.aif._codec import parse_json
from aifkit.aif._convert import FORMATS
from aifkit.aif._stream import assemble
from aifkit.budget import CompressionTarget, compress, pack, usage_from_response
from aifkit.errors import AifkitError
from aifkit.handoff import load_envelope, pack_handoff, unpack_handoff
from aifkit.tokens import count_tokens
from tests.fuzz import objects
from tests.fuzz.gateway import ENDPOINTS

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

Kind = Literal["body", "stream", "envelope", "response", "sse", "suite", "integration", "gateway"]


@dataclass(frozen=True, slots=True)
class Seed:
    """One fixture to mutate: a body of ``format``, a stream, an envelope, a response body,
    a raw SSE stream (``[event, payload]`` pairs), a suite, or a body for the
    integrations or the gateway."""

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
    return tuple(out + _new_seeds(out))


def _new_seeds(bodies: list[Seed]) -> list[Seed]:
    """Response bodies, raw SSE streams, suites, and bodies for the integrations and gateway."""
    out: list[Seed] = []
    for path in sorted((FIXTURES / "responses").rglob("*.json")):
        body = json.loads(path.read_text())["body"]
        out.append(Seed("response", path.parent.name, path.stem, body))
    for path in sorted((FIXTURES / "streams").glob("*.sse")):
        pairs: list[Any] = []
        event: str | None = None
        for line in path.read_text().splitlines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
                pairs.append([event, data if data.strip() == "[DONE]" else json.loads(data)])
                event = None
        out.append(Seed("sse", path.stem.split("__")[0], path.stem, pairs))
    from aifkit.bench import load_suite

    for name in ("quick", "agent"):
        out.append(Seed("suite", "suite", name, load_suite(name).to_json()))
    out.append(Seed("suite", "suite", "options", SUITE_OPTIONS))
    for seed in bodies:
        if seed.kind == "body" and seed.format in ("openai-chat", "openai-responses"):
            out.append(Seed("integration", seed.format, seed.name, seed.body))
        if seed.kind == "body" and seed.format in ENDPOINTS:
            out.append(Seed("gateway", seed.format, seed.name, seed.body))
    return out


SUITE_OPTIONS: Final = {
    "name": "options",
    "tasks": [{"name": "n", "kind": "niah", "params": {"length": 500}, "grid": {"depth": [0.5]}}],
    "strategies": [
        "truncate-front",
        "pack:recency",
        "compress:extract",
        {"name": "mine", "pack": {"half_life": 4, "relevance": "none"}},
        {"name": "squeeze", "compress": {"method": "extract"}},
    ],
    "budgets": [0.5, 300, "0.25"],
    "seeds": [0, 1],
    "readers": ["evidence", "extractive"],
    "model": "gpt-4o",
}
"""A small suite whose strategies carry options (the hostile-suite seed for plugin options)."""


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


def _run_response(run: _Run, fmt: str, body: Any, salt: int) -> None:
    ok, _ = run.call(f"decode_response[{fmt}]", lambda: decode_response(body, fmt))
    if not ok:
        return
    for target in [*response_formats(), "aif"]:
        ok, out = run.call(
            f"convert_response[{fmt}->{target}]",
            lambda t=target: convert_response(body, source=fmt, target=t, options=OPTIONS),
        )
        if ok:
            run.output(f"convert_response[{fmt}->{target}]", out[0])
            run.call(f"response-report[{fmt}->{target}]", lambda o=out: [str(e) for e in o[1]])
    ok, aif = run.call(f"convert_response[{fmt}->aif]", lambda: convert_response(body, source=fmt, target="aif"))  # fmt: skip
    if ok:
        back = response_formats()[salt % len(response_formats())]
        run.call(f"convert_response[aif->{back}]", lambda: convert_response(aif[0], source="aif", target=back))  # fmt: skip
    if (decode_usage := _DECODE_USAGE) is not None:  # aifkit.aif.decode_usage, where present
        run.call(f"decode_usage[{fmt}]", lambda: decode_usage(body, fmt))
    run.call(f"usage_from_response[{fmt}]", lambda: usage_from_response(body, model=None if salt % 2 else MODEL))  # fmt: skip
    if salt % 20 == 0:
        cli(run, ["convert", "--response", "--from", fmt, "--to", targets_of_response(salt)], json.dumps(body, allow_nan=True))  # fmt: skip
        cli(run, ["usage", "--model", MODEL], json.dumps(body, allow_nan=True))


_DECODE_USAGE: Final[Callable[[Any, str], Any] | None] = getattr(
    importlib.import_module("aifkit.aif"), "decode_usage", None
)


def targets_of_response(salt: int) -> str:
    """A response format picked by ``salt``."""
    names = response_formats()
    return names[salt % len(names)]


GARBLES: Final = ("none", "truncate", "no-blank-lines", "crlf", "cr", "split-data", "bad-bytes", "many-tiny", "huge-event")  # fmt: skip
"""What `sse_text` does to a stream's text besides mutating its payloads."""


def sse_text(pairs: Any, garble: str, salt: int) -> bytes:
    """The SSE text of ``[event, payload]`` pairs, garbled one way (see `GARBLES`)."""
    frames: list[str] = []
    for pair in pairs if isinstance(pairs, list) else [[None, pairs]]:  # pyright: ignore[reportUnknownVariableType]
        event, payload = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)  # pyright: ignore[reportUnknownArgumentType]
        data = payload if isinstance(payload, str) else json.dumps(payload, allow_nan=True)
        if garble == "split-data":  # a payload over several data: lines (joined by newlines)
            data = "\ndata: ".join(data[i : i + 17] for i in range(0, len(data), 17)) or data
        head = f"event: {event}\n" if isinstance(event, str) else ""
        frames.append(f"{head}data: {data}\n\n")
    if garble == "many-tiny":  # thousands of comments and empty events between the real ones
        frames = [f + ": ping\n\n" * 200 + "data:\n\n" * 50 for f in frames]
    if garble == "huge-event":
        frames.insert(salt % (len(frames) + 1), "data: " + "x" * 300_000 + "\n\n")
    text = "".join(frames)
    if garble == "truncate":
        text = text[: salt % (len(text) + 1)]
    elif garble == "no-blank-lines":
        text = text.replace("\n\n", "\n")
    elif garble == "crlf":
        text = text.replace("\n", "\r\n")
    elif garble == "cr":
        text = text.replace("\n", "\r")
    raw = text.encode("utf-8", "surrogatepass")
    if garble == "bad-bytes":
        at = salt % (len(raw) + 1)
        raw = raw[:at] + b"\xff\xfe\xc3" + raw[at:]
    return raw


def _chunks(raw: bytes, salt: int) -> list[bytes]:
    size = (1, 7, 4096, len(raw) or 1)[salt % 4]
    if size == 1 and len(raw) > 20_000:
        size = 97  # one byte a chunk is for short streams (time is measured per operation)
    return [raw[i : i + size] for i in range(0, len(raw), size)]


def _decode_all(fmt: str, chunks: list[bytes]) -> list[Any]:
    decoder = decode_stream(fmt)
    events = [e for c in chunks for e in decoder.feed(c)]
    return events + decoder.close()


def _run_sse(run: _Run, fmt: str, body: Any, salt: int) -> None:
    garble = GARBLES[salt % len(GARBLES)]
    raw = sse_text(body, garble, salt // len(GARBLES))
    chunks = _chunks(raw, salt // 7)
    ok, message = run.call(f"assemble[{fmt}/{garble}]", lambda: assemble(iter(chunks), fmt))
    if ok:
        run.call(f"assemble-dump[{fmt}]", lambda: message.model_dump(mode="json"))
    run.call(f"decode_stream[{fmt}/{garble}]", lambda: _decode_all(fmt, chunks))
    for target in STREAM_FORMATS.names():
        ok, out = run.call(
            f"translate_stream[{fmt}->{target}/{garble}]",
            lambda t=target: b"".join(translate_stream(iter(chunks), source=fmt, target=t)),
        )
        if ok:  # what aifkit writes, aifkit reads back
            run.call(f"assemble-translated[{fmt}->{target}/{garble}]", lambda t=target, o=out: assemble(o, t))  # fmt: skip
    if salt % 20 == 0:
        target = STREAM_FORMATS.names()[salt % len(STREAM_FORMATS.names())]
        cli(run, ["stream", "translate", "--from", fmt, "--to", target], raw)
        cli(run, ["assemble", "--format", fmt], raw)


_FIT_BODY: Final = {"model": MODEL, "messages": [{"role": "system", "content": "Be brief."}, *[{"role": "user", "content": f"Note {i}: the code is {i * 37}."} for i in range(12)]]}  # fmt: skip
_OWN_KINDS: Final = frozenset({"none", "truncate-front", "pack", "compress"})


def _run_suite(run: _Run, body: Any, salt: int) -> None:
    from aifkit.bench import Suite, load_suite
    from aifkit.bench._kinds import STRATEGY_KINDS

    if salt % 4 == 0:  # through a YAML file, as aif bench run reads one
        import tempfile

        import yaml

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "suite.yaml"
            try:
                path.write_text(yaml.safe_dump(body, allow_unicode=True), "utf-8", "surrogatepass")
            except (yaml.YAMLError, UnicodeError):
                return  # not a value YAML writes: nothing a user could save
            ok, suite = run.call("load_suite[yaml]", lambda: load_suite(path))
    else:
        ok, suite = run.call("load_suite[mapping]", lambda: Suite.from_dict(body))
    if not ok:
        return
    ok, jobs = run.call("suite.jobs", lambda: suite.jobs()[:200])
    ok2, spec = run.call("suite.to_json", lambda: suite.to_json())
    if ok2:
        run.output("suite.to_json", spec)
    if not ok:
        return
    for job in {j.strategy.name: j for j in jobs}.values():
        if job.strategy.kind not in _OWN_KINDS:
            continue
        run.call(
            f"fit[{job.strategy.kind}]",
            lambda j=job: STRATEGY_KINDS.get(j.strategy.kind).fit(
                _FIT_BODY, 120, MODEL, j.strategy.options
            ),
        )


def _run_integration(run: _Run, fmt: str, body: Any, salt: int) -> None:
    budget = (60, 400, None)[salt % 3]
    if fmt == "openai-responses":
        run.call("openai_agents.session", lambda: _agents(body, budget))
        return
    from aifkit.integrations import langchain as lc
    from aifkit.integrations import pydantic_ai as pai
    from aifkit.integrations.litellm import AifkitCallback

    lc_messages = objects.langchain_messages(copy.deepcopy(body), cyclic=salt % 5 == 0)
    run.call("langchain.pack", lambda: lc.pack(lc_messages, model=MODEL, budget=budget or 4_000))
    target = targets()[salt % len(targets())]
    run.call(f"langchain.from_messages[{target}]", lambda: lc.from_messages(lc_messages, target=target, options=OPTIONS))  # fmt: skip
    run.call("langchain.to_messages", lambda: lc.to_messages(body, source="openai-chat"))
    pai_messages = objects.pydantic_ai_messages(body)
    run.call("pydantic_ai.pack_history", lambda: pai.pack_history(pai_messages, model=MODEL, budget=budget or 4_000))  # fmt: skip
    args = dict(body) if isinstance(body, dict) else {"messages": body}  # pyright: ignore[reportUnknownArgumentType]
    _ok, fitted = run.call("litellm.fit", lambda: AifkitCallback(budget=budget).fit(args))
    del fitted


def _agents(body: Any, budget: int | None) -> Any:
    import asyncio

    from aifkit.integrations.openai_agents import AifkitSession

    session = AifkitSession("fuzz", budget=budget or 4_000)
    try:
        asyncio.run(session.add_items(objects.messages_of(body)))
        return asyncio.run(session.get_items())
    finally:
        session.close()


def _run_gateway(run: _Run, fmt: str, text: str, salt: int) -> None:
    from tests.fuzz.gateway import post, problem

    if salt % 13 == 0:
        text = text[: salt % (len(text) + 1)]  # cut short: not JSON
    elif salt % 4 == 1:  # streamed: the upstream answers with a recorded stream
        text = _streamed(text)
    ok, answer = run.call(f"gateway[{fmt}]", lambda: post(fmt, text, salt))
    if ok:
        status, reply = answer
        what = problem(fmt, status, reply, salt)
        if what is not None:
            run.failures.append(Failure(f"gateway[{fmt}]", what, f"status {status}", False, reply[:200]))  # fmt: skip


def _streamed(text: str) -> str:
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):  # not JSON Python reads: sent as it is
        return text
    if isinstance(body, dict):
        body["stream"] = True
    return json.dumps(body)


def cli(run: _Run, args: list[str], data: str | bytes) -> None:
    """Run ``aif args FILE`` in process on ``data``; a failure unless it exits 0-3 with
    at most one line on stderr and, when it exits 0, JSON on stdout (``stream``: SSE)."""
    import contextlib
    import io
    import tempfile

    from aifkit._cli._main import main

    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    with tempfile.NamedTemporaryFile(suffix=".json") as fh:
        fh.write(raw)
        fh.flush()
        out, err = io.TextIOWrapper(io.BytesIO(), "utf-8"), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            _, code = run.call(f"cli[{args[0]}]", lambda: main([*args, fh.name]))
            out.flush()
            printed = out.buffer.getvalue()  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownVariableType]
    said = err.getvalue()
    if code not in (0, 2, 3) or said.count("\n") > 1 or "Traceback" in said:
        site = f"exit {code}: {said.strip()[:120]}"
        run.failures.append(Failure(f"cli[{' '.join(args)}]", "cli", site, False, said[:200]))
    elif code == 0 and args[0] != "stream":  # a result is JSON, whole
        try:
            json.loads(printed)  # pyright: ignore[reportUnknownArgumentType]
        except ValueError as exc:
            run.failures.append(Failure(f"cli[{' '.join(args)}]", "cli-non-json", str(exc)[:80], False))  # fmt: skip


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


def warm() -> None:
    """Import the frameworks and start the gateways, so no body's time pays for it."""
    import logging

    logging.getLogger("aifkit.integrations.litellm").setLevel(logging.ERROR)  # unknown models
    import aifkit.integrations.langchain
    import aifkit.integrations.litellm
    import aifkit.integrations.openai_agents
    import aifkit.integrations.pydantic_ai  # noqa: F401
    from tests.fuzz.gateway import UPSTREAMS, client

    for upstream in UPSTREAMS:
        client(upstream)


def run(seed: Seed, text: str, edge: bool, salt: int = 0) -> tuple[int, list[Failure]]:
    """Feed JSON ``text`` (a mutated ``seed``) to every entry point; return (operations, failures)."""
    state = _Run(edge)
    if seed.kind == "gateway":  # the gateway reads the text itself, JSON or not
        _run_gateway(state, seed.format, text, salt)
        return state.operations, state.failures
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
        elif seed.kind == "envelope":
            _run_envelope(state, body, salt)
        elif seed.kind == "response":
            _run_response(state, seed.format, body, salt)
        elif seed.kind == "sse":
            _run_sse(state, seed.format, body, salt)
        elif seed.kind == "suite":
            _run_suite(state, body, salt)
        else:
            _run_integration(state, seed.format, body, salt)
    return state.operations, state.failures
