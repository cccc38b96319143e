"""What an image costs in tokens, by each provider's published rule.

Sizes come from the image header itself (PNG, JPEG, GIF, WebP), read from the first
bytes of the base64 data; no imaging library is needed. An image whose size cannot
be known (a URL, an uploaded file, an unreadable header) is counted as a
`DEFAULT_SIZE` image and the count says it is an estimate, with a bound that covers
every size the rule allows (for Gemini, which publishes no size limit, images up to
2304 px a side).
"""

from __future__ import annotations

import base64
import binascii
import math
import struct
from dataclasses import dataclass
from typing import Literal

__all__ = ["DEFAULT_SIZE", "ImageCount", "ImageRule", "image_size"]

DEFAULT_SIZE = (1024, 1024)
"""The size assumed for an image whose size is unknown."""

Detail = Literal["auto", "low", "high"] | None
RuleKind = Literal["openai-tile", "openai-patch", "anthropic", "gemini"]


@dataclass(frozen=True, slots=True)
class ImageCount:
    """The tokens one image costs; ``bound`` is how far off an estimate may be."""

    tokens: int
    exact: bool
    bound: int = 0


@dataclass(frozen=True, slots=True)
class ImageRule:
    """A provider's rule for image tokens.

    Args:
        kind: Which published rule.
        base: ``openai-tile``: tokens for the low-detail pass (also the whole low cost).
        tile: ``openai-tile``: tokens per 512 px tile at high detail.
        multiplier: ``openai-patch``: tokens per 32 px patch.

    Examples:
        >>> ImageRule().count(1024, 1024, "high").tokens  # OpenAI's own example
        765
        >>> ImageRule("anthropic").count(1000, 1000, None).tokens
        1334
    """

    kind: RuleKind = "openai-tile"
    base: int = 85
    tile: int = 170
    multiplier: float = 1.0

    @property
    def key(self) -> str:
        """A short string naming the rule and its constants (part of cache keys)."""
        return f"{self.kind}:{self.base}:{self.tile}:{self.multiplier}"

    def count(self, width: int | None, height: int | None, detail: Detail) -> ImageCount:
        """Return the tokens for a ``width`` x ``height`` image (``None``: unknown size)."""
        if self.kind == "openai-tile" and detail == "low":  # one price, whatever the size
            return ImageCount(self.base, True)
        if width is None or height is None or width <= 0 or height <= 0:
            tokens = self._tokens(*DEFAULT_SIZE, detail)
            return ImageCount(
                tokens, False, max(self._max(detail) - tokens, tokens - self._min(detail))
            )
        tokens = self._tokens(width, height, detail)
        if self.kind == "openai-tile" and detail in ("low", "high"):
            return ImageCount(tokens, True)
        if self.kind == "openai-tile":  # "auto": the API picks low or high; we assume high
            return ImageCount(tokens, False, tokens - self.base)
        # Patch multipliers measured from the API differ from the documented ones by up to
        # about a third (https://community.openai.com/t/1344040); Anthropic and Gemini
        # describe their rules as approximations.
        return ImageCount(tokens, False, math.ceil(tokens / 3))

    def _tokens(self, width: int, height: int, detail: Detail) -> int:
        if self.kind == "openai-tile":
            return _openai_tiles(width, height, detail, self.base, self.tile)
        if self.kind == "openai-patch":
            return math.ceil(_openai_patches(width, height) * self.multiplier)
        if self.kind == "anthropic":
            return _anthropic(width, height)
        return _gemini(width, height)

    def _max(self, detail: Detail) -> int:
        if self.kind == "openai-tile":
            # after the scaling, the largest image is 768 x 2048: 2 x 4 tiles
            return self.base + 8 * self.tile
        if self.kind == "openai-patch":
            return math.ceil(1536 * self.multiplier)
        if self.kind == "anthropic":
            return 1600
        return 258 * 9  # no published limit: cover images up to 2304 px a side

    def _min(self, detail: Detail) -> int:
        if self.kind == "openai-tile":
            return self.base + self.tile
        return 1 if self.kind != "gemini" else 258


def _openai_tiles(width: int, height: int, detail: Detail, base: int, tile: int) -> int:
    # https://platform.openai.com/docs/guides/images-vision#calculating-costs
    # low: a fixed `base`. high: fit in 2048 x 2048, then shortest side to 768
    # (images are only scaled down), then `tile` per 512 px tile, plus `base`.
    if detail == "low":
        return base
    w, h = float(width), float(height)
    if max(w, h) > 2048:
        scale = 2048 / max(w, h)
        w, h = w * scale, h * scale
    if min(w, h) > 768:
        scale = 768 / min(w, h)
        w, h = w * scale, h * scale
    tiles = math.ceil(w / 512) * math.ceil(h / 512)
    return base + tile * tiles


