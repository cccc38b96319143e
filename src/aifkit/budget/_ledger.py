"""Usage metrics: a ledger of token use per request and per category, with cost.

Each `UsageRecord` holds what one request used as the provider reported it (input,
cached read, cache write, output, reasoning) and, when the request was packed,
the pack report's tokens per category and what it dropped. A `Ledger` keeps the
records of a session, prices them through genai-prices, describes consumption
patterns (growth per turn, share per category, what was dropped most), and
exports JSON (one record a line) or OpenTelemetry GenAI semantic-convention
attributes.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from aifkit.errors import InvalidInputError, UsageError

if TYPE_CHECKING:
    from aifkit.budget._report import PackReport

__all__ = ["Ledger", "UsageRecord", "usage_from_response"]


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """What one request used.

    Attributes:
        model: The model that served it.
        input_tokens: Prompt tokens billed at the full input price (cache reads excluded).
        cache_read_tokens: Prompt tokens read from the provider's prompt cache.
        cache_write_tokens: Prompt tokens written to the prompt cache.
        output_tokens: Tokens generated, reasoning included.
        reasoning_tokens: The part of ``output_tokens`` spent on reasoning.
        categories: Prompt tokens per category from the pack report (kept only).
        dropped: Items the pack dropped, by category.
        task: A label for the kind of task, for per-task patterns.
    """

    model: str
    input_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    categories: Mapping[str, int] = field(default_factory=dict[str, int])
    dropped: Mapping[str, int] = field(default_factory=dict[str, int])
    task: str | None = None

    @property
    def prompt_tokens(self) -> int:
        """Every prompt token, whether read from cache, written to it or neither."""
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens

    def with_pack(self, report: PackReport) -> UsageRecord:
        """Return this record with the categories and drops of the pack that made the request."""
        cats = report.categories()
        return dataclasses.replace(
            self,
            categories={c: v["kept_tokens"] for c, v in cats.items() if v["kept_tokens"]},
            dropped={c: v["dropped"] for c, v in cats.items() if v["dropped"]},
        )


USAGE_FORMATS = (
    "openai-chat", "openai-responses", "anthropic", "gemini", "bedrock-converse", "cohere",
    "mistral", "ollama",
)  # fmt: skip
"""The response formats whose usage `usage_from_response` reads."""


def usage_from_response(response: Mapping[str, Any], *, model: str | None = None) -> UsageRecord:
    """Read the usage a provider response reports (any of `USAGE_FORMATS`).

    OpenAI (Chat, Responses, and the compatible Mistral) and Anthropic usage is read
    directly; Gemini's ``usageMetadata``, Bedrock Converse's, Cohere's and Ollama's
    counts through the format's response decoder (`aifkit.aif.decode_response`),
    which normalizes them.

    Examples:
        >>> r = usage_from_response({"model": "gpt-4o", "usage": {
        ...     "prompt_tokens": 1200, "completion_tokens": 80,
        ...     "prompt_tokens_details": {"cached_tokens": 1024},
        ...     "completion_tokens_details": {"reasoning_tokens": 0}}})
        >>> (r.input_tokens, r.cache_read_tokens, r.output_tokens)
        (176, 1024, 80)
        >>> usage_from_response({"model": "claude-sonnet-4-5", "usage": {"input_tokens": 50,
        ...     "cache_read_input_tokens": 900, "cache_creation_input_tokens": 0,
        ...     "output_tokens": 12}}).prompt_tokens
        950
        >>> usage_from_response({"modelVersion": "gemini-2.5-flash", "candidates": [
        ...     {"content": {"role": "model", "parts": [{"text": "Hi"}]}}],
        ...     "usageMetadata": {"promptTokenCount": 120, "cachedContentTokenCount": 100,
        ...     "candidatesTokenCount": 5, "thoughtsTokenCount": 7}}).cache_read_tokens
        100
    """
    if not isinstance(response, Mapping):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise InvalidInputError("", "expected a provider response object")
    other = _decoded_format(response)
    if other is not None:
        return _decoded_usage(response, other, model)
    usage = response.get("usage")
    if not isinstance(usage, Mapping):
        raise InvalidInputError(
            "/usage",
            "expected the response's usage object",
            hint=f"usage is read from responses of: {', '.join(USAGE_FORMATS)}",
        )
    u = cast("Mapping[str, Any]", usage)
    name = _model(response.get("model"), model)
    if "prompt_tokens" in u or "input_tokens_details" in u:  # OpenAI (Chat or Responses)
        prompt = _int(u, "prompt_tokens", "input_tokens")
        cached = _int(_sub(u, "prompt_tokens_details", "input_tokens_details"), "cached_tokens")
        return UsageRecord(
            model=name,
            input_tokens=prompt - cached,
            cache_read_tokens=cached,
            output_tokens=_int(u, "completion_tokens", "output_tokens"),
            reasoning_tokens=_int(
                _sub(u, "completion_tokens_details", "output_tokens_details"), "reasoning_tokens"
            ),
        )
    return UsageRecord(  # Anthropic: input_tokens excludes cache reads and writes
        model=name,
        input_tokens=_int(u, "input_tokens"),
        cache_read_tokens=_int(u, "cache_read_input_tokens"),
        cache_write_tokens=_int(u, "cache_creation_input_tokens"),
        output_tokens=_int(u, "output_tokens"),
    )


class Ledger:
    """The token use of a session, request by request.

    Examples:
        >>> ledger = Ledger()
        >>> ledger.record(UsageRecord("gpt-4o", input_tokens=1000, output_tokens=100))
        >>> ledger.record(UsageRecord("gpt-4o", input_tokens=400, cache_read_tokens=1000, output_tokens=50))
        >>> s = ledger.summary()
        >>> s["requests"], s["totals"]["prompt_tokens"], s["growth_per_turn"]
        (2, 2400, 400.0)
        >>> Decimal(s["cost_usd"]) > 0
        True
    """

    def __init__(self, records: Iterable[UsageRecord] = ()) -> None:
        self._records: list[UsageRecord] = list(records)

    def record(self, usage: UsageRecord) -> None:
        """Add one request's usage."""
        self._records.append(usage)

    def __iter__(self) -> Iterator[UsageRecord]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def cost(self, usage: UsageRecord) -> Decimal:
        """The price in USD of one request (genai-prices, through the model registry)."""
        from aifkit.tokens import get_model

        # genai-prices counts cache reads and writes inside input_tokens.
        return get_model(usage.model).cost(
            usage.prompt_tokens,
            usage.output_tokens,
            cache_read_tokens=usage.cache_read_tokens,
            cache_write_tokens=usage.cache_write_tokens,
        )

    def summary(self) -> dict[str, Any]:
        """Totals, cost and consumption patterns of the session, as JSON-ready data."""
        keys = (
            "input_tokens",
            "cache_read_tokens",
            "cache_write_tokens",
            "output_tokens",
            "reasoning_tokens",
        )
        totals = {k: sum(getattr(r, k) for r in self._records) for k in keys}
        totals["prompt_tokens"] = sum(r.prompt_tokens for r in self._records)
        categories: Counter[str] = Counter()
        dropped: Counter[str] = Counter()
        for r in self._records:
            categories.update(r.categories)
            dropped.update(r.dropped)
        all_cat = sum(categories.values())
        prompts = [r.prompt_tokens for r in self._records]
        growth = [b - a for a, b in itertools.pairwise(prompts)]
        # One price per record (genai-prices takes ~0.2 ms each); a model any of whose
        # records has no price is left out whole and listed.
        costs: dict[str, Decimal] = {}
        missing: set[str] = set()
        for r in self._records:
            if r.model in missing:
                continue
            try:
                costs[r.model] = costs.get(r.model, Decimal(0)) + self.cost(r)
            except UsageError:  # unknown model or no price: reported, not guessed
                missing.add(r.model)
                costs.pop(r.model, None)
        cost, unpriced = sum(costs.values(), Decimal(0)), sorted(missing)
        return {
            "requests": len(self._records),
            "totals": totals,
            "cost_usd": str(cost),
            "unpriced_models": unpriced,
            "cache_hit_rate": round(totals["cache_read_tokens"] / totals["prompt_tokens"], 4)
            if totals["prompt_tokens"]
            else 0.0,
            "growth_per_turn": round(sum(growth) / len(growth), 1) if growth else 0.0,
            "category_share": {c: round(n / all_cat, 4) for c, n in categories.most_common()},
            "dropped_most": [{"category": c, "items": n} for c, n in dropped.most_common()],
            "per_task": self._per_task(),
        }

    def otel_attributes(self, usage: UsageRecord) -> dict[str, str | int]:
        """One request's usage as OpenTelemetry GenAI semantic-convention span attributes.

        See https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/ ; the
        cache and reasoning counts use the ``gen_ai.usage.*`` names of the
        convention's development status.
        """
        return {
            "gen_ai.request.model": usage.model,
            "gen_ai.usage.input_tokens": usage.prompt_tokens,
            "gen_ai.usage.output_tokens": usage.output_tokens,
            "gen_ai.usage.cache_read.input_tokens": usage.cache_read_tokens,
            "gen_ai.usage.cache_creation.input_tokens": usage.cache_write_tokens,
            "gen_ai.usage.reasoning.output_tokens": usage.reasoning_tokens,
        }

    def save(self, path: str | Path) -> None:
        """Write the records as JSON Lines (one request a line)."""
        with Path(path).open("w", encoding="utf-8") as f:
            for r in self._records:
                f.write(json.dumps(_fields(r), ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> Ledger:
        """Read records written by `save`.

        Raises:
            InvalidInputError: a line is not a record; the message names the line.
        """
        records: list[UsageRecord] = []
        for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append(UsageRecord(**json.loads(line)))
            except (TypeError, ValueError) as exc:
                raise InvalidInputError("", f"{path}:{n}: not a usage record ({exc})") from None
        return cls(records)

    def _per_task(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for task in sorted({r.task for r in self._records if r.task}):
            outs = sorted(r.output_tokens for r in self._records if r.task == task)
            out[task] = {
                "requests": len(outs),
                "output_mean": round(sum(outs) / len(outs), 1),
                "output_p95": outs[min(len(outs) - 1, round(0.95 * (len(outs) - 1)))],
            }
        return out


def _fields(r: UsageRecord) -> dict[str, Any]:
    data = asdict(r)
    data["categories"] = dict(r.categories)
    data["dropped"] = dict(r.dropped)
    return data


def _sub(u: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    for k in keys:
        v = u.get(k)
        if isinstance(v, Mapping):
            return cast("Mapping[str, Any]", v)
    return {}


def _decoded_format(response: Mapping[str, Any]) -> str | None:
    """The format of a response whose usage its decoder reads, by the keys only it has."""
    if "usageMetadata" in response:
        return "gemini"
    if "prompt_eval_count" in response or "eval_count" in response:
        return "ollama"
    usage = response.get("usage")
    if isinstance(usage, Mapping):
        if "inputTokens" in usage or "outputTokens" in usage:
            return "bedrock-converse"
        if "billed_units" in usage or "tokens" in usage:
            return "cohere"
    return None


def _decoded_usage(response: Mapping[str, Any], format: str, model: str | None) -> UsageRecord:
    from aifkit.aif import decode_response

    decoded, _ = decode_response(response, format)
    u = decoded.usage
    if u is None:
        raise InvalidInputError("", f"this {format} response reports no usage")
    read, written = u.cache_read_tokens or 0, u.cache_write_tokens or 0
    return UsageRecord(  # the decoder's input_tokens counts cached tokens too
        model=_model(decoded.model, model),
        input_tokens=max(0, (u.input_tokens or 0) - read - written),
        cache_read_tokens=read,
        cache_write_tokens=written,
        output_tokens=u.output_tokens or 0,
        reasoning_tokens=u.reasoning_tokens or 0,
    )


def _model(named: object, given: str | None) -> str:
    name = given or named
    if not isinstance(name, str):
        raise InvalidInputError(
            "/model", "the response names no model", hint="pass model=...", cli_hint="pass --model"
        )
    return name


def _int(u: Mapping[str, Any], *keys: str) -> int:
    for k in keys:
        v = u.get(k)
        if isinstance(v, int) and not isinstance(v, bool):
            return v
        if v is not None:
            raise InvalidInputError(f"/usage/{k}", f"expected an integer, got {v!r}")
    return 0
