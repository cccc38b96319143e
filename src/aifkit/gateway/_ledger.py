"""The gateway's ledger: one SQLite row per request, in WAL mode so readers never block it.

Several gateway processes may share one file (SQLite serializes their writes);
``aif usage --gateway-ledger PATH`` and ``GET /stats`` read it. The schema
migrates in numbered, append-only steps recorded in ``migrations``.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from os import PathLike
from typing import TYPE_CHECKING, Any, cast

from aifkit._sqlite import connect
from aifkit.errors import StoreError

if TYPE_CHECKING:
    from aifkit.budget import Ledger, UsageRecord

__all__ = ["GatewayLedger", "RequestRecord"]


@dataclass(slots=True)
class RequestRecord:
    """What one request through the gateway did.

    Attributes:
        id: The request id (also sent as ``x-aif-request-id``).
        started: Unix time the request arrived.
        route: The index of the route that served it (-1: none).
        model: The model the client asked for.
        upstream_model: The model sent upstream.
        client_format: The format the client spoke.
        upstream_format: The format the upstream spoke.
        stream: Whether the reply was streamed.
        status: The HTTP status sent to the client.
        input_tokens: Prompt tokens the upstream reported (cached included).
        output_tokens: Tokens generated, reasoning included.
        cache_read_tokens: Prompt tokens read from the provider's cache.
        cache_write_tokens: Prompt tokens written to it.
        reasoning_tokens: Output tokens spent reasoning.
        tokens_before: Prompt tokens of the request as the client sent it (counted).
        tokens_saved: Prompt tokens packing removed.
        cost: USD, from genai-prices, when the model has a price.
        cost_saved: USD the tokens saved by packing would have cost as input.
        latency_ms: Arrival to last byte sent.
        ttfb_ms: Arrival to first byte sent.
        error: What failed (aifkit's own failure when failing open, or the upstream's).
        reports: The pack report and loss reports, as JSON-ready data.
        upstream_calls: Calls made upstream: 1, plus one per round of ``aif_expand``
            calls the gateway answered itself (``expand`` routes); 0 when none was made.
    """

    id: str
    started: float
    route: int = -1
    model: str = ""
    upstream_model: str = ""
    client_format: str = ""
    upstream_format: str = ""
    stream: bool = False
    status: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    tokens_before: int | None = None
    tokens_saved: int = 0
    cost: float | None = None
    cost_saved: float | None = None
    latency_ms: float = 0.0
    ttfb_ms: float | None = None
    error: str | None = None
    reports: dict[str, Any] = field(default_factory=dict[str, Any])
    upstream_calls: int = 0

    def usage(self) -> UsageRecord:
        """This request as a usage record of `aifkit.budget.Ledger`.

        The upstream counts cached prompt tokens inside ``input_tokens``; a usage
        record keeps them apart. When the request was packed (and its report kept),
        the record carries the kept tokens and dropped items per category.

        Examples:
            >>> rec = RequestRecord(id="r", started=0.0, model="fast", upstream_model="gpt-4o",
            ...                     input_tokens=1200, cache_read_tokens=1000, output_tokens=9)
            >>> u = rec.usage()
            >>> u.model, u.input_tokens, u.cache_read_tokens, u.prompt_tokens
            ('gpt-4o', 200, 1000, 1200)
        """
        from aifkit.budget import UsageRecord

        cached = self.cache_read_tokens + self.cache_write_tokens
        pack = self.reports.get("pack")  # a PackReport.to_json(), when kept
        found = cast("dict[str, Any]", pack).get("categories") if isinstance(pack, dict) else None
        cats = cast("dict[str, dict[str, int]]", found or {})
        return UsageRecord(
            model=self.upstream_model or self.model,
            input_tokens=max(0, self.input_tokens - cached),
            cache_read_tokens=self.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens,
            output_tokens=self.output_tokens,
            reasoning_tokens=self.reasoning_tokens,
            categories={c: v["kept_tokens"] for c, v in cats.items() if v.get("kept_tokens")},
            dropped={c: v["dropped"] for c, v in cats.items() if v.get("dropped")},
        )


_COLUMNS = [f.name for f in dataclasses.fields(RequestRecord)]

_MIGRATIONS = (
    """CREATE TABLE requests (
        id TEXT PRIMARY KEY, started REAL NOT NULL, route INTEGER, model TEXT,
        upstream_model TEXT, client_format TEXT, upstream_format TEXT, stream INTEGER,
        status INTEGER, input_tokens INTEGER, output_tokens INTEGER,
        cache_read_tokens INTEGER, cache_write_tokens INTEGER, reasoning_tokens INTEGER,
        tokens_before INTEGER, tokens_saved INTEGER, cost REAL, latency_ms REAL,
        ttfb_ms REAL, error TEXT, reports TEXT)""",
    "CREATE INDEX requests_started ON requests (started)",
    "ALTER TABLE requests ADD COLUMN cost_saved REAL",
    "ALTER TABLE requests ADD COLUMN upstream_calls INTEGER",
)


class GatewayLedger:
    """The SQLite ledger of gateway requests.

    Args:
        path: The database file; ``":memory:"`` keeps it in memory.

    Raises:
        StoreError: the file cannot be opened or is not a gateway ledger.

    Examples:
        >>> ledger = GatewayLedger(":memory:")
        >>> ledger.record(RequestRecord(id="r1", started=0.0, model="gpt-4o", status=200,
        ...                             input_tokens=10, output_tokens=2, tokens_saved=5))
        >>> ledger.stats()["totals"]["tokens_saved"], ledger.get("r1").output_tokens
        (5, 2)
    """

    def __init__(self, path: str | PathLike[str] = ":memory:") -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        self._db = connect(
            self.path, "the gateway ledger", isolation_level=None, check_same_thread=False
        )
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._migrate()
        except sqlite3.Error as exc:
            raise StoreError(self.path, f"cannot open the gateway ledger: {exc}") from None

    def _migrate(self) -> None:
        db = self._db
        db.execute("CREATE TABLE IF NOT EXISTS migrations (step INTEGER PRIMARY KEY)")
        done = {row[0] for row in db.execute("SELECT step FROM migrations")}
        for step, sql in enumerate(_MIGRATIONS):
            if step not in done:
                db.execute("BEGIN IMMEDIATE")
                db.execute(sql)
                db.execute("INSERT INTO migrations (step) VALUES (?)", (step,))
                db.execute("COMMIT")

    def record(self, rec: RequestRecord) -> None:
        """Write one request's record (replacing a record with the same id)."""
        values = [getattr(rec, c) for c in _COLUMNS]
        values[_COLUMNS.index("reports")] = json.dumps(rec.reports) if rec.reports else None
        marks = ", ".join("?" * len(_COLUMNS))
        with self._lock:
            self._db.execute(
                f"INSERT OR REPLACE INTO requests ({', '.join(_COLUMNS)}) VALUES ({marks})",
                values,
            )

    def get(self, request_id: str) -> RequestRecord | None:
        """Return the record of ``request_id``, or None."""
        with self._lock:
            cur = self._db.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM requests WHERE id = ?", (request_id,)
            )
            row = cur.fetchone()
        return None if row is None else _record(row)

    def __iter__(self) -> Iterator[RequestRecord]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM requests ORDER BY started"
            ).fetchall()
        return (_record(r) for r in rows)

    def usage(self) -> Ledger:
        """Return the answered requests (status 200) as a usage `aifkit.budget.Ledger`.

        ``GET /stats`` and ``aif usage --gateway-ledger`` both read the gateway's
        requests this way, so they price them and describe them alike.

        Examples:
            >>> ledger = GatewayLedger(":memory:")
            >>> for i, status in enumerate((200, 429, 200)):
            ...     ledger.record(RequestRecord(id=f"r{i}", started=i, model="gpt-4o",
            ...                   status=status, input_tokens=100 * (i + 1), output_tokens=5))
            >>> book = ledger.usage()
            >>> len(book), book.summary()["growth_per_turn"]
            (2, 200.0)
        """
        from aifkit.budget import Ledger

        return Ledger(r.usage() for r in self if r.status == 200)

    def summary(self) -> dict[str, Any]:
        """`stats`, and the usage `Ledger`'s summary of the answered requests (``usage``):
        cost through the model registry, cache hit rate, growth per turn, category
        shares and what packing dropped most. ``GET /stats?usage=true`` answers this
        (it prices every answered request, about 0.2 ms each; ``GET /stats`` is `stats`)."""
        return {**self.stats(), "usage": self.usage().summary()}

    def stats(self) -> dict[str, Any]:
        """Return totals and per-model sums: requests, errors, tokens, tokens saved, cost."""
        sums = (
            "COUNT(*), SUM(status >= 400), SUM(input_tokens), SUM(output_tokens), "
            "SUM(cache_read_tokens), SUM(cache_write_tokens), SUM(reasoning_tokens), "
            "SUM(tokens_saved), SUM(cost), SUM(cost_saved), AVG(latency_ms)"
        )
        with self._lock:
            total = self._db.execute(f"SELECT {sums} FROM requests").fetchone()
            per = self._db.execute(
                f"SELECT model, {sums} FROM requests GROUP BY model ORDER BY model"
            ).fetchall()
        return {"totals": _sums(total), "models": {row[0]: _sums(row[1:]) for row in per}}

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()


def _sums(row: tuple[Any, ...]) -> dict[str, Any]:
    keys = (
        "requests",
        "errors",
        "input_tokens",
        "output_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "reasoning_tokens",
        "tokens_saved",
        "cost_usd",
        "cost_saved_usd",
        "mean_latency_ms",
    )
    out: dict[str, Any] = {k: (v or 0) for k, v in zip(keys, row, strict=True)}
    out["mean_latency_ms"] = round(float(out["mean_latency_ms"]), 3)
    out["cost_usd"] = round(float(out["cost_usd"]), 8)
    out["cost_saved_usd"] = round(float(out["cost_saved_usd"]), 8)
    return out


def _record(row: tuple[Any, ...]) -> RequestRecord:
    data: Mapping[str, Any] = dict(zip(_COLUMNS, row, strict=True))
    values = dict(data)
    values["stream"] = bool(values["stream"])
    values["reports"] = json.loads(values["reports"]) if values["reports"] else {}
    values["upstream_calls"] = values["upstream_calls"] or 0  # NULL in rows written before it
    return RequestRecord(**values)
