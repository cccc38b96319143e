"""Conversion fidelity: what a conversation keeps between every pair of registered formats.

The formats come from `aifkit.aif.formats` at run time, so a format a plugin
adds is measured too; a format that cannot both write and read the probe
conversation (an encode-only format) is left out.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from aifkit.bench._tasks import TaskInstance
from aifkit.errors import InvalidInputError

__all__ = [
    "conversion_task",
    "convertible_formats",
    "run_conversion",
    "skipped_formats",
    "surviving",
]

_PROBE: dict[str, Any] = {
    "model": "gpt-4o",
    "messages": [
        {"role": "system", "content": "You are a meticulous travel agent."},
        {"role": "user", "content": "Find me a train from Lyon to Turin on Friday morning."},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_trains_1",
                    "type": "function",
                    "function": {
                        "name": "search_trains",
                        "arguments": '{"from":"Lyon","to":"Turin","day":"friday"}',
                    },
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "call_trains_1",
            "content": "TGV 9241 departs 07:58 and arrives 12:12, seat price 79 EUR.",
        },
        {"role": "assistant", "content": "The TGV 9241 leaves Lyon at 07:58 and costs 79 EUR."},
        {"role": "user", "content": "Book it under the name Ada Quill, please."},
    ],
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "search_trains",
                "description": "Search rail connections.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "from": {"type": "string"},
                        "to": {"type": "string"},
                        "day": {"type": "string"},
                    },
                    "required": ["from", "to"],
                },
            },
        }
    ],
    "temperature": 0.2,
}

_EVIDENCE = (
    "You are a meticulous travel agent.",
    "Find me a train from Lyon to Turin on Friday morning.",
    "search_trains",
    "call_trains_1",
    "Turin",
    "TGV 9241 departs 07:58 and arrives 12:12, seat price 79 EUR.",
    "The TGV 9241 leaves Lyon at 07:58 and costs 79 EUR.",
    "Book it under the name Ada Quill, please.",
    "Search rail connections.",
)


@functools.cache
def _probe() -> tuple[tuple[str, ...], dict[str, str]]:
    from aifkit.aif import decode, encode, formats

    document, _ = decode(_PROBE, "openai-chat")
    usable: list[str] = []
    skipped: dict[str, str] = {}
    for name in formats():
        try:
            body, _ = encode(document, name)
            decode(body, name)
        except Exception as exc:  # an encode-only format, or one that is broken here
            skipped[name] = f"{type(exc).__name__}: {exc}"
            continue
        usable.append(name)
    return tuple(usable), skipped


def convertible_formats() -> tuple[str, ...]:
    """Return the registered formats that can write and read back the probe conversation.

    Examples:
        >>> {"aif", "anthropic", "openai-chat"} <= set(convertible_formats())
        True
    """
    return _probe()[0]


def skipped_formats() -> dict[str, str]:
    """Return the registered formats left out of conversion tasks, with the reason each failed.

    Examples:
        >>> "openai-chat" in skipped_formats()
        False
    """
    return dict(_probe()[1])


def conversion_task(params: Mapping[str, Any], seed: int, model: str) -> TaskInstance:
    """The probe conversation in ``source`` format, to be converted to ``target``.

    Params: ``source``, ``target`` and ``mode`` (``"cross"``: source to target;
    ``"round_trip"``: source to target and back).
    """
    del seed, model  # the probe is fixed: its losses are what is compared
    from aifkit.aif import decode, encode

    source, target = str(params.get("source")), str(params.get("target"))
    mode = params.get("mode", "round_trip")
    if mode not in ("cross", "round_trip"):
        raise InvalidInputError("/params/mode", f"expected 'cross' or 'round_trip', got {mode!r}")
    document, _ = decode(_PROBE, "openai-chat")
    body, _ = encode(document, source)
    question = _PROBE["messages"][-1]["content"]
    extra = {"source": source, "target": target, "mode": mode}
    return TaskInstance(body, question, (), _EVIDENCE, extra)


def run_conversion(task: TaskInstance) -> tuple[Any, int, dict[str, Any]]:
    """Convert the task's body; return the output body, the loss count and the reports."""
    from aifkit.aif import convert

    source, target = str(task.extra["source"]), str(task.extra["target"])
    out, report = convert(task.body, source=source, target=target)
    reports = [report.to_json()]
    losses = len(report.entries)
    if task.extra["mode"] == "round_trip":
        out, back = convert(out, source=target, target=source)
        reports.append(back.to_json())
        losses += len(back.entries)
    return out, losses, {"conversions": reports}


def surviving(body: Any, evidence: tuple[str, ...]) -> float:
    """Share of ``evidence`` strings found in the JSON text of ``body``."""
    text = json.dumps(body, ensure_ascii=False)
    return sum(e in text for e in evidence) / len(evidence) if evidence else 1.0
