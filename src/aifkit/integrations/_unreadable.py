"""The one error for a framework object aifkit cannot read (a user's hostile message)."""

from __future__ import annotations

from aifkit.errors import InvalidInputError

__all__ = ["READ_ERRORS", "unreadable"]

READ_ERRORS = (TypeError, ValueError, AttributeError, KeyError, RecursionError)
"""What reading a malformed framework object raises (wrong types, missing fields, cycles)."""


def unreadable(pointer: str, framework: str, exc: BaseException) -> InvalidInputError:
    """The `InvalidInputError` for an object at ``pointer`` that ``framework`` code could not read.

    Examples:
        >>> str(unreadable("/2", "LangChain", TypeError("unhashable type: 'list'"))).split(";")[0]
        "/2: not a LangChain message aifkit can read (TypeError: unhashable type: 'list')"
    """
    why = "nested in itself" if isinstance(exc, RecursionError) else f"{type(exc).__name__}: {exc}"
    return InvalidInputError(
        pointer,
        f"not {_article(framework)} {framework} message aifkit can read ({why})",
        hint=f"pass {framework} messages as the framework builds them: text content a str "
        "or a list of content blocks, tool calls with a name, arguments and an id",
    )


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeio" else "a"
