"""``aif handoff``: pack, verify and unpack hand-off envelopes; make keys."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from aifkit._cli._io import read_json, read_json_object, write_json
from aifkit._cli._main import guard

if TYPE_CHECKING:
    from aifkit.handoff import HandoffKey

__all__ = ["handoff_app"]

handoff_app = typer.Typer(
    name="handoff",
    help="Hand a conversation to another agent or model: pack, verify, unpack.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

KeyFile = Annotated[
    Path | None,
    typer.Option(
        "--key",
        help="Key to verify with: an Ed25519 public (or private) PEM, or an HMAC secret "
        "file from `keygen --hmac`.",
    ),
]
SecretFile = Annotated[
    Path | None,
    typer.Option(
        "--hmac-secret",
        help="A shared HMAC-SHA256 secret file, typed by this option: also takes a raw "
        "secret (e.g. one written by an older keygen); never a key.",
    ),
]
Receiver = Annotated[
    str | None,
    typer.Option("--receiver", help="Fail unless the envelope is addressed to this agent."),
]


def _load_key(key: Path | None, secret: Path | None, option: str) -> HandoffKey | None:
    """Read the key the options name: typed files through OPTION, raw secrets only
    through --hmac-secret (key material is never guessed from its bytes)."""
    from aifkit.errors import UsageError
    from aifkit.handoff import load_key

    if key is not None and secret is not None:
        raise UsageError(f"pass {option} or --hmac-secret, not both")
    if secret is not None:
        return load_key(secret, "hmac-sha256")
    return load_key(key) if key is not None else None


@handoff_app.command("pack")
@guard
def pack_command(
    input: Annotated[str, typer.Argument(help="The conversation: a path, or - for stdin.")],
    format: Annotated[
        str, typer.Option("--format", "-f", help="Format of INPUT (see `aif formats`).")
    ] = "aif",
    to: Annotated[
        str | None,
        typer.Option("--to", help="The receiver's format: plan the hand-off and report losses."),
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="The receiver's model (for --budget).")
    ] = None,
    budget: Annotated[
        int | None,
        typer.Option("--budget", "-b", help="Most prompt tokens the receiver's request may take."),
    ] = None,
    sign_key: Annotated[
        Path | None,
        typer.Option(
            "--sign-key",
            help="Sign with this Ed25519 private PEM or HMAC secret file from `keygen --hmac`.",
        ),
    ] = None,
    hmac_secret: SecretFile = None,
    sender: Annotated[str | None, typer.Option(help="The sending agent's name.")] = None,
    receiver: Annotated[str | None, typer.Option(help="The receiving agent's name.")] = None,
    summary: Annotated[
        str | None, typer.Option(help="A summary for receivers that cannot take the history.")
    ] = None,
    state: Annotated[
        str | None, typer.Option(help="Application state: a JSON file to carry along.")
    ] = None,
    previous: Annotated[
        str | None,
        typer.Option(help="The envelope the conversation arrived in (joins the provenance)."),
    ] = None,
) -> None:
    """Pack a conversation into a hand-off envelope and print it as JSON.

    The envelope holds the conversation, a hash chain over its messages, the tool
    calls still open and, with --to, what the receiver's request will hold and what
    its format cannot carry (reported on stderr before anything is sent).
    """
    from aifkit.aif import decode
    from aifkit.handoff import Party, load_envelope, pack_handoff

    signing = _load_key(sign_key, hmac_secret, "--sign-key")  # before reading INPUT
    document, _ = decode(read_json(input), format)
    env = pack_handoff(
        document,
        sender=Party(agent=sender, model=document.settings.model),
        receiver=Party(agent=receiver),
        target=to,
        model=model,
        budget=budget,
        summary=summary,
        state=read_json_object(state, "--state") if state is not None else None,
        previous=load_envelope(read_json(previous)) if previous is not None else None,
        key=signing,
    )
    write_json(env.to_json())
    if env.plan is not None:
        dropped = sum(1 for e in env.plan.losses if e["action"] == "dropped")
        print(
            f"aif: {len(env.plan.moved)} message(s) move, {len(env.plan.summarized)} summarized, "
            f"{dropped} item(s) the {env.plan.target} request cannot carry (see plan.losses)",
            file=sys.stderr,
        )


@handoff_app.command("plan")
@guard
def plan_command(
    input: Annotated[str, typer.Argument(help="The conversation: a path, or - for stdin.")],
    to: Annotated[str, typer.Option("--to", help="The receiver's format.")],
    format: Annotated[
        str, typer.Option("--format", "-f", help="Format of INPUT (see `aif formats`).")
    ] = "aif",
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="The receiver's model (for --budget).")
    ] = None,
    budget: Annotated[
        int | None,
        typer.Option("--budget", "-b", help="Most prompt tokens the receiver's request may take."),
    ] = None,
) -> None:
    """Preflight a hand-off: print what moves, what is summarized and the loss report."""
    from aifkit.aif import decode
    from aifkit.handoff import plan_handoff

    document, _ = decode(read_json(input), format)
    write_json(plan_handoff(document, to, model=model, budget=budget).to_json())


@handoff_app.command("verify")
@guard
def verify_command(
    envelope: Annotated[str, typer.Argument(help="The envelope: a path, or - for stdin.")],
    key: KeyFile = None,
    hmac_secret: SecretFile = None,
    receiver: Receiver = None,
) -> int:
    """Verify an envelope: exit 0 when intact, 4 naming every check that failed."""
    from aifkit.errors import VerificationError
    from aifkit.handoff import verify_handoff

    signing = _load_key(key, hmac_secret, "--key")
    report = verify_handoff(read_json(envelope), signing, receiver=receiver)
    write_json(report.to_json())
    for line in report.failures:
        if line.startswith("/signature: missing key"):  # the receiver's to fix: say how
            line += "; pass the sender's key: --key FILE or --hmac-secret FILE"
        print(f"aif: verification failed: {line}", file=sys.stderr)
    for line in report.warnings:
        print(f"aif: warning: {line}", file=sys.stderr)
    return 0 if report.ok else VerificationError.exit_code


@handoff_app.command("unpack")
@guard
def unpack_command(
    envelope: Annotated[str, typer.Argument(help="The envelope: a path, or - for stdin.")],
    to: Annotated[str, typer.Option("--to", help="The format of the request body to print.")],
    key: KeyFile = None,
    hmac_secret: SecretFile = None,
    receiver: Receiver = None,
    whole: Annotated[
        bool, typer.Option("--whole", help="Send every message, ignoring the plan's summary.")
    ] = False,
    loss_report: Annotated[
        str | None, typer.Option("--loss-report", help="Write the loss report (JSON) here.")
    ] = None,
) -> None:
    """Verify an envelope (exit 4 if it fails) and print the receiver's request body."""
    from aifkit.handoff import unpack_handoff

    signing = _load_key(key, hmac_secret, "--key")
    body, report = unpack_handoff(
        read_json(envelope), to, key=signing, whole=whole, receiver=receiver
    )
    write_json(body)
    if loss_report is not None:
        write_json(report.to_json(), loss_report)
    if report.dropped:
        print(
            f"aif: {len(report.dropped)} item(s) dropped; see --loss-report for what and where",
            file=sys.stderr,
        )


