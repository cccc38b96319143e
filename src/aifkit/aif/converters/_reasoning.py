"""The reasoning setting on each wire, and the one table that relates effort and budget.

AIF holds reasoning as `aifkit.aif.Reasoning` (an effort, a token budget, a summary
choice). Formats that take an effort (OpenAI ``reasoning_effort``, Responses
``reasoning.effort``, Gemini 3 ``thinkingLevel``) and formats that take a budget
(Anthropic ``thinking.budget_tokens``, Gemini 2.5 ``thinkingBudget``) are bridged by
`BUDGETS`, LiteLLM's mapping of ``reasoning_effort`` to a thinking budget
(``DEFAULT_REASONING_EFFORT_{MINIMAL,LOW,MEDIUM,HIGH}_THINKING_BUDGET`` in
``litellm/constants.py``: 128, 1024, 2048, 4096), with minimal raised to Anthropic's
floor of 1024 where Anthropic is the target. Every value that crosses the table is an
approximation and is reported (``FORMAT/reasoning-approximated``, action
``transformed``); a setting the target cannot take at all is reported dropped.

Decoders keep the exact wire object under ``settings.extensions[FORMAT].form.reasoning``
so that a same-format round trip writes it back unchanged, as long as the neutral
setting still says what that object says.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, cast

from aifkit.aif._features import Capabilities
from aifkit.aif._loss import LossLog
from aifkit.aif._schema import Document, Reasoning
from aifkit.aif.converters._wire import RuleLog

__all__ = [
    "BUDGETS",
    "anthropic_read",
    "anthropic_write",
    "budget_effort",
    "chat_read",
    "chat_write",
    "gemini_read",
    "gemini_write",
    "needs_form",
    "nova_read",
    "nova_write",
    "report_unsent",
    "responses_read",
    "responses_write",
]

EFFORTS: Final = ("none", "minimal", "low", "medium", "high")
BUDGETS: Final = {"none": 0, "minimal": 128, "low": 1024, "medium": 2048, "high": 4096}
"""Reasoning effort -> thinking budget in tokens (LiteLLM's table, see the module doc)."""
ANTHROPIC_MIN_BUDGET: Final = 1024
"""Anthropic rejects ``budget_tokens`` below 1024 (and at or above ``max_tokens``)."""
_PATH: Final = ("settings", "reasoning")

Obj = dict[str, Any]


def budget_effort(budget: int) -> str:
    """The effort of `BUDGETS` nearest ``budget`` (rounding up between two rows).

    Examples:
        >>> [budget_effort(b) for b in (0, 100, 1024, 1500, 2048, 30000)]
        ['none', 'minimal', 'low', 'medium', 'medium', 'high']
    """
    if budget <= 0:
        return "none"
    for effort in ("minimal", "low", "medium"):
        if budget <= BUDGETS[effort]:
            return effort
    return "high"


def needs_form(wire: Any, write: Callable[[RuleLog], Any]) -> bool:
    """Whether a decoder must keep ``wire`` as a form hint: ``write`` (the neutral
    setting written back with no hint) does not give it again."""
    return bool(write(RuleLog("", {})) != wire)


def _approx(log: RuleLog, detail: str) -> None:
    log.losses.add(_PATH, "transformed", f"{log.name}/reasoning-approximated", "info", detail)


def _effort_of(r: Reasoning, log: RuleLog) -> str:
    """The effort to write for ``r`` (from its budget, reported, when it has none)."""
    if r.effort is not None:
        if r.budget_tokens is not None and BUDGETS[r.effort] != r.budget_tokens:
            _approx(log, f"a budget of {r.budget_tokens} tokens not sent; effort {r.effort!r} is")
        return r.effort
    if r.budget_tokens is None:
        _approx(log, 'reasoning on at the default depth sent as effort "medium"')
        return "medium"
    effort = budget_effort(r.budget_tokens)
    _approx(log, f"a budget of {r.budget_tokens} tokens sent as effort {effort!r}")
    return effort


def _budget_of(r: Reasoning, log: RuleLog) -> int:
    """The budget to write for ``r`` (from its effort, reported, when it has none)."""
    if r.budget_tokens is not None:
        if r.effort is not None and budget_effort(r.budget_tokens) != r.effort:
            _approx(log, f"effort {r.effort!r} not sent; a budget of {r.budget_tokens} tokens is")
        return r.budget_tokens
    if r.effort is None:
        budget = BUDGETS["medium"]
        _approx(log, f"reasoning on at the default depth sent as a budget of {budget} tokens")
        return budget
    budget = BUDGETS[r.effort]
    _approx(log, f"effort {r.effort!r} sent as a budget of {budget} tokens")
    return budget


def _stored(form: Mapping[str, Any], r: Reasoning, read: Callable[[Any], Reasoning | None]) -> Any:
    """The wire form a decoder kept, if it still says what ``r`` says."""
    wire = form.get("reasoning")
    if wire is None:
        return None
    try:
        same = read(wire) == r
    except (TypeError, ValueError, KeyError):  # a hand-edited form hint
        same = False
    return wire if same else None


def _summary_dropped(r: Reasoning, log: RuleLog) -> None:
    if r.summary is not None:
        log.losses.add(
            (*_PATH, "summary"),
            "dropped",
            f"{log.name}/reasoning-approximated",
            "info",
            f"no reasoning summary setting; summary {r.summary!r} not sent",
        )


# -- Anthropic: thinking {type: enabled, budget_tokens} | {type: disabled} -----------


def anthropic_read(wire: Any) -> Reasoning | None:
    """Read Anthropic's ``thinking``; None when it is not a shape AIF lifts."""
    if not isinstance(wire, dict):
        return None
    t = cast("Obj", wire)
    if t.get("type") == "disabled" and len(t) == 1:
        return Reasoning(effort="none")
    budget = t.get("budget_tokens")
    if t.get("type") == "enabled" and type(budget) is int and budget >= 0 and len(t) == 2:
        return Reasoning(budget_tokens=budget)
    return None


def anthropic_write(
    r: Reasoning, form: Mapping[str, Any], max_tokens: int, log: RuleLog
) -> Obj | None:
    """Write ``thinking`` for ``r`` with ``max_tokens`` (None: send no thinking)."""
    stored = _stored(form, r, anthropic_read)
    if stored is not None:
        return cast("Obj", stored)
    _summary_dropped(r, log)
    if r.effort == "none" or r.budget_tokens == 0:
        return {"type": "disabled"}
    budget = _budget_of(r, log)
    if budget < ANTHROPIC_MIN_BUDGET:
        _approx(log, f"a budget of {budget} tokens raised to Anthropic's minimum of 1024")
        budget = ANTHROPIC_MIN_BUDGET
    if budget >= max_tokens:
        if max_tokens <= ANTHROPIC_MIN_BUDGET:
            log.losses.add(
                _PATH,
                "dropped",
                f"{log.name}/reasoning-approximated",
                "warning",
                f"max_tokens {max_tokens} leaves no room for Anthropic's minimum budget of 1024",
            )
            return None
        _approx(log, f"a budget of {budget} tokens lowered below max_tokens, to {max_tokens - 1}")
        budget = max_tokens - 1
    return {"type": "enabled", "budget_tokens": budget}


# -- OpenAI chat: reasoning_effort ----------------------------------------------------


def chat_read(wire: Any) -> Reasoning | None:
    """Read OpenAI chat's ``reasoning_effort``."""
    return Reasoning(effort=wire) if wire in EFFORTS else None


def chat_write(r: Reasoning, form: Mapping[str, Any], log: RuleLog) -> str:
    """Write ``reasoning_effort`` for ``r``."""
    stored = _stored(form, r, chat_read)
    if stored is not None:
        return cast("str", stored)
    _summary_dropped(r, log)
    return _effort_of(r, log)


# -- OpenAI Responses: reasoning {effort, summary} ------------------------------------


def responses_read(wire: Any) -> Reasoning | None:
    """Read the Responses API's ``reasoning`` object (effort and summary only)."""
    if not isinstance(wire, dict):
        return None
    w = cast("Obj", wire)
    if not set(w) <= {"effort", "summary"}:
        return None
    effort, summary = w.get("effort"), w.get("summary")
    if (effort is not None and effort not in EFFORTS) or not (
        summary is None or isinstance(summary, str)
    ):
        return None
    return Reasoning(effort=effort, summary=summary)


def responses_write(r: Reasoning, form: Mapping[str, Any], log: RuleLog) -> Obj:
    """Write ``reasoning`` for ``r``."""
    stored = _stored(form, r, responses_read)
    if stored is not None:
        return cast("Obj", stored)
    out: Obj = {"effort": _effort_of(r, log)}
    if r.summary is not None:
        out["summary"] = r.summary
    return out


# -- Gemini: generationConfig.thinkingConfig ------------------------------------------

_LEVELS: Final = ("minimal", "low", "medium", "high")


def gemini_read(wire: Any) -> Reasoning | None:
    """Read Gemini's ``thinkingConfig`` (thinkingBudget, thinkingLevel, includeThoughts)."""
    if not isinstance(wire, dict):
        return None
    w = cast("Obj", wire)
    if not set(w) <= {"thinkingBudget", "thinkingLevel", "includeThoughts"}:
        return None
    budget, level, thoughts = (
        w.get("thinkingBudget"),
        w.get("thinkingLevel"),
        w.get("includeThoughts"),
    )
    if budget is not None and (type(budget) is not int or budget < -1):
        return None
    if (level is not None and level not in _LEVELS) or not (
        thoughts is None or isinstance(thoughts, bool)
    ):
        return None
    effort = level if level is not None else ("none" if budget == 0 else None)
    return Reasoning(
        effort=effort,
        budget_tokens=budget if budget is not None and budget > 0 else None,
        summary="auto" if thoughts else None,
    )


def gemini_write(r: Reasoning, form: Mapping[str, Any], levels: bool, log: RuleLog) -> Obj:
    """Write ``thinkingConfig`` for ``r``; ``levels`` for models that take thinkingLevel."""
    stored = _stored(form, r, gemini_read)
    if stored is not None:
        return cast("Obj", stored)
    out: Obj = {}
    if r.effort == "none" or r.budget_tokens == 0:
        out["thinkingBudget"] = 0
    elif levels:
        effort = _effort_of(r, log)
        out["thinkingLevel"] = effort if effort in _LEVELS else "low"
    elif r.effort is None and r.budget_tokens is None:
        out["thinkingBudget"] = -1  # dynamic: the model decides
    else:
        out["thinkingBudget"] = _budget_of(r, log)
    if r.summary is not None:
        if r.summary != "auto":
            _approx(log, f"summary {r.summary!r} sent as includeThoughts")
        out["includeThoughts"] = True
    return out


# -- Amazon Nova on Bedrock: additionalModelRequestFields.reasoningConfig -------------

_NOVA_EFFORTS: Final = ("low", "medium", "high")


def nova_read(wire: Any) -> Reasoning | None:
    """Read Nova's ``reasoningConfig`` (``type`` and ``maxReasoningEffort``)."""
    if not isinstance(wire, dict):
        return None
    w = cast("Obj", wire)
    if w == {"type": "disabled"}:
        return Reasoning(effort="none")
    effort = w.get("maxReasoningEffort")
    keys_known = set(w) <= {"type", "maxReasoningEffort"}
    if w.get("type") == "enabled" and keys_known and (effort is None or effort in _NOVA_EFFORTS):
        return Reasoning(effort=effort)
    return None


def nova_write(r: Reasoning, form: Mapping[str, Any], log: RuleLog) -> Obj:
    """Write ``reasoningConfig`` for ``r``."""
    stored = _stored(form, r, nova_read)
    if stored is not None:
        return cast("Obj", stored)
    _summary_dropped(r, log)
    if r.effort == "none" or r.budget_tokens == 0:
        return {"type": "disabled"}
    effort = _effort_of(r, log)
    if effort not in _NOVA_EFFORTS:
        _approx(log, f"effort {effort!r} sent as 'low', Nova's least")
        effort = "low"
    return {"type": "enabled", "maxReasoningEffort": effort}


def report_unsent(document: Document, target: str, caps: Capabilities, losses: LossLog) -> None:
    """Report a reasoning setting ``target`` has no field for (its encoder leaves it out)."""
    if document.settings.reasoning is not None and caps.support("settings.reasoning") == "no":
        detail = f"{target} has no reasoning setting"
        losses.add(_PATH, "dropped", f"{target}/reasoning-setting", "warning", detail)
