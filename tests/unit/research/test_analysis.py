from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dualtrack.research.analysis import DataAnalyst, check_sql
from dualtrack.research.errors import UnsafeQuery
from dualtrack.research.openai_chat import OpenAICompatibleChat

from .conftest import CollectingAuditSink
from .openai_server import openai_server

ALLOWED = {"sales", "branches"}


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT region, SUM(revenue) FROM sales GROUP BY region",
        "select * from sales;",
        "WITH t AS (SELECT * FROM sales) SELECT * FROM t JOIN branches USING (region)",
        "SELECT * FROM sales WHERE region IN (SELECT region FROM branches)",
        "FROM sales",
    ],
)
def test_safe_selects_pass(sql: str) -> None:
    assert check_sql(sql, ALLOWED)


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SELECT 1; DROP TABLE sales", "multiple-statements"),
        ("SELECT * FROM sales; SELECT * FROM branches", "multiple-statements"),
        ("INSERT INTO sales VALUES (1, 2, 3)", "not-select"),
        ("UPDATE sales SET revenue = 0", "not-select"),
        ("DELETE FROM sales", "not-select"),
        ("CREATE TABLE x AS SELECT * FROM sales", "not-select"),
        ("PRAGMA database_list", "not-select"),
        ("ATTACH 'other.db'", "not-select"),
        ("COPY sales TO '/tmp/out.csv'", "not-select"),
        ("SET enable_external_access = true", "not-select"),
        ("SELECT * FROM read_csv('/etc/passwd')", "table-function"),
        ("SELECT * FROM pragma_table_info('sales')", "table-function"),
        ("SELECT * FROM '/etc/passwd'", "table-not-allowed"),
        ("SELECT * FROM customers", "table-not-allowed"),
        ("SELECT (SELECT COUNT(*) FROM customers) FROM sales", "table-not-allowed"),
        ("SELECT * FROM main.sales", "qualified-name"),
        ("SELECT getenv('HOME')", "function-not-allowed"),
        ("SELECT read_text('/etc/passwd')", "function-not-allowed"),
        ("SELEC * FROM sales", "parse-error"),
    ],
)
def test_unsafe_sql_is_rejected(sql: str, reason: str) -> None:
    with pytest.raises(UnsafeQuery) as err:
        check_sql(sql, ALLOWED)
    assert err.value.fields["reason"] == reason


@pytest.fixture
def analyst(tmp_path: Path) -> tuple[DataAnalyst, CollectingAuditSink]:
    csv = tmp_path / "sales.csv"
    csv.write_text(
        "region,month,revenue\nKowloon,2024-01-01,10.5\nIsland,2024-01-01,12\n"
        "Kowloon,2024-02-01,14\n"
    )
    pq.write_table(
        pa.table({"region": ["Kowloon", "Island"], "branches": [12, 9]}), tmp_path / "b.parquet"
    )
    audit = CollectingAuditSink()
    d = DataAnalyst(audit=audit, max_rows=2)
    d.register("sales", csv, actor="u")
    d.register("branches", tmp_path / "b.parquet", actor="u")
    csv.write_text("region,month,revenue\n")  # later changes to the file are not seen
    return d, audit


def test_query_returns_rows_chart_and_audit(analyst) -> None:  # type: ignore[no-untyped-def]
    d, audit = analyst
    r = d.query(
        "SELECT region, SUM(revenue) AS total FROM sales GROUP BY region ORDER BY total DESC",
        actor="u",
    )
    assert r.columns == ("region", "total") and r.rows == (("Kowloon", 24.5), ("Island", 12.0))
    assert r.chart.to_dict() == {"kind": "bar", "x": "region", "y": "total"}
    json.dumps(r.to_dict())
    assert audit.records[-1]["action"] == "research.dataset.queried"
    line = d.query(
        "SELECT month, SUM(revenue) AS t FROM sales GROUP BY month ORDER BY month", actor="u"
    )
    assert line.chart.kind == "line"


def test_row_cap_and_join(analyst) -> None:  # type: ignore[no-untyped-def]
    d, _ = analyst
    r = d.query(
        "SELECT s.region, b.branches FROM sales s JOIN branches b USING (region)", actor="u"
    )
    assert len(r.rows) == 2 and r.truncated


def test_runtime_sandbox_blocks_files_even_if_checker_were_bypassed(analyst, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import dualtrack.research.analysis as analysis

    d, _ = analyst
    monkeypatch.setattr(analysis, "check_sql", lambda sql, allowed: sql)
    with pytest.raises(UnsafeQuery) as err:
        d.query("SELECT * FROM read_csv('/etc/hostname')", actor="u")
    assert err.value.fields["reason"] == "execution-error"
    with pytest.raises(UnsafeQuery):
        d.query("SET enable_external_access = true", actor="u")


def test_english_question_to_sql_passes_the_same_checks(analyst) -> None:  # type: ignore[no-untyped-def]
    d, _ = analyst
    answers = iter(
        [
            "```sql\nSELECT region, SUM(revenue) AS total FROM sales GROUP BY region ORDER BY 1\n```",
            "DROP TABLE sales",
        ]
    )
    with openai_server(lambda body: next(answers)) as (url, received):
        d.chat = OpenAICompatibleChat(base_url=url, model="sql-model")
        r = d.ask("Total revenue by region?", actor="u")
        assert r.generated_by == "llm" and r.rows[0][0] == "Island"
        assert "TABLE sales (region" in received[0]["messages"][0]["content"]
        with pytest.raises(UnsafeQuery):
            d.ask("Delete everything", actor="u")


def test_bad_dataset_names_and_formats(tmp_path: Path) -> None:
    d = DataAnalyst(audit=CollectingAuditSink())
    with pytest.raises(UnsafeQuery):
        d.register("Robert'); DROP", tmp_path / "x.csv", actor="u")
    with pytest.raises(UnsafeQuery):
        d.register("x", tmp_path / "x.json", actor="u")
