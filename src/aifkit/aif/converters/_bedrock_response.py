"""Amazon Bedrock Converse responses (``ConverseResponse``) <-> AIF.

Like Anthropic, Bedrock counts ``inputTokens`` without the cache reads and
writes; AIF's ``input_tokens`` is the sum, split again on encode.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, cast

from aifkit.aif._loss import LossLog, Path, SourceMap
from aifkit.aif._response import Response, Usage
from aifkit.aif._schema import Message
from aifkit.aif._vocab import BEDROCK_FINISH, BEDROCK_USAGE
from aifkit.aif.converters._base import EncodeOptions
from aifkit.aif.converters._common import expect_obj
from aifkit.aif.converters._response_base import ResponseCodec
from aifkit.aif.converters._response_wire import Obj, shape
from aifkit.aif.converters._wire import ext, unknown_keys

__all__ = ["BedrockResponses"]

_TOP = frozenset({"output", "stopReason", "usage"})


class BedrockResponses(ResponseCodec):
    """``ConverseResponse`` bodies (``POST /model/{modelId}/converse``)."""

    name = "bedrock-converse"
    output_media = True
    empty_turn: ClassVar[Mapping[str, Any]] = {"role": "assistant", "content": []}
    user_turn: ClassVar[Mapping[str, Any]] = {"role": "user", "content": [{"text": "."}]}
    finish = BEDROCK_FINISH
    usage_fields = BEDROCK_USAGE

    def _decode(self, body: Obj, sm: SourceMap, losses: LossLog) -> Response:
        output = expect_obj(body.get("output"), ("output",))
        at: Path = ("output", "message")
        wire = output.get("message")
        if wire is not None:
            message = self.decode_turn(expect_obj(wire, at), at, sm, losses)
        else:
            message = Message(role="assistant")
            sm.add(("message",), ("output",))
        finish = self.read_finish(body.get("stopReason"), ("stopReason",))
        sm.add(("finish_reason",), ("stopReason",))
        extra = self.top_extra(body, _TOP, sm)
        for key, value in unknown_keys(output, frozenset({"message"})).items():
            extra[f"output.{key}"] = value
            sm.add(("extensions", self.name, "extra", f"output.{key}"), ("output", key))
        form = {"keys": list(body), "output": list(output)}
        return self.reply(body, message, finish, sm, extra=extra, form=form)

    def _encode(self, response: Response, options: EncodeOptions, losses: LossLog) -> Obj:
        form, extra = ext(response.extensions, self.name, (), losses)
        self.drop_fields(response, (), losses)
        out_full: Obj = {}
        if response.message.parts or not form:
            turn = self.assistant_turn(response.message, options, losses)
            blocks = turn.get("content")
            if isinstance(blocks, list):
                turn["content"] = self.keep_blank_text(
                    cast("list[Any]", blocks), response.message, losses, "bedrock"
                )
            out_full["message"] = turn
        out_full.update({k[7:]: v for k, v in extra.items() if k.startswith("output.")})
        full: Obj = {
            "output": shape(out_full, form.get("output")),
            "stopReason": self.fill(
                self.write_finish(response, losses), "end_turn", (), "a stop reason", losses
            ),
            "usage": self._write_usage(response.usage, own=bool(form), losses=losses),
        }
        if not form:
            full["metrics"] = {"latencyMs": 0}
        full.update({k: v for k, v in extra.items() if not k.startswith("output.")})
        return shape(full, form.get("keys"))

    def _write_usage(self, usage: Usage | None, own: bool, losses: LossLog) -> Obj | None:
        if usage is None:
            return None if own else {"inputTokens": 0, "outputTokens": 0, "totalTokens": 0}
        # The service model requires the three counts.
        return self.write_usage(usage, losses, fill=self.name not in usage.extensions)
