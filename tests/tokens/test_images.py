"""Image tokens by each provider's published rule, and sizes read from image headers."""

from __future__ import annotations

import base64
import math
import struct

import pytest

from aifkit.aif import Base64Source, ImagePart, Message, UrlSource
from aifkit.tokens import count_tokens
from aifkit.tokens._images import DEFAULT_SIZE, ImageRule, image_size

from .helpers import text

OPENAI = ImageRule()  # gpt-4o: 85 + 170 per tile


@pytest.mark.parametrize(
    ("width", "height", "detail", "tokens"),
    [
        # The worked examples of https://platform.openai.com/docs/guides/images-vision#calculating-costs
        (1024, 1024, "high", 765),  # 768x768 after scaling: 4 tiles
        (2048, 4096, "high", 1105),  # 1024x2048, then 768x1536: 6 tiles
        (4096, 8192, "low", 85),  # low detail costs the same whatever the size
        # Small images are not scaled up: one tile.
        (512, 512, "high", 85 + 170),
        (513, 512, "high", 85 + 2 * 170),
    ],
)
def test_openai_tile_rule(width: int, height: int, detail: str, tokens: int) -> None:
    counted = OPENAI.count(width, height, detail)  # type: ignore[arg-type]
    assert (counted.tokens, counted.exact, counted.bound) == (tokens, True, 0)


def test_openai_auto_detail_assumes_high_and_says_it_may_be_low() -> None:
    counted = OPENAI.count(1024, 1024, "auto")
    assert (counted.tokens, counted.exact, counted.bound) == (765, False, 765 - 85)


def test_openai_patch_rule_follows_the_documented_examples() -> None:
    # Same page, "GPT-4.1-mini ...": 1024x1024 is 32x32 = 1024 patches; 1800x2400 is
    # 4275 patches, shrunk to fit 1536: 33 x 44 = 1452 patches.
    assert ImageRule("openai-patch").count(1024, 1024, None).tokens == 1024
    assert ImageRule("openai-patch").count(1800, 2400, None).tokens == 1452
    mini = ImageRule("openai-patch", multiplier=1.62).count(1024, 1024, None)
    assert mini.tokens == math.ceil(1024 * 1.62)
    assert not mini.exact


def test_anthropic_rule() -> None:
    # https://docs.anthropic.com/en/docs/build-with-claude/vision#calculate-image-costs:
    # tokens = width * height / 750; a 1000x1000 image is about 1334 tokens, and the
    # largest images are scaled to about 1600 tokens.
    rule = ImageRule("anthropic")
    assert rule.count(1000, 1000, None).tokens == 1334
    assert rule.count(200, 200, None).tokens == math.ceil(200 * 200 / 750)
    assert rule.count(8000, 8000, None).tokens == 1600


def test_gemini_rule() -> None:
    # https://ai.google.dev/gemini-api/docs/tokens: <= 384 px both sides is 258
    # tokens; larger images are tiled in 768 px tiles of 258 tokens each.
    rule = ImageRule("gemini")
    assert rule.count(384, 384, None).tokens == 258
    assert rule.count(1000, 500, None).tokens == 2 * 258
    assert rule.count(1536, 1536, None).tokens == 4 * 258


SIZES = [(1, 1), (200, 300), (768, 2048), (2048, 768), (1568, 1568), (2304, 2304)]


@pytest.mark.parametrize("rule", [OPENAI, ImageRule("openai-patch", multiplier=1.72),
                                  ImageRule("anthropic"), ImageRule("gemini")])  # fmt: skip
def test_unknown_sizes_are_estimates_whose_bound_covers_usual_sizes(rule: ImageRule) -> None:
    # OpenAI and Anthropic scale images down, so the bound covers every size; Gemini
    # publishes no limit, so its bound covers images up to 2304 px a side.
    guess = rule.count(None, None, "high")
    assert guess.tokens == rule.count(*DEFAULT_SIZE, "high").tokens
    assert not guess.exact
    sizes = [*SIZES, (4000, 3000)] if rule.kind != "gemini" else SIZES
    for w, h in sizes:
        assert abs(rule.count(w, h, "high").tokens - guess.tokens) <= guess.bound, (w, h)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def png(width: int, height: int) -> bytes:
    ihdr = struct.pack(">II", width, height) + b"\x08\x06\x00\x00\x00"
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + b"\0\0\0\0"


def jpeg(width: int, height: int, exif: int = 0) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"
    app1 = b"\xff\xe1" + struct.pack(">H", exif + 2) + b"\0" * exif if exif else b""
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + b"\0" * 9
    return b"\xff\xd8" + app0 + app1 + sof + b"\xff\xd9"


def gif(width: int, height: int) -> bytes:
    return b"GIF89a" + struct.pack("<HH", width, height) + b"\0\0\0"


def webp(chunk: bytes, payload: bytes) -> bytes:
    body = b"WEBP" + chunk + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_sizes_are_read_from_every_supported_header() -> None:
    vp8 = b"\0\0\0" + b"\x9d\x01\x2a" + struct.pack("<HH", 800, 600) + b"\0" * 4
    vp8l_bits = (800 - 1) | ((600 - 1) << 14)
    vp8l = b"\x2f" + vp8l_bits.to_bytes(4, "little") + b"\0"
    vp8x = b"\0\0\0\0" + (800 - 1).to_bytes(3, "little") + (600 - 1).to_bytes(3, "little")
    for image in [png(800, 600), jpeg(800, 600), gif(800, 600),
                  webp(b"VP8 ", vp8), webp(b"VP8L", vp8l), webp(b"VP8X", vp8x)]:  # fmt: skip
        assert image_size(_b64(image)) == (800, 600), image[:16]


def test_a_jpeg_size_behind_large_metadata_is_found() -> None:
    assert image_size(_b64(jpeg(640, 480, exif=65_000) + b"\0" * 100_000)) == (640, 480)


def test_data_urls_and_junk() -> None:
    assert image_size("data:image/png;base64," + _b64(png(3, 4))) == (3, 4)
    assert image_size("!!! not base64 !!!") is None
    assert image_size(_b64(b"\xff\xd8\xff\xd9")) is None  # a JPEG with no frame
    assert image_size(_b64(png(0, 10))) is None


def test_count_tokens_reads_the_size_from_the_document() -> None:
    image = ImagePart(source=Base64Source(media_type="image/png", data=_b64(png(2048, 4096))),
                      detail="high")  # fmt: skip
    msg = Message(role="user", parts=(image,))
    from aifkit.aif import Document

    n = count_tokens(Document(messages=(msg,)), model="gpt-4o")
    # 3 per message + "user" (1 token) + 1105 for the image, + 3 priming the reply
    assert n.messages == (3 + 1 + 1105,)
    assert n.exact

    url = ImagePart(source=UrlSource(url="https://example.com/cat.png"), detail="high")
    with_text = Message(role="user", parts=(*text("What is this?"), url))
    guess = count_tokens(Document(messages=(with_text,)), model="gpt-4o")
    assert not guess.exact
    assert guess.error_bound >= 1445 - 765  # an unknown size may be up to 8 tiles
