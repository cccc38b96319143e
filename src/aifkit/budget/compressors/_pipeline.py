"""`compress` and `Pipeline`: run one compressor, or several in turn, toward one goal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from aifkit._limits import check_document
from aifkit.aif._schema import Document
from aifkit.budget.compressors._base import (
    COMPRESSORS,
    CompressionAction,
    CompressionResult,
    CompressionTarget,
    Compressor,
)

__all__ = ["DEFAULT_STAGES", "Pipeline", "compress"]

DEFAULT_STAGES: tuple[str, ...] = ("salient",)
"""The stages of the ``auto`` method: content-aware compression (`SalientCompressor`: each
text routed by its kind, repeats and elided parts behind references). Add ``dedupe``
first to also fold near-duplicates (it costs about as much again)."""


class Pipeline:
    """Runs compressors in turn toward the same goal, stopping as soon as it is met.

    Each stage gets the goal as a token budget (computed once from the input's
    prompt tokens), so a later stage only takes what the earlier ones left. The
    result's actions are those of every stage, in order, so `restore` undoes them all.

    Args:
        stages: Compressor names (see `COMPRESSORS`) or compressors; default: `DEFAULT_STAGES`.

    Examples:
        >>> from aifkit.aif import Document, Message, TextPart
        >>> page = "Revenue grew in every region last quarter. " * 40
        >>> doc = Document(messages=tuple(
        ...     Message(role=r, parts=(TextPart(text=t),)) for r, t in
        ...     [("user", page), ("assistant", "Noted."), ("user", page), ("assistant", "Again."),
        ...      ("user", "How did revenue do?")]))
        >>> result = Pipeline().compress(doc, CompressionTarget("gpt-4o", ratio=0.3))
        >>> sorted({a.method for a in result.actions}), result.ratio <= 0.3
        (['salient'], True)
        >>> result.restore() == doc
        True
    """

    name = "auto"

    def __init__(self, stages: Sequence[str | Compressor] = DEFAULT_STAGES) -> None:
        self.stages: tuple[Compressor, ...] = tuple(
            COMPRESSORS.get(s) if isinstance(s, str) else s for s in stages
        )

    def compress(self, document: Document, target: CompressionTarget) -> CompressionResult:
        """Run the stages on ``document`` until the prompt meets ``target``."""
        from aifkit.tokens import count_tokens

        if len(self.stages) == 1:  # one stage counts for itself
            return self.stages[0].compress(document, target)
        before = count_tokens(document, model=target.model, tokenizer=target.tokenizer).total
        goal = target.goal(before)
        staged = replace(target, ratio=None, budget=goal)
        current, after = document, before
        actions: list[CompressionAction] = []
        for stage in self.stages:
            if after <= goal:
                break
            result = stage.compress(current, staged)
            current, after = result.document, result.tokens_after
            actions.extend(result.actions)
        return CompressionResult(current, before, after, tuple(actions))


def compress(
    document: Document,
    target: CompressionTarget,
    method: str | Compressor | Sequence[str | Compressor] = "auto",
) -> CompressionResult:
    """Compress ``document``'s prompt toward ``target`` with ``method``.

    Args:
        document: The conversation, as an AIF document.
        target: The model, and the ratio or budget to reach.
        method: A compressor name (``auto``, ``dedupe``, ``clear-tool-output``,
            ``truncate``, ``extract``, ``summary``), a compressor, or a sequence of
            them run as a `Pipeline`.

    Returns:
        The compressed document with its counts and actions; ``restore()`` undoes it.

    Raises:
        UnknownNameError: no compressor is registered under ``method``.
        InvalidInputError: ``document`` holds what no body may (a lone surrogate,
            NaN or Infinity, nesting too deep; see `aifkit._limits.check_document`).
        BudgetError: a goal-seeking method (``truncate``, ``extract``) cannot reach the
            goal because what is never compressed (the instructions, the current
            turn) alone passes it.

    Examples:
        >>> from aifkit.aif import Document, Message, TextPart
        >>> doc = Document(messages=(
        ...     Message(role="user", parts=(TextPart(text="The door code is 7741. " * 50),)),
        ...     Message(role="assistant", parts=(TextPart(text="Got it."),)),
        ...     Message(role="user", parts=(TextPart(text="What is the door code?"),))))
        >>> result = compress(doc, CompressionTarget("gpt-4o", ratio=0.25), method="extract")
        >>> result.tokens_before, 0.95 * 0.25 <= result.ratio <= 0.25
        (425, True)
    """
    check_document(document)
    return compress_checked(document, target, method)


def compress_checked(
    document: Document,
    target: CompressionTarget,
    method: str | Compressor | Sequence[str | Compressor] = "auto",
) -> CompressionResult:
    """`compress` for a document already checked (read from a body checked at the edge).

    `aifkit.budget.pack` decodes its body with the edge check; checking the decoded
    document again would walk every text a second time.
    """
    if isinstance(method, str):
        compressor = COMPRESSORS.get(method)
    elif isinstance(method, Sequence):
        compressor = Pipeline(method)
    else:
        compressor = method
    return compressor.compress(document, target)
