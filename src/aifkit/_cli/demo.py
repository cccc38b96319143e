"""``aif demo``: a tour of conversion on the bundled example conversations.

(``make demo`` runs the quick benchmark suite, ``aif bench run quick``, instead.)

Converts every bundled example conversation to every other format, checks that
each format's own round trip is exact, and prints what each conversion lost.
"""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table

__all__ = ["demo_command"]

EXIT_VERIFY_FAILED = 4

_STYLE = {"dropped": "red", "transformed": "yellow", "synthesized": "cyan"}


def demo_command() -> int:
    """Convert the bundled example conversations between formats and show the losses."""
    from aifkit.aif import convert, formats
    from aifkit.examples import example, examples

    console = Console(width=max(Console().width, 120))
    failures = 0
    for source, name in examples():
        body = example(source, name)
        back, _ = convert(body, source=source, target=source)
        exact = back == body
        failures += not exact
        verdict = "[green]exact[/]" if exact else "[red]NOT EXACT[/]"
        console.rule(f"[bold]{name}[/] ({source}, {len(body.get('messages', []))} messages)")
        console.print(f"{source} -> aif -> {source}: round trip {verdict}")
        for target in formats():
            if target == source:
                continue
            _, report = convert(body, source=source, target=target)
            counts = Counter(e.action for e in report)
            summary = ", ".join(f"{counts[a]} {a}" for a in _STYLE) if len(report) else "lossless"
            console.print(f"\n[bold]{source} -> {target}[/]: {summary}")
            if not len(report):
                continue
            table = Table(show_lines=False)
            for column in ("pointer (in the source)", "action", "rule"):
                table.add_column(column, no_wrap=True)  # names to grep for: never folded
            table.add_column("detail")
            for e in report:
                table.add_row(
                    e.pointer or "/", f"[{_STYLE[e.action]}]{e.action}[/]", e.rule, e.detail
                )
            console.print(table)
        console.print()
    return EXIT_VERIFY_FAILED if failures else 0
