"""Fraud use cases: score transactions, raise alerts, work cases, export labels.

:class:`FraudScorer` combines a trained model (thresholds included), hard rules (watch
list, per-transaction and daily caps) and, for the Hong Kong payments feature set, the
online feature state. :class:`CaseService` turns review/block decisions into alerts,
groups them into one open case per customer and records every analyst action in the
audit ledger.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from dualtrack.fraud.compiled import CompiledModel
from dualtrack.fraud.domain import (
    ACTION_RANK,
    Action,
    Alert,
    Case,
    CaseStatus,
    Decision,
    Label,
    ReasonCode,
)
from dualtrack.fraud.errors import CaseNotFound, FraudInputError, ModelArtifactError
from dualtrack.fraud.explain import contributions, top_reasons
from dualtrack.fraud.features import FEATURE_NAMES, OnlineFeatureEngine
from dualtrack.fraud.memory import InMemoryFeatureStateStore
from dualtrack.fraud.model import ModelArtifact
from dualtrack.fraud.ports import CaseRepository, Clock, FeatureStateStore
from dualtrack.fraud.validation import (
    ROW_PATH_MAX,
    ValidationLimits,
    row_problems,
    to_frame,
    to_rows,
    validate_frame,
)
from dualtrack.ledger.ports import AuditSink

logger = logging.getLogger(__name__)

_ACTIONS: tuple[Action, ...] = ("allow", "review", "block")


class SystemClock:
    """The real UTC clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Hard rules applied next to the model; the stricter action wins.

    ``watchlist`` holds high-risk payee identifiers (accounts or FPS proxies), such as
    those a bank derives from the Police Scameter list. Caps are in HKD.
    """

    watchlist: frozenset[str] = frozenset()
    watchlist_action: Action = "block"
    max_amount_hkd: float | None = 500_000.0
    daily_cap_hkd: float | None = 1_000_000.0
    cap_action: Action = "block"


@dataclass(frozen=True, slots=True)
class ScoredBatch:
    """Column-wise scoring results (in input order)."""

    txn_ids: list[str]
    scores: npt.NDArray[np.float64]
    actions: npt.NDArray[np.int8]
    model_actions: npt.NDArray[np.int8]
    rule_hits: list[tuple[str, ...]]
    reasons: dict[int, tuple[ReasonCode, ...]] = field(default_factory=dict)


class FraudScorer:
    """Scores transactions with one loaded model version, its thresholds and rules."""

    def __init__(
        self,
        artifact: ModelArtifact,
        *,
        model_version: str | None = None,
        rules: RuleSet | None = None,
        state: FeatureStateStore | None = None,
        clock: Clock | None = None,
        limits: ValidationLimits | None = None,
        top_k_reasons: int = 3,
        compiled: CompiledModel | None = None,
    ) -> None:
        self.artifact = artifact
        self.model_version = model_version or artifact.artifact_sha256[:16]
        self.rules = rules or RuleSet()
        self.state: FeatureStateStore = state or InMemoryFeatureStateStore()
        self.clock: Clock = clock or SystemClock()
        self.limits = limits or ValidationLimits()
        self.top_k_reasons = top_k_reasons
        self.booster_ = artifact.booster()
        #: the artifact compiled to native code (:mod:`dualtrack.fraud.compiled`), used for
        #: scores when given; reasons always come from the booster's exact TreeSHAP
        self.compiled = compiled
        self.thresholds = artifact.thresholds
        if artifact.feature_set == "hk_payments_v1" and artifact.feature_names != FEATURE_NAMES:
            raise ModelArtifactError("model features do not match this feature definition")
        self._engine = OnlineFeatureEngine(self.state)

    # ------------------------------------------------------------------- public API

    def score_one(self, txn: Mapping[str, object], *, explain: bool = False) -> Decision:
        """Score one transaction (see :meth:`score_batch`)."""
        return self.score_batch([txn], explain=explain)[0]

    def score_batch(
        self, txns: Sequence[Mapping[str, object]], *, explain: bool = False
    ) -> list[Decision]:
        """Validate, featurise, score and decide; reasons for review/block (or all if asked)."""
        if len(txns) > self.limits.max_batch:
            raise FraudInputError(
                f"batch of {len(txns)} rows exceeds the limit of {self.limits.max_batch}",
                problems=["batch too large"],
            )
        if len(txns) <= ROW_PATH_MAX:
            scored = self._score_rows(to_rows(txns, self.artifact.feature_set), explain)
        else:
            frame = to_frame(txns, self.artifact.feature_set)
            scored = self.score_columns(frame, explain=explain)
        return [
            Decision(
                txn_id=scored.txn_ids[i],
                score=float(scored.scores[i]),
                action=_ACTIONS[scored.actions[i]],
                model_action=_ACTIONS[scored.model_actions[i]],
                rule_hits=scored.rule_hits[i],
                reasons=scored.reasons.get(i, ()),
                model_version=self.model_version,
            )
            for i in range(len(scored.txn_ids))
        ]

    def score_frame(self, frame: pl.DataFrame, *, explain: bool = False) -> pl.DataFrame:
        """Score a frame and return flat columns (reasons as JSON) for files and tables."""
        scored = self.score_columns(frame, explain=explain)
        reasons = [
            json.dumps(
                [
                    {"feature": r.feature, "contribution": round(r.contribution, 4), "text": r.text}
                    for r in scored.reasons.get(i, ())
                ]
            )
            if i in scored.reasons
            else ""
            for i in range(len(scored.txn_ids))
        ]
        labels = np.array(_ACTIONS)
        return pl.DataFrame(
            {
                "txn_id": scored.txn_ids,
                "score": scored.scores,
                "action": labels[scored.actions],
                "model_action": labels[scored.model_actions],
                "rule_hits": [";".join(h) for h in scored.rule_hits],
                "reasons": reasons,
                "model_version": [self.model_version] * len(scored.txn_ids),
            }
        )

    def score_columns(self, frame: pl.DataFrame, *, explain: bool = False) -> ScoredBatch:
        """The column-wise core shared by every entry point."""
        feature_set = self.artifact.feature_set
        known: frozenset[str] = frozenset()
        last_ts: dict[str, int] = {}
        if feature_set == "hk_payments_v1" and "txn_id" in frame.columns:
            ids = frame["txn_id"].cast(pl.String).to_list()
            known = self._known(ids)
            if "customer_id" in frame.columns:
                last_ts = self._last_ts(frame["customer_id"].unique().to_list())
        validate_frame(
            frame,
            feature_set,
            limits=self.limits,
            now_ts=self.clock.now().timestamp(),
            last_ts=last_ts,
            known_ids=known,
        )
        x = self._features(frame)
        amount_col = "amount" if "amount" in frame.columns else "Amount"
        amount = frame[amount_col].cast(pl.Float64).to_numpy()
        listed = None
        if feature_set == "hk_payments_v1" and self.rules.watchlist:
            listed = frame["payee_id"].is_in(sorted(self.rules.watchlist)).to_numpy()
        return self._decide(frame["txn_id"].cast(pl.String).to_list(), x, amount, listed, explain)

    # ----------------------------------------------------------------- internals

    def _known(self, ids: Sequence[str]) -> frozenset[str]:
        return frozenset(i for i in ids if self.state.remembered(i) is not None)

    def _last_ts(self, customers: Sequence[object]) -> dict[str, int]:
        last_ts: dict[str, int] = {}
        for customer in customers:
            seen = self.state.last_ts(str(customer))
            if seen is not None:
                last_ts[str(customer)] = seen
        return last_ts

    def _score_rows(self, rows: list[dict[str, Any]], explain: bool) -> ScoredBatch:
        """:meth:`score_columns` for typed rows from :func:`to_rows`, without a frame: the
        same checks (:func:`row_problems`), features, model, rules and reasons."""
        hk = self.artifact.feature_set == "hk_payments_v1"
        ids = [str(row["txn_id"]) for row in rows]
        known = self._known(ids) if hk else frozenset()
        last_ts = (
            self._last_ts(list(dict.fromkeys(row["customer_id"] for row in rows))) if hk else {}
        )
        problems = row_problems(
            rows,
            self.artifact.feature_set,
            self.limits,
            self.clock.now().timestamp(),
            last_ts=last_ts,
            known_ids=known,
        )
        if problems:
            raise FraudInputError("invalid transactions: " + "; ".join(problems), problems=problems)
        n = len(rows)
        if hk:
            features = [self._engine.features(row) for row in rows]
            x = np.asarray(features, dtype=np.float64).reshape(n, len(FEATURE_NAMES))
            amount = np.fromiter((row["amount"] for row in rows), np.float64, n)
        else:
            x = np.empty((n, len(self.artifact.feature_names)), dtype=np.float64)
            for j, name in enumerate(self.artifact.feature_names):
                if name == "hour":
                    x[:, j] = [(row["Time"] % 86_400) / 3_600 for row in rows]
                else:
                    x[:, j] = [row[name] for row in rows]
            amount = x[:, self.artifact.feature_names.index("Amount")]
        listed = None
        if hk and self.rules.watchlist:
            watch = self.rules.watchlist
            listed = np.fromiter((str(row["payee_id"]) in watch for row in rows), np.bool_, n)
        return self._decide(ids, x, amount, listed, explain)

    def _decide(
        self,
        txn_ids: list[str],
        x: npt.NDArray[np.float64],
        amount: npt.NDArray[np.float64],
        listed: npt.NDArray[np.bool_] | None,
        explain: bool,
    ) -> ScoredBatch:
        # small requests: one thread avoids OpenMP start-up cost on a busy machine
        threads = 1 if len(x) < 2_000 else 0  # 0: LightGBM's default (all cores)
        if self.compiled is not None:
            scores = self.compiled.predict(x, threads=threads)
        else:
            scores = np.asarray(self.booster_.predict(x, num_threads=threads), dtype=np.float64)
        model_actions = np.where(
            scores >= self.thresholds.block, 2, np.where(scores >= self.thresholds.review, 1, 0)
        ).astype(np.int8)
        rule_action, hits = self._rules(x, amount, listed)
        actions = np.maximum(model_actions, rule_action).astype(np.int8)
        need = np.flatnonzero(actions > 0) if not explain else np.arange(len(scores))
        reasons: dict[int, tuple[ReasonCode, ...]] = {}
        if len(need):
            rows = x[need]
            codes = top_reasons(
                self.artifact.feature_names,
                rows,
                contributions(self.booster_, rows),
                top_k=self.top_k_reasons,
            )
            reasons = dict(zip(need.tolist(), codes, strict=True))
        return ScoredBatch(
            txn_ids=txn_ids,
            scores=scores,
            actions=actions,
            model_actions=model_actions,
            rule_hits=hits,
            reasons=reasons,
        )

    def _features(self, frame: pl.DataFrame) -> npt.NDArray[np.float64]:
        if self.artifact.feature_set == "ulb_pca_v1":
            with_hour = frame.with_columns(hour=(pl.col("Time") % 86_400) / 3_600)
            return with_hour.select(self.artifact.feature_names).cast(pl.Float64).to_numpy()
        rows = [self._engine.features(row) for row in frame.iter_rows(named=True)]
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURE_NAMES))

    def _rules(
        self,
        x: npt.NDArray[np.float64],
        amount: npt.NDArray[np.float64],
        listed: npt.NDArray[np.bool_] | None,
    ) -> tuple[npt.NDArray[np.int8], list[tuple[str, ...]]]:
        n = len(amount)
        rules = self.rules
        action = np.zeros(n, dtype=np.int8)
        flags: list[tuple[str, npt.NDArray[np.bool_], Action]] = []
        if rules.max_amount_hkd is not None:
            flags.append(("amount_over_limit", amount > rules.max_amount_hkd, rules.cap_action))
        if self.artifact.feature_set == "hk_payments_v1":
            if listed is not None:
                flags.append(("payee_on_watchlist", listed, rules.watchlist_action))
            if rules.daily_cap_hkd is not None:
                day_sum = x[:, FEATURE_NAMES.index("cust_sum_24h")] + amount
                flags.append(
                    ("daily_cap_exceeded", day_sum > rules.daily_cap_hkd, rules.cap_action)
                )
        hits: list[list[str]] = [[] for _ in range(n)]
        for name, mask, rule_action in flags:
            rows = np.flatnonzero(mask)
            action[rows] = np.maximum(action[rows], ACTION_RANK[rule_action])
            for r in rows.tolist():
                hits[r].append(name)
        return action, [tuple(h) for h in hits]


# ------------------------------------------------------------------------------ cases


class CaseService:
    """Alerts, cases and analyst verdicts over a :class:`CaseRepository`."""

    def __init__(
        self, repository: CaseRepository, audit: AuditSink, *, clock: Clock | None = None
    ) -> None:
        self.repository = repository
        self.audit = audit
        self.clock: Clock = clock or SystemClock()

    def raise_alerts(
        self, decisions: Sequence[Decision], customer_refs: Mapping[str, str]
    ) -> list[Alert]:
        """Raise an alert for each review/block decision, filed into the customer's open case.

        ``customer_refs`` maps transaction IDs to a customer reference (a pseudonym).
        """
        alerts: list[Alert] = []
        now = self.clock.now()
        for decision in decisions:
            if decision.action == "allow":
                continue
            customer = customer_refs.get(decision.txn_id)
            if customer is None:
                raise FraudInputError(
                    "no customer reference for an alerted transaction", txn_id=decision.txn_id
                )
            case = self.repository.open_case_for(customer)
            if case is None:
                case = Case(
                    case_id=f"case-{uuid.uuid4().hex[:12]}",
                    customer_ref=customer,
                    status=CaseStatus.OPEN,
                    opened_at=now,
                    updated_at=now,
                )
                self.repository.add_case(case)
                self._record("system", "fraud.case_opened", "fraud_case", case.case_id, {})
            alert = Alert(
                alert_id=f"alert-{uuid.uuid4().hex[:12]}",
                txn_id=decision.txn_id,
                customer_ref=customer,
                action=decision.action,
                score=decision.score,
                reasons=decision.reasons,
                rule_hits=decision.rule_hits,
                model_version=decision.model_version,
                created_at=now,
                case_id=case.case_id,
            )
            self.repository.add_alert(alert)
            self._record(
                "system",
                "fraud.alert_raised",
                "fraud_alert",
                alert.alert_id,
                {
                    "txn_id": alert.txn_id,
                    "case_id": case.case_id,
                    "action": alert.action,
                    "score": round(alert.score, 6),
                    "model_version": alert.model_version,
                    "rule_hits": list(alert.rule_hits),
                },
            )
            alerts.append(alert)
        return alerts

    def queue(self, *, status: CaseStatus | None = None) -> list[Case]:
        """Cases for the alert queue page (unresolved ones by default), oldest first."""
        if status is not None:
            cases = list(self.repository.list_cases(status=status.value))
        else:
            cases = [c for c in self.repository.list_cases() if not c.status.is_final]
        return sorted(cases, key=lambda c: (c.opened_at, c.case_id))

    def get_case(self, case_id: str) -> Case:
        """The case, or :class:`CaseNotFound`."""
        case = self.repository.get_case(case_id)
        if case is None:
            raise CaseNotFound("no such case", case_id=case_id)
        return case

    def alerts(self, case_id: str) -> list[Alert]:
        """Alerts filed in a case, oldest first."""
        self.get_case(case_id)
        return sorted(self.repository.alerts_for_case(case_id), key=lambda a: a.created_at)

    def start_review(self, case_id: str, *, actor: str) -> Case:
        """An analyst picks up a case."""
        return self._move(case_id, CaseStatus.IN_REVIEW, actor=actor, note="")

    def release(self, case_id: str, *, actor: str) -> Case:
        """Put a case back in the queue."""
        return self._move(case_id, CaseStatus.OPEN, actor=actor, note="")

    def confirm_fraud(self, case_id: str, *, actor: str, note: str = "") -> Case:
        """Resolve as fraud: every alert in the case is labelled fraud."""
        return self._resolve(case_id, CaseStatus.CONFIRMED_FRAUD, actor=actor, note=note)

    def mark_false_positive(self, case_id: str, *, actor: str, note: str = "") -> Case:
        """Resolve as a false alarm: every alert in the case is labelled genuine."""
        return self._resolve(case_id, CaseStatus.FALSE_POSITIVE, actor=actor, note=note)

    def export_labels(self, *, since: datetime | None = None) -> list[Label]:
        """Labels from resolved cases, for retraining and monitoring."""
        labels: list[Label] = []
        for status in (CaseStatus.CONFIRMED_FRAUD, CaseStatus.FALSE_POSITIVE):
            for case in self.repository.list_cases(status=status.value):
                if since is not None and case.updated_at < since:
                    continue
                for alert in self.repository.alerts_for_case(case.case_id):
                    labels.append(
                        Label(
                            txn_id=alert.txn_id,
                            is_fraud=alert.label == "fraud",
                            case_id=case.case_id,
                            alert_id=alert.alert_id,
                            model_version=alert.model_version,
                            score=alert.score,
                            labelled_at=case.updated_at,
                            labelled_by=case.resolved_by or "",
                        )
                    )
        return sorted(labels, key=lambda label: (label.labelled_at, label.txn_id))

    def _resolve(self, case_id: str, target: CaseStatus, *, actor: str, note: str) -> Case:
        case = self._move(case_id, target, actor=actor, note=note)
        verdict: Literal["fraud", "genuine"] = (
            "fraud" if target is CaseStatus.CONFIRMED_FRAUD else "genuine"
        )
        for alert in self.repository.alerts_for_case(case_id):
            self.repository.update_alert(replace(alert, label=verdict))
        return case

    def _move(self, case_id: str, target: CaseStatus, *, actor: str, note: str) -> Case:
        case = self.get_case(case_id)
        moved = case.move_to(target, actor=actor, at=self.clock.now(), note=note)
        self.repository.update_case(moved)
        self._record(
            actor,
            f"fraud.case_{target.value}",
            "fraud_case",
            case_id,
            {"from": case.status.value, "to": target.value},
        )
        return moved

    def _record(
        self,
        actor: str,
        action: str,
        subject_type: str,
        subject_id: str,
        payload: dict[str, object],
    ) -> None:
        self.audit.record(
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            payload=payload,
        )


__all__ = ["CaseService", "FraudScorer", "RuleSet", "ScoredBatch", "SystemClock"]
