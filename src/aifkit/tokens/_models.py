"""The model registry: context window, output limit, tokenizer and counting rules.

Two sources, looked up in this order:

1. Hand entries (below) for the models whose counting rules aifkit knows: the
   tokenizer, the chat framing, the image rule and the output limit, none of which
   genai-prices records; each cites the provider page it comes from. Models added
   with `register_model`, `load_models` or the ``aifkit.models`` entry point join them.
2. Every other model genai-prices knows with a context window (~1,400: Llama,
   Mistral, DeepSeek, Qwen, Grok, newer GPT, Claude and Gemini releases, ...), through
   `aifkit.tokens._model_index`, loaded on the first name the hand entries miss.
   Their counting rules follow their family: OpenAI models are counted with
   ``o200k_base`` (``cl100k_base`` for GPT-4 and GPT-3.5), Claude and Gemini with
   their calibrated estimators, and any other model with a deliberately wide estimate
   (`OTHER_ESTIMATOR`): counts say ``exact=False`` and give their error bound.
   genai-prices has no output limits; for these models ``max_output`` is the window.

A name is found exactly, through an alias, without its spelling (``gpt4o`` is
``gpt-4o``), or after dropping what makes it a snapshot of a known model: a
``provider/`` or ``models/`` prefix, a Bedrock-style ``vendor.`` prefix, a ``:variant``
or ``ft:`` fine-tune wrapper, and dated or versioned suffixes (``-2024-08-06``,
``-20250514``, ``-0613``, ``-001``, ``-latest``, ``-preview-05-20``, ``-v1``). An
unknown name is answered with the nearest known ones. Prices are not kept here:
`ModelInfo.cost` asks genai-prices.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from os import PathLike
from pathlib import Path
from typing import Any, Literal, cast

from aifkit._limits import loads
from aifkit._registry import Registry
from aifkit.errors import MissingDependencyError, UnknownNameError, UsageError
from aifkit.tokens._estimate import (
    ANTHROPIC_ESTIMATOR,
    GEMINI_ESTIMATOR,
    OTHER_ESTIMATOR,
    Estimator,
)
from aifkit.tokens._framing import Framing
from aifkit.tokens._images import ImageRule
from aifkit.tokens._model_index import SNAPSHOT, IndexedModel, base_name, model_index, squash

__all__ = ["MODELS", "ModelInfo", "get_model", "load_models", "models", "register_model"]

Provider = Literal["openai", "anthropic", "google"] | str

# Framing checked against the API by the cookbook (gpt-4o, gpt-4o-mini; gpt-4 and
# gpt-3.5-turbo with func_init 10). Newer OpenAI models use the same chat format,
# but no published check exists, so their counts say "estimate" with a small bound.
_GPT4O = Framing("openai-chat", verified=True)
_GPT4 = Framing("openai-chat-gpt4", verified=True, func_init=10)
_OPENAI = Framing("openai-chat-unverified")
_GEMINI = Framing("gemini-estimate", tools="json")
# Other chat models: the common "<|role|>text<|end|>" shape, tools sent as their JSON.
_OTHER = Framing("generic-estimate", tools="json")
_TILES = ImageRule()


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What aifkit knows about a model.

    Args:
        name: The canonical name, e.g. ``"gpt-4o"``.
        provider: ``"openai"``, ``"anthropic"``, ``"google"`` or another provider id.
        context_window: Tokens the model reads and writes in one request, at most.
        max_output: Tokens it writes in one response, at most.
        tokenizer: The registered tokenizer that counts its text (for an estimated
            model, the base the estimator scales).
        aliases: Other names that mean this model.
        framing: How its chat format frames messages and tools.
        images: Its rule for image tokens.
        estimator: Set when its tokenizer is not public: counts are estimates.
        price_ref: The model name genai-prices knows it by; default ``name``.
        source: Where its limits come from: a provider's page, or the genai-prices entry.
    """

    name: str
    provider: Provider
    context_window: int
    max_output: int
    tokenizer: str = "o200k_base"
    aliases: tuple[str, ...] = ()
    framing: Framing = _OPENAI
    images: ImageRule = _TILES
    estimator: Estimator | None = None
    price_ref: str | None = None
    source: str = ""

    def cost(
        self,
        input_tokens: int,
        output_tokens: int = 0,
        *,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
    ) -> Decimal:
        """Return the price in USD of a request, computed by genai-prices.

        Raises:
            MissingDependencyError: genai-prices is not installed.
            UsageError: genai-prices has no price for this model.

        Examples:
            >>> get_model("gpt-4o").cost(1_000_000) > 0
            True
        """
        try:
            from genai_prices import Usage, calc_price
        except ImportError:
            raise MissingDependencyError("genai_prices", "tokens") from None
        usage = Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_read_tokens=cache_read_tokens or None,
            cache_write_tokens=cache_write_tokens or None,
        )
        ref = self.price_ref or self.name
        try:
            return calc_price(usage, ref, provider_id=self.provider).total_price
        except LookupError as exc:
            raise UsageError(
                f"genai-prices has no price for model {ref!r} of provider {self.provider!r} ({exc})",
                hint="set price_ref to a name genai-prices knows, or update genai-prices",
            ) from None


