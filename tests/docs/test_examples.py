"""Run the Python examples in ``docs/`` as tests.

Every fenced block whose language is ``python`` (or ``py``) in ``docs/**/*.md`` is
an example. The blocks of one page run in order, in one module namespace, so a
block may use names defined in the blocks above it; each page starts fresh and runs
in a temporary working directory. A failure names the page and the line in it.

A block whose info string carries the class ``.no-run`` is shown but not run::

    ```python {.no-run}
    ...
    ```

The marker is written as an attribute list because that is the form
``pymdownx.superfences`` renders as a normal code block; a bare word after the
language (```` ```python no-run ````) would break the fence on the site, so the
collector rejects it (see `test_python_fences_are_well_formed`).
"""

from __future__ import annotations

import re
import sys
import traceback
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"

PYTHON = frozenset({"python", "py"})
NO_RUN = "no-run"

_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
# What superfences accepts after the language: `{attribute list}` or key="value" pairs.
_OPTIONS = re.compile(r'^(?:\s*\{[^}]*\}|\s*[\w-]+="[^"]*")*\s*$')


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int  # 1-based line of the opening fence
    language: str
    classes: frozenset[str]
    source: str
    well_formed: bool

    @property
    def is_python(self) -> bool:
        return self.language in PYTHON

    @property
    def runs(self) -> bool:
        return self.is_python and self.well_formed and NO_RUN not in self.classes

    @property
    def where(self) -> str:
        return f"{_rel(self.page)}:{self.line}"


def parse_info(info: str) -> tuple[str, frozenset[str], bool]:
    """Split a fence's info string into (language, classes, well formed).

    Examples:
        >>> parse_info("python")
        ('python', frozenset(), True)
        >>> parse_info("python {.no-run}")
        ('python', frozenset({'no-run'}), True)
        >>> parse_info("{.python .no-run}")
        ('python', frozenset({'no-run'}), True)
        >>> parse_info('python title="x.py"')
        ('python', frozenset(), True)
        >>> parse_info("python no-run")[2]
        False
    """
    info = info.strip()
    if info.startswith("{"):
        rest = info
        tokens = info.strip("{} ").split()
        dotted = [t[1:] for t in tokens if t.startswith(".")]
        language = dotted[0] if dotted else ""
        classes = frozenset(dotted[1:])
    else:
        language, _, rest = info.partition(" ")
        classes = frozenset(
            t[1:]
            for attrs in re.findall(r"\{([^}]*)\}", rest)
            for t in attrs.split()
            if t.startswith(".")
        )
    return language.lower(), classes, bool(_OPTIONS.match(rest))


def parse_blocks(page: Path, text: str) -> list[Block]:
    """Return the fenced blocks of a page, outermost only, with their indent removed."""
    lines = text.splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if m is None:
            i += 1
            continue
        indent, fence = m["indent"], m["fence"]
        close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not close.match(lines[j]):
            line = lines[j]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            j += 1
        if j == len(lines):
            raise ValueError(f"{_rel(page)}:{i + 1}: fence opened here is never closed")
        language, classes, ok = parse_info(m["info"])
        blocks.append(Block(page, i + 1, language, classes, "\n".join(body) + "\n", ok))
        i = j + 1
    return blocks


def _rel(page: Path) -> str:
    try:
        return page.relative_to(DOCS.parent).as_posix()
    except ValueError:
        return page.as_posix()


def _pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def _pages_with_examples() -> list[Path]:
    return [p for p in _pages() if any(b.runs for b in parse_blocks(p, p.read_text("utf-8")))]


def run_page(page: Path) -> None:
    """Run the examples of one page in order, failing with the page and line on error."""
    name = "docs_example_" + re.sub(r"\W", "_", _rel(page))
    module = types.ModuleType(name)
    module.__file__ = str(page)
    sys.modules[name] = module  # so classes defined in an example can be pickled, resolved
    try:
        for block in parse_blocks(page, page.read_text("utf-8")):
            if block.runs:
                _run_block(block, module.__dict__)
    finally:
        del sys.modules[name]


def _run_block(block: Block, namespace: dict[str, object]) -> None:
    # Pad with blank lines so tracebacks and syntax errors carry the page's line numbers.
    code = "\n" * block.line + block.source
    try:
        exec(compile(code, str(block.page), "exec"), namespace)
    except Exception as exc:
        failure = _describe(block, exc)
    else:
        return
    pytest.fail(failure, pytrace=False)


def _describe(block: Block, exc: Exception) -> str:
    tb = traceback.TracebackException.from_exception(exc)
    # Show the example's frames and the library's, not this runner's exec().
    tb.stack = traceback.StackSummary.from_list(
        [f for f in tb.stack if not f.filename.endswith("test_examples.py")]
    )
    in_page = [f.lineno for f in tb.stack if f.filename == str(block.page)]
    line = exc.lineno if isinstance(exc, SyntaxError) else (in_page[-1] if in_page else None)
    at = f"{_rel(block.page)}:{line}" if line else block.where
    return (
        f"{at}: example (block at {block.where}) raised {type(exc).__name__}: {exc}\n\n"
        + "".join(tb.format())
    )


@pytest.mark.parametrize("page", _pages_with_examples(), ids=_rel)
def test_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    run_page(page)


def test_python_fences_are_well_formed() -> None:
    bad = [
        f"{b.where}: unrecognized info string for a python block; "
        f"write ```python or ```python {{.{NO_RUN}}}"
        for p in _pages()
        for b in parse_blocks(p, p.read_text("utf-8"))
        if b.is_python and not b.well_formed
    ]
    assert not bad, "\n".join(bad)


def test_examples_are_collected() -> None:
    # Guards the collector itself: the AIF page has runnable examples, and the schema
    # guide a sketch (an upgrade step, which must not be registered while testing).
    blocks = parse_blocks(DOCS / "aif" / "index.md", (DOCS / "aif" / "index.md").read_text("utf-8"))
    assert sum(b.runs for b in blocks) >= 5
    assert DOCS / "aif" / "index.md" in _pages_with_examples()
    guide = DOCS / "contributing" / "schema.md"
    assert any(b.is_python and not b.runs for b in parse_blocks(guide, guide.read_text("utf-8")))


def test_parser_handles_indent_nesting_and_markers(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    text = "\n".join(
        [
            "```python",  # 1
            "a = 1",
            "```",
            "!!! note",  # 4
            "    ```python",  # 5
            "    b = a + 1",
            "    ```",
            "````markdown",  # 8
            "```python",
            "not_run()",
            "```",
            "````",
            "```python {.no-run}",  # 13
            "sketch()",
            "```",
            "```console",  # 16
            "$ aif formats",
            "```",
        ]
    )
    blocks = parse_blocks(page, text)
    assert [(b.line, b.language, b.runs) for b in blocks] == [
        (1, "python", True),
        (5, "python", True),
        (8, "markdown", False),
        (13, "python", False),
        (16, "console", False),
    ]
    assert blocks[1].source == "b = a + 1\n"
    page.write_text(text, "utf-8")
    namespace: dict[str, object] = {}
    for b in blocks[:2]:
        _run_block(b, namespace)
    assert namespace["b"] == 2


def test_failures_name_the_page_and_line(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("Intro.\n\n```python\nx = 1\nassert x == 2\n```\n", "utf-8")
    with pytest.raises(
        pytest.fail.Exception,
        match=r"page\.md:5: example \(block at .*page\.md:3\) raised AssertionError",
    ):
        run_page(page)


def test_unclosed_fence_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"page\.md:1: fence opened here is never closed"):
        parse_blocks(tmp_path / "page.md", "```python\nx = 1\n")
