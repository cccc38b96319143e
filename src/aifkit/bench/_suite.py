"""Suites: tasks x strategies x budgets x seeds x readers, and the cells they expand into.

A suite comes from YAML, a mapping or Python (`Suite`). Each task names a
generator ``kind``, fixed ``params`` and a ``grid`` of parameters to cross
(needle depth x context length, say). A budget is a fraction of the input
(``0.25``) or a token count (``4000``). Every cell's id is the first 16 hex
digits of the sha256 of the canonical JSON of its task, parameters, strategy,
budget, seed and reader, so a cell keeps its id across runs and machines.

Cells are grouped into jobs: one task instance, strategy and budget, read by
each reader, so a context is generated and packed once for all its readers.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from aifkit._json import canonical_json, type_name
from aifkit.bench._strategies import Strategy, parse_strategy
from aifkit.errors import InvalidInputError, MissingDependencyError, UnknownNameError

__all__ = ["Job", "Suite", "TaskSpec", "budget_tokens", "cell_id", "load_suite", "parse_budget"]

_FIXED_KINDS = frozenset({"conversion"})  # measured once: strategy, budget and reader do not apply


def cell_id(
    task: str, params: Mapping[str, Any], strategy: str, budget: str, seed: int, reader: str
) -> str:
    """The deterministic id of a cell.

    Examples:
        >>> cell_id("niah", {"depth": 0.5}, "pack", "0.25", 0, "evidence")
        '5900e2f2d723c9ff'
    """
    key = {
        "task": task,
        "params": dict(params),
        "strategy": strategy,
        "budget": budget,
        "seed": seed,
        "reader": reader,
    }
    return hashlib.sha256(canonical_json(_sorted(key)).encode()).hexdigest()[:16]


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        data = cast("dict[str, Any]", value)
        return {k: _sorted(data[k]) for k in sorted(data)}
    if isinstance(value, list | tuple):
        return [_sorted(v) for v in cast("Sequence[Any]", value)]
    return value


def parse_budget(value: object, pointer: str = "") -> str:
    """Normalize a budget: a fraction in (0, 1] or a positive token count, as its spec string.

    Examples:
        >>> parse_budget(0.25), parse_budget("4000"), parse_budget(1.0)
        ('0.25', '4000', '1.0')
    """
    if isinstance(value, str):
        try:
            value = float(value) if "." in value else int(value)
        except ValueError:
            value = None
    if isinstance(value, float) and 0 < value <= 1:
        return repr(value)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    raise InvalidInputError(
        pointer,
        f"not a budget: {value!r}",
        hint="give a fraction of the input in (0, 1] such as 0.25, or a token count such as 4000",
    )


def budget_tokens(spec: str, tokens_before: int) -> int:
    """The token budget a spec gives for an input of ``tokens_before`` tokens.

    Examples:
        >>> budget_tokens("0.25", 1000), budget_tokens("300", 1000)
        (250, 300)
    """
    if "." in spec:
        return max(1, round(float(spec) * tokens_before))
    return int(spec)


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """A task of a suite: a generator kind, fixed params and a grid of params to cross.

    Attributes:
        name: The task name cells carry (default: the kind).
        kind: A registered generator (``niah``, ``variable_tracking``, ...).
        params: Parameters every instance gets.
        grid: Parameters to cross, each with its values.
    """

    name: str
    kind: str
    params: Mapping[str, Any] = field(default_factory=dict[str, Any])
    grid: Mapping[str, Sequence[Any]] = field(default_factory=dict[str, Sequence[Any]])

    def instances(self) -> list[dict[str, Any]]:
        """Every parameter combination, in grid order."""
        if self.kind == "conversion":
            return _conversion_params(self.params)
        if self.kind == "jsonl":
            return _jsonl_params(self.params)
        keys = list(self.grid)
        combos = itertools.product(*(self.grid[k] for k in keys))
        return [{**self.params, **dict(zip(keys, combo, strict=True))} for combo in combos]

    def to_json(self) -> dict[str, Any]:
        """Return the task as suite data (for conversion: the formats left out, and why)."""
        data: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "params": dict(self.params),
            "grid": {k: list(v) for k, v in self.grid.items()},
        }
        if self.kind == "conversion":
            from aifkit.bench._conversion import skipped_formats

            data["skipped_formats"] = skipped_formats()
        return data


def _conversion_params(params: Mapping[str, Any]) -> list[dict[str, Any]]:
    from aifkit.bench._conversion import convertible_formats

    wanted = params.get("formats", "all")
    names = convertible_formats()
    if wanted != "all":
        names = tuple(n for n in names if n in cast("Sequence[str]", wanted))
    modes = params.get("modes", ["cross", "round_trip"])
    return [
        {"source": s, "target": t, "mode": m}
        for s in names
        for t in names
        if s != t
        for m in cast("Sequence[str]", modes)
    ]


def _jsonl_params(params: Mapping[str, Any]) -> list[dict[str, Any]]:
    from aifkit.bench._tasks import jsonl_lines

    path = Path(str(params.get("path")))
    return [{"path": str(path), "line": i} for i in range(1, len(jsonl_lines(path)) + 1)]


@dataclass(frozen=True, slots=True)
class Job:
    """One unit of work: a task instance, a strategy and a budget, read by one or more readers.

    Attributes:
        task: The task name.
        kind: The generator kind.
        params: The instance's parameters.
        seed: The seed.
        strategy: The strategy.
        budget: The budget spec.
        readers: ``(reader, cell_id)`` pairs to produce.
        model: The model whose tokenizer sizes and counts.
        endpoint: The model reader's endpoint settings.
    """

    task: str
    kind: str
    params: Mapping[str, Any]
    seed: int
    strategy: Strategy
    budget: str
    readers: tuple[tuple[str, str], ...]
    model: str
    endpoint: Mapping[str, Any] = field(default_factory=dict[str, Any])

    @property
    def uses_model(self) -> bool:
        """Whether a reader calls a model (such jobs run on threads, not processes)."""
        return any(r.startswith("model") for r, _ in self.readers)


@dataclass(frozen=True, slots=True)
class Suite:
    """A benchmark suite.

    Examples:
        >>> suite = Suite("tiny", tasks=(TaskSpec("niah", "niah", grid={"depth": [0.1, 0.9]}),),
        ...     strategies=("truncate-front", "pack"), budgets=(0.5,), seeds=(0, 1),
        ...     readers=("evidence", "extractive"))
        >>> len(suite.cell_ids()), len(suite.jobs())
        (16, 8)
    """

    name: str
    tasks: tuple[TaskSpec, ...]
    strategies: tuple[str | Strategy | Mapping[str, Any], ...] = ("pack",)
    budgets: tuple[float | int | str, ...] = (0.5,)
    seeds: tuple[int, ...] = (0,)
    readers: tuple[str, ...] = ("evidence",)
    model: str = "gpt-4o"
    description: str = ""
    endpoint: Mapping[str, Any] = field(default_factory=dict[str, Any])

    def resolved_strategies(self) -> list[Strategy]:
        """The strategies, resolved."""
        return [
            s if isinstance(s, Strategy) else parse_strategy(s, f"/strategies/{i}")
            for i, s in enumerate(self.strategies)
        ]

    def jobs(self) -> list[Job]:
        """Every job of the suite, in a stable order."""
        strategies = self.resolved_strategies()
        budgets = [parse_budget(b, f"/budgets/{i}") for i, b in enumerate(self.budgets)]
        for i, reader in enumerate(self.readers):
            if reader not in ("evidence", "extractive") and not reader.startswith("model"):
                raise InvalidInputError(
                    f"/readers/{i}",
                    f"unknown reader {reader!r}",
                    hint="use evidence, extractive, or model (the suite's endpoint)",
                )
        readers = [self._reader_name(r) for r in self.readers]
        jobs: list[Job] = []
        for task in self.tasks:
            fixed = task.kind in _FIXED_KINDS
            axes = itertools.product(
                task.instances(),
                self.seeds[:1] if fixed else self.seeds,
                [Strategy("none", "none", {})] if fixed else strategies,
                ["1.0"] if fixed else budgets,
            )
            for params, seed, strategy, budget in axes:
                names = ["evidence"] if fixed else readers
                pairs = tuple(
                    (r, cell_id(task.name, params, strategy.name, budget, seed, r)) for r in names
                )
                jobs.append(
                    Job(task.name, task.kind, params, seed, strategy, budget, pairs, self.model,
                        self.endpoint)
                )  # fmt: skip
        return jobs

    def _reader_name(self, reader: str) -> str:
        if reader == "model":
            from aifkit.bench._model_reader import Endpoint

            return f"model:{Endpoint.from_config(self.endpoint).model}"
        return reader

    def cell_ids(self) -> list[str]:
        """Every cell id, in job order."""
        return [cid for job in self.jobs() for _, cid in job.readers]

    def to_json(self) -> dict[str, Any]:
        """Return the suite as data (``suite_spec`` in ``run.json``; API keys are left out)."""
        return {
            "name": self.name,
            "description": self.description,
            "model": self.model,
            "tasks": [t.to_json() for t in self.tasks],
            "strategies": [s.to_json() for s in self.resolved_strategies()],
            "budgets": [parse_budget(b) for b in self.budgets],
            "seeds": list(self.seeds),
            "readers": list(self.readers),
            "endpoint": {k: v for k, v in self.endpoint.items() if k != "api_key"},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, name: str | None = None) -> Suite:
        """Build a suite from YAML-shaped data.

        Raises:
            InvalidInputError: a malformed entry; the pointer says where.
        """
        if not isinstance(data, Mapping):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidInputError("", f"expected a mapping, got {type_name(data)}", hint="a suite is a mapping with tasks: [...]")  # fmt: skip
        tasks_data = data.get("tasks")
        if not isinstance(tasks_data, list) or not tasks_data:
            raise InvalidInputError("/tasks", "expected a non-empty list of tasks")
        tasks = tuple(_task(t, f"/tasks/{i}") for i, t in enumerate(cast("list[Any]", tasks_data)))
        suite_name = data.get("name", name or "suite")
        seeds = _list(data, "seeds", [0])
        if not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
            raise InvalidInputError("/seeds", "expected a list of integers")
        endpoint = data.get("endpoint", {})
        if not isinstance(endpoint, dict):
            raise InvalidInputError("/endpoint", "expected a mapping")
        strategies = tuple(
            parse_strategy(s, f"/strategies/{i}")
            for i, s in enumerate(_list(data, "strategies", ["pack"]))
        )
        return cls(
            name=str(suite_name),
            tasks=tasks,
            strategies=strategies,
            budgets=tuple(_list(data, "budgets", [0.5])),
            seeds=tuple(cast("list[int]", seeds)),
            readers=tuple(str(r) for r in _list(data, "readers", ["evidence"])),
            model=str(data.get("model", "gpt-4o")),
            description=str(data.get("description", "")),
            endpoint=cast("dict[str, Any]", endpoint),
        )


def _list(data: Mapping[str, Any], key: str, default: list[Any]) -> list[Any]:
    value = data.get(key, default)
    if not isinstance(value, list) or not value:
        raise InvalidInputError(f"/{key}", "expected a non-empty list")
    return cast("list[Any]", value)


def _task(data: object, pointer: str) -> TaskSpec:
    from aifkit.bench._tasks import GENERATORS

    if not isinstance(data, dict):
        raise InvalidInputError(pointer, "expected a mapping with 'kind'")
    task = cast("dict[str, Any]", data)
    kind = task.get("kind")
    if not isinstance(kind, str):
        raise InvalidInputError(f"{pointer}/kind", "expected a string")
    if kind not in GENERATORS:
        raise UnknownNameError("task kind", kind, GENERATORS.names())
    params, grid = task.get("params", {}), task.get("grid", {})
    if not isinstance(params, dict):
        raise InvalidInputError(f"{pointer}/params", "expected a mapping")
    grid_values: list[Any] = (
        list(cast("dict[str, Any]", grid).values()) if isinstance(grid, dict) else []
    )
    if not isinstance(grid, dict) or not all(
        isinstance(v, list) and len(cast("list[Any]", v)) for v in grid_values
    ):
        raise InvalidInputError(f"{pointer}/grid", "expected a mapping of non-empty lists")
    if kind == "jsonl" and not isinstance(cast("dict[str, Any]", params).get("path"), str):
        raise InvalidInputError(f"{pointer}/params/path", "expected the path of a JSONL file")
    return TaskSpec(
        str(task.get("name", kind)),
        kind,
        cast("dict[str, Any]", params),
        cast("dict[str, list[Any]]", grid),
    )


def load_suite(source: str | Path | Mapping[str, Any]) -> Suite:
    """Load a suite: a built-in name (see `list_suites`), a YAML file, or a mapping.

    Raises:
        UnknownNameError: neither a file nor a built-in suite.
        InvalidInputError: the YAML is malformed.

    Examples:
        >>> load_suite("quick").name
        'quick'
    """
    from aifkit.bench._builtin import BUILTIN

    if isinstance(source, Mapping):
        return Suite.from_dict(source)
    path = Path(source)
    if isinstance(source, str) and source in BUILTIN:
        return BUILTIN[source]()
    if not path.is_file():
        raise UnknownNameError("suite", str(source), sorted(BUILTIN))
    try:
        import yaml
    except ImportError:
        raise MissingDependencyError("yaml", "bench") from None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            str(path),
            f"cannot read the suite: not UTF-8 text ({exc.reason} at byte {exc.start:,})",
            hint="save the suite file as UTF-8",
        ) from None
    except RecursionError:
        raise InvalidInputError(str(path), "cannot read the suite: nested too deeply") from None
    except (OSError, ValueError, yaml.YAMLError) as exc:  # ValueError: a number YAML cannot read
        raise InvalidInputError(str(path), f"cannot read the suite: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInputError(str(path), "expected a YAML mapping")
    relative = _resolve_paths(cast("dict[str, Any]", data), path.parent)
    return Suite.from_dict(relative, name=path.stem)


def _resolve_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """Make JSONL task paths relative to the suite file absolute."""
    tasks = data.get("tasks")
    if not isinstance(tasks, list):
        return data
    out: list[Any] = []
    for task in cast("list[Any]", tasks):
        if isinstance(task, dict) and isinstance(cast("dict[str, Any]", task).get("params"), dict):
            task = dict(cast("dict[str, Any]", task))
            params = dict(cast("dict[str, Any]", task["params"]))
            if isinstance(params.get("path"), str) and not Path(params["path"]).is_absolute():
                params["path"] = str(base / params["path"])
            task["params"] = params
        out.append(task)
    return {**data, "tasks": out}
