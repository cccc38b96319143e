"""``aif memory``: a rolling memory in a SQLite file, from the shell.

``add`` appends the messages of a request body (folding old ones when over the
mark), ``pin`` pins a fact, ``show`` prints the sessions or one session's state,
``export`` prints the memory as a request body in any format.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aifkit._cli._io import read_json, write_json
from aifkit._cli._main import guard
from aifkit.errors import UsageError

if TYPE_CHECKING:
    from aifkit.budget.memory import Fold, RollingMemory

__all__ = ["memory_app"]

memory_app = typer.Typer(
    name="memory",
    help="A rolling memory in a SQLite file: add turns, pin facts, show, export.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

DbArg = Annotated[str, typer.Argument(help="The memory's SQLite file.")]
SessionOpt = Annotated[str, typer.Option("--session", "-s", help="The conversation in the file.")]
ModelOpt = Annotated[str, typer.Option("--model", "-m", help="The model whose tokens count.")]
MaxOpt = Annotated[
    int, typer.Option("--max-tokens", help="Fold old turns when the memory is over this.")
]


def _existing(db: str) -> str:
    if not Path(db).is_file():
        raise UsageError(f"{db}: no such memory file", hint="create one with: aif memory add")
    return db


def add_command(
    db: DbArg,
    input: Annotated[str, typer.Argument(help="A JSON request body: a path, or - for stdin.")],
    format: Annotated[str, typer.Option("--format", "-f", help="Format of INPUT.")],
    session: SessionOpt = "default",
    model: ModelOpt = "gpt-4o",
    max_tokens: MaxOpt = 4000,
    strictness: Annotated[
        str,
        typer.Option(
            "--strictness",
            metavar="[strict|normal|lenient|off]",
            help="How strictly a summary is checked before it replaces turns.",
        ),
    ] = "normal",
) -> int:
    """Append the messages of INPUT to the memory; print what happened as JSON."""
    from aifkit.aif import convert, load_document
    from aifkit.budget.memory import RollingMemory, SummaryChecks

    checks = SummaryChecks.preset(strictness)
    doc = load_document(convert(read_json(input), source=format, target="aif").body)
    with RollingMemory(db, session=session, model=model, max_tokens=max_tokens, checks=checks) as m:
        fold = m.add(doc.messages)
        out: dict[str, Any] = {"session": session, "added": len(doc.messages), "tokens": m.tokens}
        out.update(_backoff(m))
        if doc.instructions or doc.tools:  # not conversation turns: say so rather than drop quietly
            out["not_added"] = {"instructions": len(doc.instructions), "tools": len(doc.tools)}
        if fold is not None:
            out["fold"] = {
                "committed": fold.committed,
                "messages": fold.folded,
                "tokens_before": fold.tokens_before,
                "tokens_after": fold.tokens_after,
                "reason": fold.reason,
            }
        unfolded = _unfolded(m, fold, max_tokens)
    write_json(out)
    if unfolded:
        print(f"aif: {unfolded}", file=sys.stderr)
    return 0


def _unfolded(mem: RollingMemory, fold: Fold | None, max_tokens: int) -> str | None:
    """What to say on stderr when the memory stays over the mark: why it could not fold."""
    if not mem.over:
        return None
    over = f"the memory stays over --max-tokens ({mem.tokens} > {max_tokens})"
    retry = f"; the next fold is tried past {mem.retry_at} tokens" if mem.retry_at else ""
    if fold is not None and not fold.committed:
        return (
            f"could not fold {fold.folded} old message(s): summary rejected: {fold.reason}; "
            f"they are kept verbatim and {over}{retry}"
        )
    if fold is None and mem.last_rejection:
        return f"{over}: backing off after a rejected summary ({mem.last_rejection}){retry}"
    return None


def pin_command(
    db: DbArg,
    text: Annotated[str, typer.Argument(help="The fact.")],
    session: SessionOpt = "default",
) -> None:
    """Pin a fact: kept word for word, never summarized; prints its id."""
    from aifkit.budget.memory import RollingMemory

    with RollingMemory(db, session=session) as mem:
        print(mem.pin(text))


def show_command(
    db: DbArg,
    session: Annotated[
        str | None, typer.Option("--session", "-s", help="Show this session; default: list them.")
    ] = None,
    model: ModelOpt = "gpt-4o",
    max_tokens: MaxOpt = 4000,
) -> None:
    """List the sessions in DB, or show one: summary, pins, recent messages, tokens.

    "over" compares the session's tokens with --max-tokens (pass the one add used).
    """
    from aifkit.budget.memory import MemoryStore, RollingMemory

    _existing(db)
    if session is None:
        store = MemoryStore(db)
        sessions = store.sessions()
        store.close()
        write_json(
            [
                {
                    "session": s.id,
                    "created_at": s.created_at,
                    "messages": s.messages,
                    "folded": s.folded,
                    "pins": s.pins,
                }
                for s in sessions
            ]
        )
        return
    known = _sessions(db)
    if session not in known:
        raise UsageError(
            f"{db}: no session {session!r}", hint=f"sessions: {', '.join(known) or '(none)'}"
        )
    with RollingMemory(db, session=session, model=model, max_tokens=max_tokens) as mem:
        write_json(
            {
                "session": session,
                "tokens": mem.tokens,
                "folded": mem.folded,
                **_backoff(mem),
                "summary": mem.summary,
                "pins": [{"id": p.id, "text": p.text} for p in mem.pinned],
                "recent": [m.model_dump(mode="json", by_alias=True) for m in mem.recent],
            }
        )


def export_command(
    db: DbArg,
    format: Annotated[str, typer.Option("--format", "-f", help="The format to write.")],
    session: SessionOpt = "default",
    model: ModelOpt = "gpt-4o",
) -> None:
    """Print the memory (pins, summary, recent turns) as a request body in FORMAT."""
    from aifkit.aif import Settings, convert
    from aifkit.budget.memory import RollingMemory

    _existing(db)
    with RollingMemory(db, session=session, model=model) as mem:
        doc = mem.document().model_copy(update={"settings": Settings(model=model)})
    body = doc.model_dump(mode="json", by_alias=True)
    write_json(convert(body, source="aif", target=format).body)


def _backoff(mem: RollingMemory) -> dict[str, Any]:
    # Over the mark, and backing off after a rejected fold until the memory passes retry_at.
    return {"over": mem.over, "retry_at": mem.retry_at, "last_rejection": mem.last_rejection}


def _sessions(db: str) -> list[str]:
    from aifkit.budget.memory import MemoryStore

    store = MemoryStore(db)
    try:
        return [s.id for s in store.sessions()]
    finally:
        store.close()


memory_app.command("add")(guard(add_command))
memory_app.command("pin")(guard(pin_command))
memory_app.command("show")(guard(show_command))
memory_app.command("export")(guard(export_command))
