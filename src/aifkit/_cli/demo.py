"""``aif demo``: the main job on built-in defaults.

Converts every bundled example conversation to every other format, checks that
each format's own round trip is exact, and prints what each conversion lost.
"""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table

__all__ = ["demo_command"]

EXIT_VERIFY_FAILED = 4


def demo_command() -> int:
    """Convert the bundled example conversations between formats and show the losses."""
    from aifkit.aif import convert, formats
    from aifkit.examples import example, examples

    console = Console()
    failures = 0
    for source, name in examples():
        body = example(source, name)
        back, _ = convert(body, source=source, target=source)
        exact = back == body
        failures += not exact
        console.rule(
            f"[bold]{name}[/] ({source}): same-format round trip {'exact' if exact else 'NOT EXACT'}"
        )
        table = Table("target", "dropped", "transformed", "synthesized", "what and where")
        for target in formats():
            if target == source:
                continue
            _, report = convert(body, source=source, target=target)
            counts = Counter(e.action for e in report)
            details = "\n".join(f"{e.pointer or '/'} {e.action} [{e.rule}]" for e in report)
            table.add_row(
                target,
                str(counts["dropped"]),
                str(counts["transformed"]),
                str(counts["synthesized"]),
                details or "lossless",
            )
        console.print(table)
    return EXIT_VERIFY_FAILED if failures else 0
