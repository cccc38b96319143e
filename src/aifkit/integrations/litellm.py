"""LiteLLM: a callback that packs (or compresses) requests and records their usage.

`AifkitCallback` is a LiteLLM ``CustomLogger``. Before a chat request goes out it
packs the body's messages (and counts its tools) within a budget (`aifkit.pack`,
which compresses before it drops); when the response comes back it records the
usage the provider reported, with the pack's categories and drops, in a `Ledger`.

Where it runs:

- the proxy: ``async_pre_call_hook`` (list it under ``litellm_settings.callbacks``);
- the SDK and the ``Router``, async calls (``acompletion``):
  ``async_pre_call_deployment_hook``, LiteLLM's hook that may rewrite a request
  right before it is sent (``litellm.callbacks = [callback]``);
- sync ``litellm.completion`` has no hook that may rewrite the request: call
  `AifkitCallback.fit` on the arguments yourself
  (``litellm.completion(**callback.fit({...}))``); usage is recorded either way.

A model aifkit does not know (see `aifkit.tokens.get_model`; provider prefixes such
as ``openai/`` are understood) is passed through unpacked, with a warning in the
``aifkit.integrations.litellm`` log (once per model name and callback), and never
fails the request.

Importing this module sets ``LITELLM_LOCAL_MODEL_COST_MAP=True`` unless it is already
set, before LiteLLM is imported: LiteLLM otherwise fetches its model price map from
GitHub at import, and aifkit reaches no network the user did not configure. LiteLLM
then uses the copy it ships; set the variable to ``False`` first to have it fetch.
(If LiteLLM was imported before this module, its map is already loaded.)

``pip install "aifkit[litellm]"``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from aifkit._extras import require

require("litellm")
# LiteLLM's import fetches its price map from the network unless this says not to.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from litellm.integrations.custom_logger import CustomLogger  # noqa: E402

if TYPE_CHECKING:
    from aifkit.budget import Compressor, Ledger, PackReport, Policy

__all__ = ["AifkitCallback"]

_log = logging.getLogger(__name__)
_WIRE = "openai-chat"
_WARNED_MODELS = 256
"""The most unknown model names a callback remembers having warned about."""


class AifkitCallback(CustomLogger):
    """Pack LiteLLM chat requests within a budget and record their usage.

    Args:
        model: The model whose tokenizer, window and rules apply (an aifkit name);
            default: each request's own model.
        budget: The most prompt tokens a request may take; default: the model's
            window minus the reply reserve.
        reserve: Tokens kept for the reply; default: estimated from the request.
        policy: How to pack; default `Policy()`.
        compress: Compress before dropping (see `aifkit.pack`); None drops only.
        ledger: Where usage is recorded; default: a new `Ledger` (``self.ledger``).

    Examples:
        >>> callback = AifkitCallback(budget=60)
        >>> body = {"model": "openai/gpt-4o", "messages": [
        ...     {"role": "user", "content": "My locker code is 4417."},
        ...     *[{"role": "user", "content": f"Weather chatter, day {i}."} for i in range(30)],
        ...     {"role": "user", "content": "What is my locker code?"}]}
        >>> fitted = callback.fit(body)
        >>> len(fitted["messages"]) < len(body["messages"]), fitted["messages"][-1]["content"]
        (True, 'What is my locker code?')
    """

    def __init__(
        self,
        *,
        model: str | None = None,
        budget: int | None = None,
        reserve: int | None = None,
        policy: Policy | None = None,
        compress: str | Compressor | None = "auto",
        ledger: Ledger | None = None,
    ) -> None:
        from aifkit.budget import Ledger

        super().__init__()  # pyright: ignore[reportUnknownMemberType]  # litellm is untyped here
        if model is not None:
            from aifkit.tokens import get_model

            get_model(model)  # an unknown model is refused now, not per request
        self.model = model
        self.budget = budget
        self.reserve = reserve
        self.policy = policy
        self.compress = compress
        self.ledger: Ledger = ledger if ledger is not None else Ledger()
        self._packs: dict[str, PackReport] = {}  # litellm_call_id -> its pack, until it ends
        self._warned: set[str] = set()  # unknown models already warned about (fit, then _record)

    def fit(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Return the request arguments with their messages packed within the budget.

        Arguments without a message list (embeddings, ...) or for a model aifkit
        does not know come back unchanged; a request already packed (the proxy's
        hook, then the Router's) is not packed again.
        """
        out = dict(data)
        call = out.get("litellm_call_id")
        messages = out.get("messages")
        if not isinstance(messages, list) or not messages or call in self._packs:
            return out
        model = self._model(out)
        if model is None:
            return out
        from aifkit.budget import pack

        body: dict[str, Any] = {"model": model, "messages": messages}
        if isinstance(out.get("tools"), list):
            body["tools"] = out["tools"]
        packed, report = pack(
            body,
            format=_WIRE,
            model=model,
            budget=self.budget,
            reserve=self.reserve,
            policy=self.policy,
            compress=self.compress,
        )
        out["messages"] = packed["messages"]
        if isinstance(call, str):
            self._packs[call] = report
        return out

    def _model(self, data: Mapping[str, Any]) -> str | None:
        from aifkit.errors import UnknownNameError
        from aifkit.tokens import get_model

        name = self.model or data.get("model")
        if not isinstance(name, str):
            return None
        try:
            return get_model(name).name
        except UnknownNameError as exc:
            if name not in self._warned:  # once per model, not per request and hook
                if len(self._warned) < _WARNED_MODELS:
                    self._warned.add(name)
                _log.warning("aifkit: %s; its requests are sent unpacked (pass model=...)", exc)
            return None

    # The proxy: before the request is routed.
    async def async_pre_call_hook(  # pyright: ignore[reportIncompatibleMethodOverride]
        self, user_api_key_dict: Any, cache: Any, data: dict[str, Any], call_type: Any
    ) -> dict[str, Any]:
        """Pack a proxy request (LiteLLM passes the parsed request body as ``data``)."""
        return self.fit(data)

    # The SDK and the Router, async calls: right before the request is sent.
    async def async_pre_call_deployment_hook(  # pyright: ignore[reportIncompatibleMethodOverride]
        self, kwargs: dict[str, Any], call_type: Any
    ) -> dict[str, Any]:
        """Pack an ``acompletion`` request right before it is sent."""
        return self.fit(kwargs)

    def log_success_event(  # pyright: ignore[reportIncompatibleMethodOverride]
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        """Record the usage of a finished sync call."""
        self._record(kwargs, response_obj)

    async def async_log_success_event(  # pyright: ignore[reportIncompatibleMethodOverride]
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        """Record the usage of a finished async call."""
        self._record(kwargs, response_obj)

    def log_failure_event(  # pyright: ignore[reportIncompatibleMethodOverride]
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        """Forget the pack of a failed call."""
        self._packs.pop(str(kwargs.get("litellm_call_id")), None)

    async def async_log_failure_event(  # pyright: ignore[reportIncompatibleMethodOverride]
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        """Forget the pack of a failed call."""
        self._packs.pop(str(kwargs.get("litellm_call_id")), None)

    def _record(self, kwargs: Mapping[str, Any], response_obj: Any) -> None:
        from aifkit.budget import usage_from_response
        from aifkit.errors import InvalidInputError

        report = self._packs.pop(str(kwargs.get("litellm_call_id")), None)
        dump = getattr(response_obj, "model_dump", None)
        response = cast("Any", dump()) if callable(dump) else response_obj
        if not isinstance(response, Mapping):
            return  # not a chat response (a stream's chunks are logged once, assembled)
        body = cast("Mapping[str, Any]", response)
        model = self._model({"model": self.model or kwargs.get("model") or body.get("model")})
        if model is None:
            return
        try:
            usage = usage_from_response(body, model=model)
        except InvalidInputError as exc:  # no usage reported: nothing to record
            _log.warning("aifkit: the response's usage cannot be read: %s", exc)
            return
        self.ledger.record(usage.with_pack(report) if report is not None else usage)