MODELS: Registry[ModelInfo] = Registry("model", group="aifkit.models")
"""Every known model by canonical name."""

_ALIASES: dict[str, str] = {}
_SPELLINGS: dict[str, str] = {}  # squash(name or alias) -> canonical name
_INDEXED: dict[str, ModelInfo] = {}  # genai-prices models built so far, by name
_RESOLVED: dict[str, str] = {}  # names already resolved to a registered model
_FOUND: dict[str, ModelInfo] = {}  # names already resolved through genai-prices
_RESOLVED_MAX = 4096


def _claude_framing(auto: int, forced: int) -> Framing:
    # Tool use adds a system prompt of a fixed size, by model and tool_choice:
    # https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/overview#pricing
    return Framing(f"anthropic-estimate-{auto}-{forced}", tools="json", tool_prompt=(auto, forced))


def _tile(base: int, tile: int) -> ImageRule:
    return ImageRule("openai-tile", base=base, tile=tile)


def _patch(multiplier: float) -> ImageRule:
    return ImageRule("openai-patch", multiplier=multiplier)


def _remember(name: str, aliases: tuple[str, ...]) -> None:
    # A new name may fit a snapshot better than what it resolved to, or shadow an indexed one.
    _RESOLVED.clear()
    _FOUND.clear()
    for alias in aliases:
        _ALIASES[alias] = name
    for spelling in (name, *aliases):
        _SPELLINGS.setdefault(squash(spelling), name)


def _builtin(info: ModelInfo) -> None:
    _remember(info.name, info.aliases)
    MODELS.register(info.name, lambda: info)


def _openai(
    name: str,
    context: int,
    out: int,
    images: ImageRule,
    *aliases: str,
    framing: Framing = _OPENAI,
    tokenizer: str = "o200k_base",
) -> None:
    source = f"https://platform.openai.com/docs/models/{name}"
    _builtin(
        ModelInfo(name, "openai", context, out, tokenizer, aliases, framing, images, source=source)
    )


def _claude(name: str, out: int, *aliases: str, tools: tuple[int, int] = (346, 313)) -> None:
    framing, images, est = _claude_framing(*tools), ImageRule("anthropic"), ANTHROPIC_ESTIMATOR
    info = ModelInfo(name, "anthropic", 200_000, out, "o200k_base", aliases, framing, images, est)
    source = "https://docs.anthropic.com/en/docs/about-claude/models/overview"
    _builtin(dataclasses.replace(info, source=source))


def _gemini(name: str, context: int, out: int) -> None:
    images, est = ImageRule("gemini"), GEMINI_ESTIMATOR
    info = ModelInfo(name, "google", context, out, "o200k_base", (), _GEMINI, images, est)
    _builtin(
        dataclasses.replace(info, source=f"https://ai.google.dev/gemini-api/docs/models#{name}")
    )


