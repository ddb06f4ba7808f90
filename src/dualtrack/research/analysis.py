"""Read-only SQL over registered datasets (DuckDB), with an optional English-to-SQL step.

Defence in depth for SQL written by a person or by a language model:

1. ``duckdb.extract_statements``: exactly one statement, of type SELECT (covers WITH).
2. ``json_serialize_sql`` parse tree: every table is a registered dataset or a CTE of the
   query; no table functions (``read_csv``, ``glob``, pragma functions...), no schema or
   catalog prefixes, no denied scalar functions (``getenv``...).
3. The query runs in a fresh in-memory connection holding only Arrow copies of the
   registered data, with file-system access disabled and the configuration locked, under
   a row cap and a wall-clock interrupt.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from dualtrack.ledger.ports import AuditSink
from dualtrack.research.domain import ChartSpec, Dataset, QueryResult
from dualtrack.research.errors import ChatEndpointError, UnsafeQuery
from dualtrack.research.ports import ChatModel

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_DENIED_FUNCTIONS = frozenset(
    {
        "getenv",
        "current_setting",
        "query",
        "query_table",
        "glob",
        "read_text",
        "read_blob",
        "read_csv",
        "read_csv_auto",
        "read_parquet",
        "read_json",
        "read_json_auto",
        "sniff_csv",
        "parquet_scan",
        "parquet_metadata",
        "parquet_schema",
        "duckdb_secrets",
        "load_extension",
        "read_ndjson",
        "delta_scan",
        "iceberg_scan",
        "http_get",
        "sql_auto_complete",
    }
)


def _walk(node: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def check_sql(sql: str, allowed_tables: set[str]) -> str:
    """Return the single statement if it is a safe read-only SELECT, else raise UnsafeQuery."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise UnsafeQuery("SQL does not parse", reason="parse-error") from exc
    if len(statements) != 1:
        raise UnsafeQuery("exactly one statement is allowed", reason="multiple-statements")
    stmt = statements[0]
    if stmt.type != duckdb.StatementType.SELECT:
        raise UnsafeQuery("only SELECT queries are allowed", reason="not-select")
    query = stmt.query.strip().rstrip(";").strip()
    con = duckdb.connect(config={"enable_external_access": False})
    try:
        row = con.execute("SELECT json_serialize_sql(?::VARCHAR)", [query]).fetchone()
    finally:
        con.close()
    tree = json.loads(row[0]) if row else {"error": True}
    if tree.get("error"):
        raise UnsafeQuery("SQL could not be analysed", reason="unanalysable")
    nodes = list(_walk(tree["statements"]))
    ctes = {
        str(entry["key"]).lower()
        for n in nodes
        if isinstance(n.get("cte_map"), dict)
        for entry in n["cte_map"].get("map", [])
    }
    for n in nodes:
        kind = n.get("type")
        if kind == "TABLE_FUNCTION":
            raise UnsafeQuery("table functions are not allowed", reason="table-function")
        if kind == "BASE_TABLE":
            name = str(n.get("table_name", "")).lower()
            if n.get("schema_name") or n.get("catalog_name"):
                raise UnsafeQuery("qualified table names are not allowed", reason="qualified-name")
            if name not in allowed_tables and name not in ctes:
                raise UnsafeQuery("table is not a registered dataset", reason="table-not-allowed")
        if n.get("class") == "FUNCTION":
            fname = str(n.get("function_name", "")).lower()
            if fname in _DENIED_FUNCTIONS or fname.startswith(("read_", "pragma_", "duckdb_")):
                raise UnsafeQuery("function is not allowed", reason="function-not-allowed")
    return query


