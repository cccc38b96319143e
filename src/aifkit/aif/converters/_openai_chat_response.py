"""OpenAI Chat Completions responses (``chat.completion`` objects) <-> AIF.

Only the first choice is a message AIF carries; further choices (``n > 1``) are
kept verbatim as an ``extra`` field, which only this format writes back (any
other target reports them dropped at ``/choices/1``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, cast

from aifkit.aif._loss import LossLog, Path, SourceMap
from aifkit.aif._response import Response, Usage
from aifkit.aif._vocab import OPENAI_CHAT_FINISH, OPENAI_CHAT_USAGE
from aifkit.aif.converters._base import EncodeOptions
from aifkit.aif.converters._common import expect_list, expect_obj, fail
from aifkit.aif.converters._response_base import ResponseCodec
from aifkit.aif.converters._response_wire import Obj, epoch, shape, to_epoch
from aifkit.aif.converters._wire import ext, unknown_keys

__all__ = ["OpenAIChatResponses"]

_TOP = frozenset({"id", "object", "created", "model", "choices", "usage"})
_CHOICE = frozenset({"index", "message", "logprobs", "finish_reason"})
_FIXED = frozenset({"index", "object"})


class OpenAIChatResponses(ResponseCodec):
    """``chat.completion`` bodies (``POST /v1/chat/completions`` without streaming)."""

    name = "openai-chat"
    reply_keys: ClassVar[Mapping[str, str]] = {
        "id": "id",
        "model": "model",
        "created_at": "created",
    }
    object_name = "chat.completion"
    string_content = True
    """A completion's message content is a string (Mistral's may be a list of chunks)."""
    usage_required = False
    finish = OPENAI_CHAT_FINISH
    usage_fields = OPENAI_CHAT_USAGE

    def _decode(self, body: Obj, sm: SourceMap, losses: LossLog) -> Response:
        choices = expect_list(body.get("choices"), ("choices",))
        if not choices:
            raise fail(("choices",), "a response needs at least one choice")
        choice = expect_obj(choices[0], ("choices", 0))
        at: Path = ("choices", 0, "message")
        wire = expect_obj(choice.get("message"), at)
        message = self.decode_turn(wire, at, sm, losses)
        finish = self.read_finish(choice.get("finish_reason"), ("choices", 0, "finish_reason"))
        sm.add(("finish_reason",), ("choices", 0, "finish_reason"))
        extra = self.top_extra(body, _TOP, sm)
        for key, value in unknown_keys(choice, _CHOICE).items():
            extra[f"choice.{key}"] = value
            sm.add(("extensions", self.name, "extra", f"choice.{key}"), ("choices", 0, key))
        if choice.get("logprobs") is not None:
            extra["choice.logprobs"] = choice["logprobs"]
            sm.add(
                ("extensions", self.name, "extra", "choice.logprobs"), ("choices", 0, "logprobs")
            )
        self.keep_alternatives(choices, "choices", extra, sm)
        form = {"keys": list(body), "choice": list(choice)}
        return self.reply(body, message, finish, sm, extra=extra, form=form)

    def read_created(self, body: Obj) -> datetime | None:
        """``created``, in Unix seconds."""
        return epoch(body.get("created"), ("created",))

    def _encode(self, response: Response, options: EncodeOptions, losses: LossLog) -> Obj:
        form, extra = ext(response.extensions, self.name, (), losses)
        wire = self.assistant_turn(response.message, options, losses)
        content = wire.get("content")
        if self.string_content and isinstance(content, list):
            self._flatten_content(wire, cast("list[Any]", content), losses)
        choice_full: Obj = {
            "index": 0,
            "message": wire,
            "logprobs": extra.get("choice.logprobs"),
            "finish_reason": self.fill(
                self.write_finish(response, losses), "stop", (), "a finish reason", losses
            ),
        }
        choice_full.update({k[7:]: v for k, v in extra.items() if k.startswith("choice.")})
        choice = shape(
            choice_full,
            form.get("choice") or ["index", "message", "logprobs", "finish_reason"],
            _FIXED,
        )
        full: Obj = {
            "id": self.fill(response.id, "chatcmpl-aif", (), "an id", losses),
            "object": self.object_name,
            "created": self.fill(to_epoch(response.created_at), 0, (), "a creation time", losses),
            "model": self.fill(response.model or options.model, "unknown", (), "a model", losses),
            "choices": [choice, *self._more(extra)],
            "usage": self._write_usage(response.usage, bool(form), losses),
        }
        full.update(
            {k: v for k, v in extra.items() if not k.startswith("choice") and k != "choices"}
        )
        return shape(full, form.get("keys"), _FIXED)

    def _flatten_content(self, wire: Obj, content: list[Any], losses: LossLog) -> None:
        # A request may send assistant text and refusals as parts; a completion's
        # content is one string and its refusal another.
        texts = [_field(p, "text") for p in content]
        refusals = [_field(p, "refusal") for p in content]
        if not all(
            isinstance(t, str) or isinstance(r, str) for t, r in zip(texts, refusals, strict=True)
        ):
            return
        shown = [t for t in texts if isinstance(t, str)]
        wire["content"] = "".join(shown) if shown else None
        refused = [r for r in refusals if isinstance(r, str)]
        if refused:
            wire["refusal"] = "".join(refused)
        if len(shown) > 1 or len(refused) > 1:
            losses.add(
                ("message", "parts"),
                "transformed",
                f"{self.name}/joined-text",
                "info",
                "text blocks joined into one content string",
            )

    @staticmethod
    def _more(extra: Any) -> list[Any]:
        more: Any = extra.get("choices")
        return list(cast("list[Any]", more)) if isinstance(more, list) else []

    def _write_usage(self, usage: Usage | None, own: bool, losses: LossLog) -> Obj | None:
        if usage is None:
            if own or not self.usage_required:
                return None
            losses.add(
                (),
                "synthesized",
                f"{self.name}/required-field",
                "info",
                f"{self.name} responses require usage; wrote zero counts",
            )
            return {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        # The SDK types require all three totals; a foreign reply may lack the sum.
        return self.write_usage(usage, losses, fill=not own)


def _field(part: Any, key: str) -> Any:
    return cast("Obj", part).get(key) if isinstance(part, dict) else None