# Limits from each provider's model pages (platform.openai.com/docs/models,
# docs.anthropic.com/en/docs/about-claude/models, ai.google.dev/gemini-api/docs/models);
# image constants from the image-cost pages cited in `aifkit.tokens._images`.
_openai("gpt-4o", 128_000, 16_384, _tile(85, 170), "chatgpt-4o-latest", framing=_GPT4O)
_openai("gpt-4o-mini", 128_000, 16_384, _tile(2833, 5667), framing=_GPT4O)
_openai("gpt-4.1", 1_047_576, 32_768, _tile(85, 170))
_openai("gpt-4.1-mini", 1_047_576, 32_768, _patch(1.62))
_openai("gpt-4.1-nano", 1_047_576, 32_768, _patch(2.46))
_openai("o1", 200_000, 100_000, _tile(75, 150))
_openai("o3", 200_000, 100_000, _tile(75, 150))
_openai("o3-mini", 200_000, 100_000, _tile(75, 150))
_openai("o4-mini", 200_000, 100_000, _patch(1.72))
_openai("gpt-5", 400_000, 128_000, _tile(70, 140), "gpt-5-chat")
_openai("gpt-5-mini", 400_000, 128_000, _patch(1.62))
_openai("gpt-5-nano", 400_000, 128_000, _patch(2.46))
_openai("gpt-4", 8_192, 8_192, _tile(85, 170), framing=_GPT4, tokenizer="cl100k_base")
_openai("gpt-4-turbo", 128_000, 4_096, _tile(85, 170), framing=_GPT4, tokenizer="cl100k_base")
_openai("gpt-3.5-turbo", 16_385, 4_096, _tile(85, 170), framing=_GPT4, tokenizer="cl100k_base")
_claude("claude-opus-4-5", 64_000)
_claude("claude-opus-4-1", 32_000)
_claude("claude-opus-4", 32_000, "claude-opus-4-0")
_claude("claude-sonnet-4-5", 64_000)
_claude("claude-sonnet-4", 64_000, "claude-sonnet-4-0")
_claude("claude-haiku-4-5", 64_000)
_claude("claude-3-7-sonnet", 64_000)
_claude("claude-3-5-sonnet", 8_192)
_claude("claude-3-5-haiku", 8_192, tools=(264, 340))
_claude("claude-3-haiku", 4_096, tools=(264, 340))
_claude("claude-3-opus", 4_096, tools=(530, 281))
_gemini("gemini-2.5-pro", 1_048_576, 65_536)
_gemini("gemini-2.5-flash", 1_048_576, 65_536)
_gemini("gemini-2.5-flash-lite", 1_048_576, 65_536)
_gemini("gemini-2.0-flash", 1_048_576, 8_192)
_gemini("gemini-2.0-flash-lite", 1_048_576, 8_192)
_gemini("gemini-1.5-pro", 2_097_152, 8_192)
_gemini("gemini-1.5-flash", 1_048_576, 8_192)

_LONGEST_NAME = 256
"""Longer model names are unknown without a look-up (a fine-tune id is well under this)."""

# LiteLLM-style routing prefixes that are not genai-prices provider ids.
_PROVIDER_PREFIXES = {"gemini": "google", "vertex_ai": "google", "bedrock": "aws", "xai": "x-ai"}


