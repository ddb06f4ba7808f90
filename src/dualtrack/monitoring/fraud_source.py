"""Monitoring input from the fraud application's tables: decisions and analyst verdicts.

Each stored fraud decision keeps the model's score, its time and the feature values it was
scored on; analysts' confirmed-fraud / false-positive verdicts arrive later as labels
(:meth:`FraudCaseDesk.labels`). Decisions without a verdict are unlabelled (they count for
drift and decision rates, not for AUC).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import polars as pl
from sqlalchemy import select

from dualtrack.adapters.fraud_tables import fraud_decisions
from dualtrack.registry.domain import AISystem, ModelVersion

if TYPE_CHECKING:
    from dualtrack.bootstrap import Platform

CHUNK_ROWS = 100_000


class FraudTableSource:
    """Stored fraud decisions of the deployed version, with labels from resolved cases."""

    description = "stored fraud decisions and case verdicts"

    def __init__(self, platform: Platform) -> None:
        self._platform = platform

    def _labels(self) -> dict[str, float]:
        from dualtrack.fraud.wiring import cases

        return {lab.txn_id: 1.0 if lab.is_fraud else 0.0 for lab in cases(self._platform).labels()}

    def chunks(self, system: AISystem, version: ModelVersion) -> Iterator[pl.DataFrame]:
        labels = self._labels()
        last = ""
        while True:
            with self._platform.uow() as uow:
                rows = uow.connection.execute(
                    select(fraud_decisions.c.txn_id, fraud_decisions.c.data)
                    .where(
                        fraud_decisions.c.version_id == version.id,
                        fraud_decisions.c.txn_id > last,
                    )
                    .order_by(fraud_decisions.c.txn_id)
                    .limit(CHUNK_ROWS)
                ).all()
            if not rows:
                return
            last = str(rows[-1].txn_id)
            records: list[dict[str, Any]] = []
            for row in rows:
                data = json.loads(row.data)
                records.append(
                    {
                        "txn_id": row.txn_id,
                        "score": float(data["score"]),
                        "decided_at": data["decided_at"],
                        "label": labels.get(row.txn_id),
                        **{k: float(v) for k, v in (data.get("features") or {}).items()},
                    }
                )
            yield pl.DataFrame(records, infer_schema_length=None)


__all__ = ["FraudTableSource"]
