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

    from aifkit.tokens._quick_bpe import QuickBPE

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

    @property
    def has_encoding(self) -> bool:
        """Whether `encoding` is built (reading it builds it); callers choose paths by it."""
        return True

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


class _QuickStartTokenizer(TiktokenTokenizer):
    """A `TiktokenTokenizer` that builds its encoding only when a text needs it.

    Short ASCII texts are encoded by a `QuickBPE` read from the user cache, which
    gives the same ids; the first text it declines builds the encoding, which then
    serves every text. A one-message ``aif count`` never builds it.
    """

    def __init__(self, name: str, quick: QuickBPE) -> None:
        self._name = name
        self._quick: QuickBPE | None = quick
        self._built: tiktoken.Encoding | None = None

    @property
    def name(self) -> str:
        """The encoding's name."""
        return self._name

    @property
    def _encoding(self) -> tiktoken.Encoding:  # pyright: ignore[reportIncompatibleVariableOverride]
        built = self._built
        if built is None:
            from aifkit.tokens._openai_files import load_encoding

            built = self._built = load_encoding(self._name)
            self._quick = None
        return built

    @property
    def has_encoding(self) -> bool:
        """Whether the encoding is built yet."""
        return self._built is not None

    def encode(self, text: str) -> list[int]:
        """Return the token ids of ``text``, special-token lookalikes included as text."""
        quick = self._quick  # once: another thread may drop it when the encoding is built
        if quick is not None:
            ids = quick.encode(text)
            if ids is not None:
                return ids
        return self._encoding.encode_ordinary(text)

    def count(self, text: str) -> int:
        """Return the number of tokens in ``text`` (see `TiktokenTokenizer.count`)."""
        return len(self.encode(text)) if text else 0


def _local(name: str) -> TiktokenTokenizer:
    from aifkit.tokens._quick_bpe import load_quick, store_quick

    quick = load_quick(name)
    if quick is not None:
        return _QuickStartTokenizer(name, quick)
    from aifkit.tokens._openai_files import load_encoding

    encoding = load_encoding(name)
    # The next process starts from the table instead of building the encoding.
    store_quick(name, encoding._mergeable_ranks, encoding._pat_str)  # pyright: ignore[reportPrivateUsage]
    return TiktokenTokenizer(encoding)


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