def get_model(name: str) -> ModelInfo:
    """Return what is known about model ``name`` (a canonical name, alias, spelling or snapshot).

    Raises:
        UnknownNameError: the name matches no model; the message gives the nearest known names.

    Examples:
        >>> get_model("gpt-4o-2024-08-06").name
        'gpt-4o'
        >>> get_model("claude-sonnet-4-20250514").context_window
        200000
        >>> get_model("gpt-4o-mini-2024-07-18").name  # the longer name wins
        'gpt-4o-mini'
        >>> get_model("gpt4o").name, get_model("openai/gpt-4o").name
        ('gpt-4o', 'gpt-4o')
        >>> info = get_model("llama-3.1-8b")  # from genai-prices, counted by estimate
        >>> info.estimator is not None, info.source.startswith("genai-prices")
        (True, True)
    """
    if len(name) > _LONGEST_NAME:  # each suffix strip below rescans the name: keep it short
        raise UnknownNameError("model", f"{name[:60]}…", models())
    text = name.strip().lower()
    if text in MODELS:  # the common case, first: a canonical name
        return MODELS.get(text)
    known = _RESOLVED.get(text)  # a snapshot or alias seen before
    if known is not None and known in MODELS:
        return MODELS.get(known)
    indexed = _FOUND.get(text)
    if indexed is not None:
        return indexed
    if text.startswith("ft:"):
        text = text[3:].split(":", 1)[0]
    base = base_name(text)
    found = _registered(text, base)
    if found is not None:
        if len(_RESOLVED) >= _RESOLVED_MAX:
            _RESOLVED.clear()
        _RESOLVED[name.strip().lower()] = found.name
        return found
    index = model_index()
    head = text.split("/", 1)[0] if "/" in text else None
    provider = _PROVIDER_PREFIXES.get(head, head) if head else None
    for form in _undated(base):
        hit = index.find(form, provider if provider in index.providers else None)
        if hit is not None:
            if len(_FOUND) >= _RESOLVED_MAX:
                _FOUND.clear()
            _FOUND[name.strip().lower()] = info = _indexed(hit, index.source)
            return info
    nearest = index.nearest(base, extra=[*MODELS.names(), *_ALIASES])
    raise UnknownNameError(
        "model",
        name,
        nearest,
        hint=(f"nearest known: {', '.join(nearest)}" if nearest else "no known model is close")
        + "; describe it in a models file (aif count --models FILE, or load_models)",
    )


def _undated(base: str) -> Iterator[str]:
    # The name, then the name without each snapshot suffix in turn, last one first.
    form = base
    while form:
        yield form
        shorter = SNAPSHOT.sub("", form)
        if shorter == form:
            return
        form = shorter


def _registered(text: str, base: str) -> ModelInfo | None:
    # The exact text first: a registered name may hold what looks like a prefix.
    seen: set[str] = set()
    for form in itertools.chain((text, text.rsplit("/", 1)[-1]), _undated(base)):
        if form in seen:
            continue
        seen.add(form)
        for canonical in (form, _ALIASES.get(form), _SPELLINGS.get(squash(form))):
            if canonical is not None and canonical in MODELS:
                return MODELS.get(canonical)
    return None


def _indexed(hit: IndexedModel, source: str) -> ModelInfo:
    info = _INDEXED.get(hit.name)
    if info is None:
        window, family = hit.context_window, _family(hit.name)
        if family == "openai":
            legacy = hit.name.startswith(("gpt-4-", "gpt-3.5")) or hit.name == "gpt-4"
            tokenizer = "cl100k_base" if legacy else "o200k_base"
            rules: tuple[Framing, ImageRule, Estimator | None] = (_OPENAI, _TILES, None)
        elif family == "anthropic":
            tokenizer = "o200k_base"
            rules = (_claude_framing(346, 313), ImageRule("anthropic"), ANTHROPIC_ESTIMATOR)
        elif family == "google":
            tokenizer, rules = "o200k_base", (_GEMINI, ImageRule("gemini"), GEMINI_ESTIMATOR)
        else:
            tokenizer, rules = "o200k_base", (_OTHER, _TILES, OTHER_ESTIMATOR)
        info = ModelInfo(
            hit.name, hit.provider, window, window, tokenizer, (), *rules,
            price_ref=hit.price_id, source=f"{source}: {hit.provider} {hit.price_id}",
        )  # fmt: skip
        _INDEXED[hit.name] = info
    return info


def _family(name: str) -> str:
    base = base_name(name)
    if base.startswith("claude"):
        return "anthropic"
    if base.startswith("gemini"):
        return "google"
    if base.startswith(("gpt-", "chatgpt-", "codex-", "o1", "o3", "o4")):
        return "openai"
    return "other"