def _openai_patches(width: int, height: int) -> int:
    # https://platform.openai.com/docs/guides/images-vision#calculating-costs
    # (gpt-4.1-mini, gpt-4.1-nano, o4-mini, gpt-5-mini, gpt-5-nano): 32 px patches,
    # at most 1536; a larger image is shrunk so that whole patches fit the budget.
    patches = math.ceil(width / 32) * math.ceil(height / 32)
    if patches <= 1536:
        return patches
    shrink = math.sqrt(1536 * 32 * 32 / (width * height))
    w, h = width * shrink / 32, height * shrink / 32
    shrink *= min(math.floor(w) / w, math.floor(h) / h)
    return min(1536, math.ceil(int(width * shrink) / 32) * math.ceil(int(height * shrink) / 32))


def _anthropic(width: int, height: int) -> int:
    # https://docs.anthropic.com/en/docs/build-with-claude/vision#calculate-image-costs
    # tokens = width * height / 750, after scaling down so the long edge is at most
    # 1568 px and the image at most ~1600 tokens (about 1.15 megapixels).
    w, h = float(width), float(height)
    if max(w, h) > 1568:
        scale = 1568 / max(w, h)
        w, h = w * scale, h * scale
    return min(1600, math.ceil(w * h / 750))


def _gemini(width: int, height: int) -> int:
    # https://ai.google.dev/gemini-api/docs/tokens#multimodal-tokens
    # both sides <= 384 px: 258 tokens; otherwise cropped and scaled into
    # 768 x 768 tiles of 258 tokens each.
    if width <= 384 and height <= 384:
        return 258
    return 258 * math.ceil(width / 768) * math.ceil(height / 768)


def image_size(data: str) -> tuple[int, int] | None:
    """Read ``(width, height)`` from base64 PNG, JPEG, GIF or WebP data; ``None`` if unknown.

    Only the header is decoded, except for a JPEG whose size marker sits after
    large metadata.

    Examples:
        >>> png = base64.b64encode(
        ...     bytes.fromhex("89504e470d0a1a0a0000000d49484452") + struct.pack(">II", 640, 480)
        ... ).decode()
        >>> image_size(png)
        (640, 480)
        >>> image_size("bm90IGFuIGltYWdl") is None
        True
    """
    if data.startswith("data:"):
        data = data.partition(",")[2]
    head = _b64(data[:88_000])  # ~64 KiB: enough for a JPEG's usual metadata
    size = _parse(head)
    if size is None and head[:2] == b"\xff\xd8" and len(data) > 88_000:
        size = _parse(_b64(data))
    return size


def _b64(text: str) -> bytes:
    text = "".join(text.split())
    text = text[: len(text) - len(text) % 4]
    try:
        return base64.b64decode(text)
    except (binascii.Error, ValueError):
        return b""


def _parse(head: bytes) -> tuple[int, int] | None:
    if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        return _positive(*struct.unpack(">II", head[16:24]))
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return _positive(*struct.unpack("<HH", head[6:10]))
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _webp(head)
    if head[:2] == b"\xff\xd8":
        return _jpeg(head)
    return None


def _positive(width: int, height: int) -> tuple[int, int] | None:
    return (width, height) if width > 0 and height > 0 else None


def _webp(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8 " and len(head) >= 30:  # lossy: 14-bit sizes after the start code
        w, h = struct.unpack("<HH", head[26:30])
        return _positive(w & 0x3FFF, h & 0x3FFF)
    if chunk == b"VP8L" and len(head) >= 25:  # lossless: 14-bit sizes minus one, packed
        bits = int.from_bytes(head[21:25], "little")
        return _positive((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8X" and len(head) >= 30:  # extended: 24-bit canvas sizes minus one
        w = int.from_bytes(head[24:27], "little") + 1
        h = int.from_bytes(head[27:30], "little") + 1
        return _positive(w, h)
    return None


_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


def _jpeg(head: bytes) -> tuple[int, int] | None:
    # Walk the marker segments to the first start-of-frame, which holds the size.
    i = 2
    while i + 9 <= len(head):
        if head[i] != 0xFF:
            return None
        marker = head[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in _SOF:
            h, w = struct.unpack(">HH", head[i + 5 : i + 9])
            return _positive(w, h)
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            i += 2
            continue
        (length,) = struct.unpack(">H", head[i + 2 : i + 4])
        i += 2 + length
    return None