def _plain(value: Any) -> Any:
    """JSON-friendly cell values: Decimal -> float, dates -> ISO strings."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    return value


def chart_for(table: pa.Table) -> ChartSpec:
    """Bar chart for category/number, line chart for time/number, else a table."""
    if table.num_columns < 2:
        return ChartSpec("table")
    x_col = next(
        (
            f
            for f in table.schema
            if not pa.types.is_integer(f.type)
            and not pa.types.is_floating(f.type)
            and not pa.types.is_decimal(f.type)
        ),
        table.schema[0],
    )
    y_col = next(
        (
            f
            for f in table.schema
            if f.name != x_col.name
            and (
                pa.types.is_integer(f.type)
                or pa.types.is_floating(f.type)
                or pa.types.is_decimal(f.type)
            )
        ),
        None,
    )
    if y_col is None:
        return ChartSpec("table")
    temporal = pa.types.is_temporal(x_col.type)
    return ChartSpec("line" if temporal else "bar", x=x_col.name, y=y_col.name)


class DataAnalyst:
    """Registered datasets, queried read-only."""

    def __init__(
        self,
        *,
        audit: AuditSink,
        chat: ChatModel | None = None,
        max_rows: int = 1000,
        timeout_s: float = 10.0,
        system_id: str = "research-assistant",
    ) -> None:
        self.audit = audit
        self.chat = chat
        self.max_rows = max_rows
        self.timeout_s = timeout_s
        self.system_id = system_id
        self._tables: dict[str, pa.Table] = {}
        self._datasets: dict[str, Dataset] = {}

    def register(self, name: str, path: Path, *, actor: str) -> Dataset:
        """Load a CSV or Parquet file; later queries see an immutable copy, not the file."""
        name = name.lower()
        if not _NAME.match(name):
            raise UnsafeQuery("dataset names are lower-case identifiers", reason="bad-name")
        suffix = Path(path).suffix.lower()
        reader = {".csv": "read_csv_auto", ".parquet": "read_parquet"}.get(suffix)
        if reader is None:
            raise UnsafeQuery("only CSV and Parquet datasets are supported", reason="bad-format")
        con = duckdb.connect()
        try:
            table = con.sql(f"SELECT * FROM {reader}($p)", params={"p": str(path)}).to_arrow_table()
        except duckdb.Error as exc:
            raise UnsafeQuery("dataset could not be read", reason="unreadable") from exc
        finally:
            con.close()
        ds = Dataset(
            name=name,
            source=Path(path).name,
            columns=tuple((f.name, str(f.type)) for f in table.schema),
            n_rows=table.num_rows,
        )
        self._tables[name] = table
        self._datasets[name] = ds
        self.audit.record(
            actor=actor,
            action="research.dataset.registered",
            subject_type="research_dataset",
            subject_id=name,
            payload={
                "system_id": self.system_id,
                "source": ds.source,
                "rows": ds.n_rows,
                "columns": [c for c, _ in ds.columns],
            },
        )
        return ds

    def datasets(self) -> list[Dataset]:
        return [self._datasets[k] for k in sorted(self._datasets)]

    def query(self, sql: str, *, actor: str, generated_by: str = "user") -> QueryResult:
        checked = check_sql(sql, set(self._tables))
        con = duckdb.connect(config={"enable_external_access": False, "threads": 1})
        timer = threading.Timer(self.timeout_s, con.interrupt)
        try:
            for name, table in self._tables.items():
                con.register(name, table)
            con.execute("SET lock_configuration = true")
            timer.start()
            result = con.sql(
                f"SELECT * FROM ({checked}) AS q LIMIT {self.max_rows + 1}"
            ).to_arrow_table()
        except duckdb.InterruptException as exc:
            raise UnsafeQuery("query took too long", reason="timeout") from exc
        except duckdb.Error as exc:
            raise UnsafeQuery(
                "query failed", reason="execution-error", detail=type(exc).__name__
            ) from exc
        finally:
            timer.cancel()
            con.close()
        truncated = result.num_rows > self.max_rows
        result = result.slice(0, self.max_rows)
        rows = tuple(tuple(_plain(v) for v in r.values()) for r in result.to_pylist())
        out = QueryResult(
            sql=checked,
            columns=tuple(result.column_names),
            rows=rows,
            chart=chart_for(result),
            truncated=truncated,
            generated_by="llm" if generated_by == "llm" else "user",
        )
        self.audit.record(
            actor=actor,
            action="research.dataset.queried",
            subject_type="research_dataset",
            subject_id=",".join(sorted(self._tables)),
            payload={
                "system_id": self.system_id,
                "sql": checked,
                "rows": len(rows),
                "generated_by": out.generated_by,
            },
        )
        return out

    def ask(self, question: str, *, actor: str) -> QueryResult:
        """English question -> SQL via the chat model -> the same checks -> result."""
        if self.chat is None:
            raise ChatEndpointError("no language model is configured for questions about data")
        schema = "\n".join(
            f"TABLE {d.name} ({', '.join(f'{c} {t}' for c, t in d.columns)})"
            for d in self.datasets()
        )
        reply = self.chat.complete(
            [
                (
                    "system",
                    "Write one DuckDB SELECT statement that answers the question using "
                    "only these tables. Reply with SQL only.\n" + schema,
                ),
                ("user", question),
            ]
        )
        sql = re.sub(r"^```(?:sql)?\s*|\s*```$", "", reply.strip(), flags=re.IGNORECASE)
        return self.query(sql, actor=actor, generated_by="llm")


__all__ = ["DataAnalyst", "chart_for", "check_sql"]
