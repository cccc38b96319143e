"""Reading inputs and writing outputs for commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from aifkit.aif._codec import parse_json
from aifkit.errors import UsageError

__all__ = ["read_json", "write_json"]


def read_json(source: str) -> Any:
    """Read JSON from a path, or from stdin when ``source`` is ``-``."""
    if source == "-":
        return parse_json(sys.stdin.buffer.read())
    path = Path(source)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{source}: no such file", hint="pass a path, or - for stdin") from None
    except OSError as exc:
        raise UsageError(f"{source}: cannot read ({exc.strerror})") from None
    return parse_json(data)


def dumps(value: Any) -> str:
    """Serialize ``value`` as the CLI prints JSON: indented, UTF-8 as is."""
    return json.dumps(value, indent=2, ensure_ascii=False)


def write_json(value: Any, path: str | None = None) -> None:
    """Write ``value`` as JSON to ``path``, or to stdout when ``path`` is None or ``-``."""
    text = dumps(value) + "\n"
    if path is None or path == "-":
        sys.stdout.write(text)
        return
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot write ({exc.strerror})") from None
