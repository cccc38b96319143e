"""The `Tokenizer` protocol and the tokenizer registry.

Built-ins are OpenAI's ``o200k_base`` and ``cl100k_base`` (and ``o200k_harmony``)
through tiktoken, built from local files (see `aifkit.tokens._openai_files`).
Plugins register under the ``aifkit.tokenizers`` entry point; a factory takes no
arguments and returns a `Tokenizer`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from aifkit._registry import Registry

if TYPE_CHECKING:
    import tiktoken

__all__ = ["TOKENIZERS", "TiktokenTokenizer", "Tokenizer", "get_tokenizer", "tokenizers"]


@runtime_checkable
class Tokenizer(Protocol):
    """Turns text into token ids.

    ``count(text)`` must equal ``len(encode(text))``; implementations make it cheaper.
    Text that looks like a special token (``"<|endoftext|>"``) is ordinary text.
    """

    @property
    def name(self) -> str:
        """The vocabulary's name, e.g. ``"o200k_base"``; part of every cache key."""
        ...

    def encode(self, text: str) -> list[int]:
        """Return the token ids of ``text``."""
        ...

    def count(self, text: str) -> int:
        """Return the number of tokens in ``text``."""
        ...


class TiktokenTokenizer:
    """A `Tokenizer` backed by a `tiktoken.Encoding`.

    Args:
        encoding: The encoding; its name becomes the tokenizer's name.

    Examples:
        >>> tok = get_tokenizer("o200k_base")
        >>> tok.encode("hello world")
        [24912, 2375]
        >>> tok.count("<|endoftext|>") > 1  # special tokens are plain text here
        True
        >>> tok.decode(tok.encode("héllo 世界"))
        'héllo 世界'
    """

    def __init__(self, encoding: tiktoken.Encoding) -> None:
        self._encoding = encoding
        self._encode = encoding.encode_ordinary

    @property
    def name(self) -> str:
        """The encoding's name."""
        return self._encoding.name

    @property
    def encoding(self) -> tiktoken.Encoding:
        """The underlying tiktoken encoding."""
        return self._encoding

    def encode(self, text: str) -> list[int]:
        """Return the token ids of ``text``, special-token lookalikes included as text."""
        return self._encode(text)

    def count(self, text: str) -> int:
        """Return the number of tokens in ``text``.

        The cost is linear in ``text`` except inside one pre-token (a run of letters,
        digits or symbols with no space or line break): tiktoken merges such a run
        a little worse than linearly, about 6x the time for 4x the run (0.3 s for a
        1 MB run of one letter, 1.8 s for 4 MB), far from quadratic. The run cannot
        be cut to count it faster: a cut inside a pre-token changes its tokens.
        """
        return len(self._encode(text)) if text else 0

    def decode(self, tokens: list[int]) -> str:
        """Return the text of ``tokens``."""
        return self._encoding.decode(tokens)

    def __repr__(self) -> str:
        return f"TiktokenTokenizer({self.name!r})"


def _local(name: str) -> TiktokenTokenizer:
    from aifkit.tokens._openai_files import load_encoding

    return TiktokenTokenizer(load_encoding(name))


TOKENIZERS: Registry[Tokenizer] = Registry("tokenizer", group="aifkit.tokenizers")
"""Every tokenizer, by name; each is loaded once per process, on first use."""

TOKENIZERS.register("o200k_base", lambda: _local("o200k_base"))
TOKENIZERS.register("cl100k_base", lambda: _local("cl100k_base"))
TOKENIZERS.register("o200k_harmony", lambda: _local("o200k_harmony"))


def get_tokenizer(name: str) -> Tokenizer:
    """Return the tokenizer ``name``, loading it on first use (offline, from local files).

    Raises:
        UnknownNameError: no tokenizer is registered under ``name``.
        MissingDependencyError: the ``tokens`` extra is not installed.
        TokenizerDataError: the vocabulary file is missing or not the expected one.

    Examples:
        >>> get_tokenizer("cl100k_base").count("tiktoken is great!")
        6
    """
    return TOKENIZERS.get(name)


def tokenizers() -> list[str]:
    """Return the names of every registered tokenizer.

    Examples:
        >>> tokenizers()[:2]
        ['cl100k_base', 'o200k_base']
    """
    return TOKENIZERS.names()