def models() -> list[str]:
    """Return the names of the hand-entered and registered models.

    `get_model` also finds the ~1,400 models genai-prices knows; they are not listed
    here, so that listing does not load genai-prices' data.

    Examples:
        >>> {"gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro"} <= set(models())
        True
    """
    return MODELS.names()


def register_model(
    name: str,
    *,
    like: str | None = None,
    provider: Provider | None = None,
    context_window: int | None = None,
    max_output: int | None = None,
    tokenizer: str | None = None,
    aliases: tuple[str, ...] = (),
    price_ref: str | None = None,
    replace: bool = False,
) -> ModelInfo:
    """Add a model; unspecified fields (and the counting rules) come from ``like``.

    Args:
        name: Its canonical name.
        like: A known model to copy every other field from, e.g. a fine-tune's base.
        provider: See `ModelInfo`; required without ``like``, as are the two limits.
        context_window: See `ModelInfo`.
        max_output: See `ModelInfo`.
        tokenizer: See `ModelInfo`.
        aliases: Other names for it.
        price_ref: See `ModelInfo`; with ``like``, defaults to the base model's.
        replace: Replace a model already registered under ``name``.

    Raises:
        UsageError: ``name`` is taken (and ``replace`` is false), or a field is missing.
        UnknownNameError: ``like`` is not a known model.

    Examples:
        >>> info = register_model("acme-4o", like="gpt-4o", context_window=64_000)
        >>> get_model("acme-4o").tokenizer, info.context_window, info.price_ref
        ('o200k_base', 64000, 'gpt-4o')
        >>> MODELS.unregister("acme-4o")
    """
    base = get_model(like) if like else None
    provider = provider or (base.provider if base else None)
    context_window = context_window or (base.context_window if base else None)
    max_output = max_output or (base.max_output if base else None)
    if provider is None or context_window is None or max_output is None:
        raise UsageError(
            f"model {name!r} needs a provider, context_window and max_output",
            hint="pass them, or like= a known model to copy them from",
            cli_hint="give them in the --models file, or like = a known model to copy them from",
        )
    info = ModelInfo(
        name,
        provider,
        context_window,
        max_output,
        tokenizer or (base.tokenizer if base else "o200k_base"),
        aliases,
        base.framing if base else _OPENAI,
        base.images if base else _TILES,
        base.estimator if base else None,
        price_ref or (base.price_ref or base.name if base else None),
    )
    if replace:
        MODELS.unregister(name)
    MODELS.register(name, lambda: info)
    _remember(name, aliases)
    return info


def load_models(path: str | PathLike[str]) -> list[ModelInfo]:
    """Register every model described in a TOML or JSON file; return them.

    The file maps names to `register_model` arguments, under a ``models`` table:

    ```toml
    [models.acme-large]
    like = "gpt-4.1"
    context_window = 500000
    aliases = ["acme-l"]
    ```

    Raises:
        UsageError: the file cannot be read or parsed, or an entry is invalid.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
        import tomllib

        data: Any = loads(text) if file.suffix == ".json" else tomllib.loads(text)
    except (OSError, ValueError) as exc:  # InvalidInputError is a ValueError
        raise UsageError(f"{file}: cannot read models ({exc})") from None
    except RecursionError:
        raise UsageError(f"{file}: cannot read models (nested too deeply)") from None
    table: Any = cast("dict[str, Any]", data).get("models") if isinstance(data, dict) else None
    if not isinstance(table, dict):
        raise UsageError(f"{file}: expected a 'models' table mapping names to fields")
    loaded: list[ModelInfo] = []
    for name, fields in table.items():  # pyright: ignore[reportUnknownVariableType]
        if not isinstance(fields, dict):
            raise UsageError(f"{file}: models.{name} must be a table of fields")
        spec: dict[str, Any] = dict(fields)  # pyright: ignore[reportUnknownArgumentType]
        spec["aliases"] = tuple(spec.get("aliases", ()))
        try:
            loaded.append(register_model(str(name), replace=True, **spec))  # pyright: ignore[reportUnknownArgumentType]
        except TypeError as exc:
            raise UsageError(f"{file}: models.{name}: {exc}") from None
    return loaded