@handoff_app.command("keygen")
@guard
def keygen_command(
    output: Annotated[Path, typer.Argument(help="Write the signing key here (and OUTPUT.pub).")],
    hmac: Annotated[
        bool, typer.Option("--hmac", help="A shared HMAC-SHA256 secret instead of Ed25519.")
    ] = False,
) -> None:
    """Make a signing key: an Ed25519 pair (OUTPUT, OUTPUT.pub) or an HMAC secret (OUTPUT).

    Secrets and private keys are created mode 600; existing files are never overwritten.
    """
    from aifkit.errors import UsageError
    from aifkit.handoff import generate_key

    private, public = generate_key("hmac-sha256" if hmac else "ed25519")
    targets = [(output, private, 0o600)] + (
        [] if hmac else [(output.with_name(output.name + ".pub"), public, 0o644)]
    )
    for path, _, _ in targets:  # refuse before writing anything
        if os.path.lexists(path):
            raise UsageError(
                f"{path} exists", hint="choose another path; keys are never overwritten"
            )
    written: list[Path] = []
    try:
        for path, data, mode in targets:
            _create(path, data, mode)
            written.append(path)
    except UsageError:
        for path in written:  # no private key left without its public half
            path.unlink(missing_ok=True)
        raise
    for path in written:
        print(path)


def _create(path: Path, data: bytes, mode: int) -> None:
    """Write a new file with ``mode`` from the start: it must not exist (nor be a link)."""
    from aifkit.errors import UsageError

    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, mode)
    except FileExistsError:
        raise UsageError(
            f"{path} exists", hint="choose another path; keys are never overwritten"
        ) from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot write ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise UsageError(f"{path}: cannot write ({exc.strerror})") from None
