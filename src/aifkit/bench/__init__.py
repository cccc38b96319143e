"""The benchmark runner: suites of cells, readers, metrics and run directories.

A suite crosses tasks (needle in a haystack, variable tracking, conversation
recall, retrieval, conversion fidelity, your own JSONL) with strategies (packing
policies, compressors, a truncation baseline), budgets, seeds and readers; every
cell has a deterministic id. `run_suite` runs the cells on local processes or a
Dask cluster and appends each finished cell to ``cells.jsonl`` in the run
directory, so a killed run resumes where it stopped.

Needs the ``bench`` extra for YAML suites, the model reader and Dask:
``pip install "aifkit[bench]"``.

Examples:
    >>> from aifkit.bench import list_suites, load_suite
    >>> "quick" in list_suites(), load_suite("quick").readers
    (True, ('evidence', 'extractive'))
"""

from aifkit.bench._builtin import list_suites
from aifkit.bench._compare import (
    Comparison,
    GroupComparison,
    McNemar,
    MetricDelta,
    ParetoPoint,
    TaskFront,
    compare,
)
from aifkit.bench._kinds import STRATEGY_KINDS, Fitted, StrategyKind
from aifkit.bench._metrics import METRICS, MetricSpec, MetricValue
from aifkit.bench._model_reader import Endpoint, ModelReader
from aifkit.bench._readers import READERS, Answer, EvidenceReader, ExtractiveReader, Reader
from aifkit.bench._regress import FrontLoss, MetricChange, RegressionReport, TimingScale, regress
from aifkit.bench._report import write_report
from aifkit.bench._runner import RunSummary, list_runs, run_directory, run_suite
from aifkit.bench._store import REFUSALS, Cell, Run, load_run
from aifkit.bench._strategies import STRATEGIES, Strategy
from aifkit.bench._suite import Job, Suite, TaskSpec, load_suite
from aifkit.bench._summary import StrategySummary, summarize
from aifkit.bench._tasks import GENERATORS, TaskInstance, generate

__all__ = [
    "GENERATORS",
    "METRICS",
    "READERS",
    "REFUSALS",
    "STRATEGIES",
    "STRATEGY_KINDS",
    "Answer",
    "Cell",
    "Comparison",
    "Endpoint",
    "EvidenceReader",
    "ExtractiveReader",
    "Fitted",
    "FrontLoss",
    "GroupComparison",
    "Job",
    "McNemar",
    "MetricChange",
    "MetricDelta",
    "MetricSpec",
    "MetricValue",
    "ModelReader",
    "ParetoPoint",
    "Reader",
    "RegressionReport",
    "Run",
    "RunSummary",
    "Strategy",
    "StrategyKind",
    "StrategySummary",
    "Suite",
    "TaskFront",
    "TaskInstance",
    "TaskSpec",
    "TimingScale",
    "compare",
    "generate",
    "list_runs",
    "list_suites",
    "load_run",
    "load_suite",
    "regress",
    "run_directory",
    "run_suite",
    "summarize",
    "write_report",
]
