"""Fraud scoring on the governed path: only the deployed, hash-checked model version serves,
every decision is durable (and ledgered) before it is returned, and a transaction ID is
decided once.

:class:`GovernedFraudService` wraps the library's :class:`~dualtrack.fraud.service.FraudScorer`
with the platform's rules:

* **Deployed version only.** The model is the fraud system's *deployed* version in the
  registry. Its artifact directory is loaded and its ``artifact_sha256`` must equal the
  registered one, or nothing is scored (:class:`~dualtrack.fraud.errors.ModelArtifactError`).
  The deployed version is looked up again every ``recheck_s`` seconds, so a retirement or a
  new deployment takes effect without a restart; with nothing deployed every request fails
  with :class:`NoDeployedModel`.
* **Idempotency.** Stored decisions are looked up by transaction ID *before* any feature
  state is touched: a repeat returns the stored decision and is not counted again in the
  velocity features. Two concurrent requests with the same new ID race to the store; its
  unique key keeps the first and the store returns that one to both.
* **Durability.** :meth:`DecisionStore.persist` writes the decision rows, their ledger
  entries and any alerts/cases in one (group-committed) transaction and returns only after
  the commit, so an acknowledged decision is never lost.
* **Privacy.** Each transaction passes through the fraud AI system's privacy policy
  (``privacy``: the policy stored for the system, re-read every ``recheck_s``) before
  features, model or state see it: identifiers become keyed pseudonyms (velocity and
  fan-in features only need stable joins), fields the policy names for dropping (``hkid``,
  ``name``, ``memo``...) are removed, and a field neither the model nor the policy knows is
  refused. The watch list is pseudonymised the same way. A policy that drops a field the
  model needs stops scoring (:class:`PolicyBlocksModel`). Decisions, alerts, cases and the
  ledger carry the customer's pseudonym, never the raw customer ID.

Online feature state lives in this process (:class:`InMemoryFeatureStateStore`) behind the
library's port. Each decision keeps the few fields that built it (``state_event``: time,
amount and the pseudonymised customer, account, payee and device), so the process that
takes the database's scoring lease rebuilds the state from stored decisions
(:meth:`GovernedFraudService.reset_state`, then :meth:`~GovernedFraudService.fold_stored`)
before it scores. One process per database scores at a time
(``wiring.ScoringOwnership``): payee features need every customer's payments, so
partitioning by customer alone would undercount them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from dualtrack.errors import ConfigurationError, Conflict
from dualtrack.fraud.compiled import load_compiled
from dualtrack.fraud.domain import ACTION_RANK, Action, Decision, ReasonCode, Thresholds
from dualtrack.fraud.errors import FraudInputError, ModelArtifactError
from dualtrack.fraud.explain import contributions, top_reasons
from dualtrack.fraud.features import FEATURE_NAMES, OnlineFeatureEngine, state_event
from dualtrack.fraud.memory import InMemoryFeatureStateStore
from dualtrack.fraud.model import ModelArtifact
from dualtrack.fraud.ports import Clock, FeatureStateStore
from dualtrack.fraud.service import FraudScorer, RuleSet, SystemClock
from dualtrack.fraud.validation import (
    INPUT_COLUMNS,
    LABEL_COLUMNS,
    ValidationLimits,
    blank_keys,
    wrong_types,
)
from dualtrack.fraud.watchlist import WatchlistChanges, canonical_payee
from dualtrack.registry.domain import ModelVersion

logger = logging.getLogger(__name__)

#: The AI system whose deployed version serves fraud decisions (see ``dualtrack.demo``).
FRAUD_SYSTEM_NAME = "Card and FPS fraud detection"
MAX_TXN_ID = 64


class NoDeployedModel(ConfigurationError):
    """The fraud AI system has no deployed model version, so nothing may be scored."""

    code = "fraud-no-deployed-model"


class PolicyBlocksModel(ConfigurationError):
    """The fraud system's privacy policy keeps from the model fields it needs."""

    code = "fraud-policy-blocks-model"


class ScoringOwnedElsewhere(ConfigurationError):
    """Another live process serves fraud scoring on this database. The online feature state
    lives in the serving process, so a second scorer would compute velocity features from
    part of the traffic; it refuses instead."""

    code = "fraud-scoring-owned-elsewhere"


class TxnIdReused(Conflict):
    """A transaction ID already decided arrived again with different content."""

    code = "fraud-txn-id-reused"


@dataclass(frozen=True, slots=True)
class GovernedDecision:
    """A decision as stored and returned: the library's decision plus its governance facts."""

    txn_id: str
    score: float
    action: Action
    model_action: Action
    rule_hits: tuple[str, ...]
    reasons: tuple[ReasonCode, ...]
    model_version: str
    version_id: str
    customer_ref: str
    decided_at: str
    request_sha256: str
    features: dict[str, float] = field(default_factory=dict)
    replayed: bool = False
    #: what rebuilds the online feature state after a restart (:func:`state_event` of the
    #: transaction as the privacy policy passed it to the model); stored in its own column,
    #: not part of the decision's document, the API view or the ledger
    state_event: dict[str, object] | None = field(default=None, compare=False, repr=False)
    #: for a payment the payee watch list escalated: the listed payee's pseudonym (of its
    #: canonical form), which finds the listing for the case page; kept in the stored
    #: document only, not in the API view or the ledger
    watch_ref: str | None = None

    def to_json(self, *, features: bool = False) -> dict[str, Any]:
        """The API/CLI view (no raw personal data: the customer is a pseudonym)."""
        body: dict[str, Any] = {
            "txn_id": self.txn_id,
            "score": round(self.score, 6),
            "action": self.action,
            "model_action": self.model_action,
            "rule_hits": list(self.rule_hits),
            "reasons": [
                {
                    "feature": r.feature,
                    "value": r.value,
                    "contribution": round(r.contribution, 4),
                    "text": r.text,
                }
                for r in self.reasons
            ],
            "model_version": self.model_version,
            "version_id": self.version_id,
            "customer_ref": self.customer_ref,
            "decided_at": self.decided_at,
            "replayed": self.replayed,
        }
        if features:
            body["features"] = dict(self.features)
        return body

    def ledger_payload(self) -> dict[str, Any]:
        """What the audit ledger keeps for a decision (pseudonyms and model facts only)."""
        return {
            "txn_id": self.txn_id,
            "score": round(self.score, 6),
            "action": self.action,
            "model_action": self.model_action,
            "rule_hits": list(self.rule_hits),
            "reasons": [
                {"feature": r.feature, "contribution": round(r.contribution, 4)}
                for r in self.reasons
            ],
            "model_version": self.model_version,
            "version_id": self.version_id,
            "customer_ref": self.customer_ref,
        }


class DecisionStore(Protocol):
    """Durable decisions (the platform's SQL store, group-committed with the ledger)."""

    def get_many(self, txn_ids: Sequence[str]) -> dict[str, GovernedDecision]:
        """Stored decisions for those IDs (missing IDs are absent)."""
        ...

    def persist(self, decisions: Sequence[GovernedDecision]) -> list[GovernedDecision]:
        """Store and ledger new decisions (and their alerts) atomically; return after the
        commit. Where an ID was stored meanwhile, the stored decision is returned instead."""
        ...


class VersionSource(Protocol):
    """Where the fraud system's deployed model version is looked up."""

    def deployed(self) -> ModelVersion | None: ...


class TransactionPolicy(Protocol):
    """The fraud system's privacy policy, prepared for transaction records
    (:class:`dualtrack.privacy.policy.RecordPolicy` fits)."""

    def __call__(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """What of ``record`` may reach the model (pseudonymised, fields dropped)."""
        ...

    def value(self, key: str, value: Any) -> Any:
        """What reaches the model for one field's value."""
        ...

    def dropped(self, keys: Sequence[str]) -> list[str]:
        """Which of ``keys`` the policy keeps from the model."""
        ...

    def listed(self, key: str) -> bool:
        """Whether the policy names this field (otherwise its default applies)."""
        ...


class PolicySource(Protocol):
    """Where the policy in force is looked up (re-read like the deployed version)."""

    def current(self) -> TransactionPolicy: ...


class WatchlistSource(Protocol):
    """Where the stored payee watch list's changes are read (polled like the policy)."""

    def changes(self, after: int) -> WatchlistChanges: ...


@dataclass(frozen=True, slots=True)
class LoadedModel:
    """A deployed version with its verified artifact and ready scorer."""

    version: ModelVersion
    artifact: ModelArtifact
    scorer: FraudScorer


class ProcessFeatureState(InMemoryFeatureStateStore):
    """The in-process feature state, always truthy.

    ``FraudScorer`` falls back to a new store with ``state or InMemoryFeatureStateStore()``,
    and an *empty* in-memory store is falsy (it defines ``__len__``), so without this the
    scorer would silently keep its own state apart from the service's."""

    def __bool__(self) -> bool:
        return True


def artifact_directory(version: ModelVersion, models_dir: Path) -> Path:
    """Where a version's artifact lives: its ``artifact_uri`` (absolute, or relative to the
    models directory's parent ``var_dir``), else ``models_dir/<artifact_sha256>``."""
    uri = version.artifact_uri
    if uri:
        path = Path(uri.removeprefix("file://"))
        return path if path.is_absolute() else models_dir.parent.parent / path
    return models_dir / version.artifact_sha256


def load_verified_artifact(version: ModelVersion, models_dir: Path) -> ModelArtifact:
    """Load a version's artifact and check it is exactly what the registry pinned."""
    directory = artifact_directory(version, models_dir)
    if not (directory / "model.txt").exists():
        raise ModelArtifactError(
            "the deployed model version has no artifact on this server",
            version=version.version,
        )
    artifact = ModelArtifact.load(directory)
    if artifact.artifact_sha256 != version.artifact_sha256:
        raise ModelArtifactError(
            "the model artifact's sha256 differs from the registered artifact_sha256; "
            "refusing to serve",
            version=version.version,
        )
    return artifact


def request_digest(row: Mapping[str, object]) -> str:
    """sha256 of a transaction's canonical JSON (to recognise a reused ID)."""
    text = json.dumps(row, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class WatchMap(Mapping[str, Action]):
    """The watch list as scoring checks it, payee pseudonym -> action: an immutable
    mapping that applies a change in the time of the change, not of the list (a new
    version shares the large ``base`` and keeps small maps of what was listed and taken off
    since; they fold into a new base once they pass ``COMPACT`` items). Requests hold
    whichever version they read; nothing changes under them."""

    COMPACT = 4_096
    __slots__ = ("_added", "_base", "_len", "_removed")

    def __init__(
        self,
        base: Mapping[str, Action],
        added: Mapping[str, Action] | None = None,
        removed: frozenset[str] = frozenset(),
    ) -> None:
        self._base, self._added, self._removed = base, dict(added or {}), removed
        self._len = (
            len(base)
            + sum(1 for k in self._added if k not in base)
            - sum(1 for k in removed if k in base and k not in self._added)
        )

    def __getitem__(self, key: str) -> Action:
        found = self._added.get(key)
        if found is not None:
            return found
        if key in self._removed:
            raise KeyError(key)
        return self._base[key]

    def __iter__(self) -> Iterator[str]:
        yield from self._added
        for key in self._base:
            if key not in self._removed and key not in self._added:
                yield key

    def __len__(self) -> int:
        return self._len

    def changed(self, listed: Mapping[str, Action], unlisted: frozenset[str]) -> WatchMap:
        added = {k: a for k, a in self._added.items() if k not in unlisted} | dict(listed)
        removed = frozenset(k for k in self._removed if k not in listed) | unlisted
        if len(added) + len(removed) > self.COMPACT:
            return WatchMap(dict(WatchMap(self._base, added, removed).items()))
        return WatchMap(self._base, added, removed)


#: the rule hit of a payment to a watch-listed payee
WATCHLIST_HIT = "payee_on_watchlist"


def _stricter(a: Action, b: Action | None) -> Action:
    return a if b is None or ACTION_RANK[a] >= ACTION_RANK[b] else b


def _shaped(policy: TransactionPolicy | None, payee_id: str) -> str:
    """A watch-listed payee ID as the model sees payee IDs (the policy's pseudonym)."""
    return payee_id if policy is None else str(policy.value("payee_id", payee_id))


def format_instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class GovernedFraudService:
    """Scores transactions with the deployed model version; see the module docstring."""

    def __init__(
        self,
        *,
        versions: VersionSource,
        store: DecisionStore,
        customer_ref: Callable[[str], str],
        models_dir: Path,
        rules: RuleSet | None = None,
        limits: ValidationLimits | None = None,
        clock: Clock | None = None,
        recheck_s: float = 1.0,
        state: FeatureStateStore | None = None,
        privacy: PolicySource | None = None,
        compiled_dir: Path | None = None,
        watchlist: WatchlistSource | None = None,
    ) -> None:
        self._versions = versions
        self._privacy = privacy
        #: (policy, watch list as the policy shapes it, feature set, rules' watch list)
        self._policy: (
            tuple[TransactionPolicy | None, Mapping[str, Action], str, frozenset[str]] | None
        ) = None
        self._policy_checked_at = -math.inf
        self._policy_lock = threading.Lock()
        #: the stored watch list (raw payee IDs and their actions) as of
        #: ``_watch_revision``; ``rules.watchlist`` (a fixed list, for the library and tests,
        #: with ``rules.watchlist_action``) is applied beside it, the stricter action winning
        self._watch_source = watchlist
        self._watch_ids: dict[str, Action] = {}
        self._watch_revision = -1
        self.store = store
        self._customer_ref = customer_ref
        self.models_dir = models_dir
        #: where compiled models are cached (:mod:`dualtrack.fraud.compiled`); a deployed
        #: version whose compiled library is there (and agrees with LightGBM) scores with it
        self.compiled_dir = compiled_dir
        self.rules = rules or RuleSet()
        self.limits = limits or ValidationLimits()
        self.clock: Clock = clock or SystemClock()
        self.recheck_s = recheck_s
        self.state: FeatureStateStore = state if state is not None else ProcessFeatureState()
        self._loaded: LoadedModel | None = None
        self._checked_at = -math.inf
        self._load_lock = threading.Lock()
        self._turn = threading.Condition()
        self._waiting: list[_Pending] = []
        self._leading = False

    # ---------------------------------------------------------------- the model in force

    def current(self) -> LoadedModel:
        """The deployed version, re-checked at most every ``recheck_s`` seconds."""
        loaded = self._loaded
        if loaded is not None and time.monotonic() - self._checked_at < self.recheck_s:
            return loaded
        with self._load_lock:
            return self._refresh()

    def expire(self) -> None:
        """Make the next request look the deployed version and privacy policy up again."""
        self._checked_at = -math.inf
        self._policy_checked_at = -math.inf

    def refresh(self) -> LoadedModel:
        """Look the deployed version up now (after a deploy or a retirement)."""
        with self._load_lock:
            return self._refresh()

    def reload(self) -> LoadedModel:
        """Load the deployed version's artifact and scorer again (after it was compiled)."""
        with self._load_lock:
            self._loaded = None
            return self._refresh()

    def _refresh(self) -> LoadedModel:
        deployed = self._versions.deployed()
        self._checked_at = time.monotonic()
        if deployed is None:
            self._loaded = None
            raise NoDeployedModel(f"no deployed model version for {FRAUD_SYSTEM_NAME}")
        loaded = self._loaded
        if (
            loaded is not None
            and loaded.version.id == deployed.id
            and loaded.version.artifact_sha256 == deployed.artifact_sha256
        ):
            return loaded
        self._loaded = None
        artifact = load_verified_artifact(deployed, self.models_dir)
        if loaded is not None and loaded.artifact.feature_set != artifact.feature_set:
            self.state = ProcessFeatureState()
        scorer = FraudScorer(
            artifact,
            model_version=deployed.version,
            # the watch list is applied in _watchlist (a set lookup per row): the library
            # checks it with a Polars expression that costs ~1 ms per call
            rules=replace(self.rules, watchlist=frozenset()),
            state=self.state,
            clock=self.clock,
            limits=self.limits,
            compiled=load_compiled(artifact, self.compiled_dir) if self.compiled_dir else None,
        )
        registered = deployed.config.get("thresholds")
        if isinstance(registered, Mapping):
            scorer.thresholds = Thresholds(**registered)
        self._loaded = LoadedModel(deployed, artifact, scorer)
        logger.info(
            "fraud model version %s loaded (%s)",
            deployed.version,
            "compiled" if scorer.compiled is not None else "LightGBM",
        )
        return self._loaded

    def policy(self, model: LoadedModel) -> tuple[TransactionPolicy | None, Mapping[str, Action]]:
        """The privacy policy in force and the payee watch list as it looks after the
        policy (payee IDs pseudonymised like the payees they match), both re-read every
        ``recheck_s``: the policy whole, the stored watch list by its changes since the
        revision this process has."""
        cached = self._policy
        feature_set = model.artifact.feature_set
        if (
            cached is not None
            and cached[2] == feature_set
            and cached[3] is self.rules.watchlist
            and time.monotonic() - self._policy_checked_at < self.recheck_s
        ):
            return cached[0], cached[1]
        with self._policy_lock:
            return self._reread_policy(feature_set)

    def _reread_policy(
        self, feature_set: str
    ) -> tuple[TransactionPolicy | None, Mapping[str, Action]]:
        cached = self._policy
        fixed = self.rules.watchlist
        policy = self._privacy.current() if self._privacy is not None else None
        changes = self._watch_changes()
        self._policy_checked_at = time.monotonic()
        if (
            cached is None
            or policy is not cached[0]
            or cached[2] != feature_set
            or cached[3] is not fixed
        ):
            if policy is not None:
                blocked = policy.dropped(INPUT_COLUMNS[feature_set])
                if blocked:
                    self._policy = None  # no stale policy serves meanwhile: re-read each time
                    raise PolicyBlocksModel(
                        "the fraud system's privacy policy drops fields the deployed model "
                        "needs; a compliance officer must allow or pseudonymise them",
                        fields=blocked,
                    )
            fixed_action = self.rules.watchlist_action
            whole = {_shaped(policy, canonical_payee(w)): fixed_action for w in fixed}
            for w, action in self._watch_ids.items():
                key = _shaped(policy, w)
                whole[key] = _stricter(action, whole.get(key))
            watch: Mapping[str, Action] = WatchMap(whole)
        elif changes.listed or changes.unlisted:
            fixed_action = self.rules.watchlist_action
            # the stored list holds canonical forms; the fixed list is compared in them too
            fixed_ids = {canonical_payee(w) for w in fixed}
            listed = {
                _shaped(policy, w): _stricter(a, fixed_action if w in fixed_ids else None)
                for w, a in changes.listed
            }
            # a payee on the fixed list keeps its fixed action when the stored list drops it
            listed.update(
                (_shaped(policy, w), fixed_action) for w in changes.unlisted if w in fixed_ids
            )
            gone = frozenset(_shaped(policy, w) for w in changes.unlisted if w not in fixed_ids)
            previous = cached[1]
            if not isinstance(previous, WatchMap):
                previous = WatchMap(dict(previous))
            watch = previous.changed(listed, gone)
        else:
            watch = cached[1]
        self._policy = (policy, watch, feature_set, fixed)
        return policy, watch

    def _watch_changes(self) -> WatchlistChanges:
        """Apply the stored watch list's changes since the revision this process has."""
        if self._watch_source is None:
            return WatchlistChanges(self._watch_revision)
        changes = self._watch_source.changes(self._watch_revision)
        if changes.revision != self._watch_revision:
            for payee_id in changes.unlisted:
                self._watch_ids.pop(payee_id, None)
            self._watch_ids.update(changes.listed)
            if self._watch_revision >= 0:
                logger.info(
                    "fraud watch list at revision %d: %d payees listed, %d taken off",
                    changes.revision,
                    len(changes.listed),
                    len(changes.unlisted),
                )
            self._watch_revision = changes.revision
        return changes

    # ------------------------------------------------------------ online feature state

    def reset_state(self) -> None:
        """Start the online state afresh, empty: what a process does when it takes the
        scoring lease with a state that is not an exact copy of the stored decisions; the
        stored history is then folded in with :meth:`fold_stored` (see
        ``wiring.StoredHistory``)."""
        with self._load_lock:
            self.state = ProcessFeatureState()
            self._loaded = None  # the next request builds its scorer over the new state

    def fold_stored(self, events: Iterable[Mapping[str, object]]) -> int:
        """Fold stored decisions' state events (already keyed by the privacy policy) into
        the current state, in the order given: how a standby follows the scoring process.
        Returns how many."""
        return OnlineFeatureEngine(self.state).fold_all(events)

    def fold_history(self, rows: Iterable[Mapping[str, object]]) -> int:
        """Fold transactions decided elsewhere (no decisions, no ledger) into the state,
        through the privacy policy in force, so they are keyed as scored ones are."""
        policy, _watch = self.policy(self.current())
        engine = OnlineFeatureEngine(self.state)
        if policy is None:
            return engine.fold_all(rows)
        return engine.fold_all(policy(row) for row in rows)

    # ---------------------------------------------------------------------- scoring

    def score(
        self, txns: Sequence[Mapping[str, object]], *, explain: bool = False
    ) -> list[GovernedDecision]:
        """Decide every transaction of a batch (all or nothing), durably, in input order."""
        ids = self._check_ids(txns)
        model = self.current()
        digests = [request_digest(row) for row in txns]
        stored = self.store.get_many(ids)
        for txn_id, digest in zip(ids, digests, strict=True):
            found = stored.get(txn_id)
            if found is not None and found.request_sha256 != digest:
                raise TxnIdReused(
                    "this transaction ID was already decided for a different transaction",
                    txn_id=txn_id,
                )
        fresh = [i for i, txn_id in enumerate(ids) if txn_id not in stored]
        results: dict[str, GovernedDecision] = {
            txn_id: _replayed(decision) for txn_id, decision in stored.items()
        }
        if fresh:
            rows = [txns[i] for i in fresh]
            new = self._decide(model, rows, [digests[i] for i in fresh], explain=explain)
            for decision in self.store.persist(new):
                results[decision.txn_id] = decision
        return [results[txn_id] for txn_id in ids]

    def _check_ids(self, txns: Sequence[Mapping[str, object]]) -> list[str]:
        if not txns:
            raise FraudInputError("send at least one transaction", problems=["empty batch"])
        if len(txns) > self.limits.max_batch:
            raise FraudInputError(
                f"batch of {len(txns)} rows exceeds the limit of {self.limits.max_batch}",
                problems=["batch too large"],
            )
        problems: list[str] = []
        ids: list[str] = []
        seen: set[str] = set()
        for i, row in enumerate(txns):
            txn_id = row.get("txn_id") if isinstance(row, Mapping) else None
            if not isinstance(txn_id, str) or not txn_id.strip():
                problems.append(f"row {i}: txn_id must be a non-empty string")
            elif len(txn_id) > MAX_TXN_ID:
                problems.append(f"row {i}: txn_id is longer than {MAX_TXN_ID} characters")
            elif txn_id in seen:
                problems.append(f"row {i}: duplicate txn_id in the batch")
            else:
                seen.add(txn_id)
            ids.append(txn_id if isinstance(txn_id, str) else "")
            if len(problems) >= 20:
                break
        if problems:
            raise FraudInputError("invalid transactions: " + "; ".join(problems), problems=problems)
        return ids

    def _decide(
        self,
        model: LoadedModel,
        rows: Sequence[Mapping[str, object]],
        digests: Sequence[str],
        *,
        explain: bool,
    ) -> list[GovernedDecision]:
        hk = model.artifact.feature_set == "hk_payments_v1"
        policy, watch = self.policy(model)
        if policy is None:
            guarded = list(rows)
        else:
            _refuse_unknown_fields(rows, model.artifact.feature_set, policy)
            # checked before the policy: a blank ID's pseudonym is not blank, and a number
            # or a boolean where an ID belongs would come out of it as a text pseudonym
            raw = wrong_types(rows, model.artifact.feature_set)
            raw += blank_keys(rows) if hk else []
            if raw:
                raise FraudInputError("invalid transactions: " + "; ".join(raw), problems=raw)
            guarded = [policy(row) for row in rows]
        decisions, features = self._score_rows(model, guarded, explain, watch)
        if hk and watch:
            decisions = self._other_forms(model, rows, guarded, decisions, policy, watch)
        decided_at = format_instant(self.clock.now())
        # the state's events are kept only as a privacy policy shaped them (pseudonyms)
        keep_events = hk and policy is not None
        out: list[GovernedDecision] = []
        for row, seen, decision, digest, values in zip(
            rows, guarded, decisions, digests, features, strict=True
        ):
            # the raw customer ID, keyed the same way as the policy's CUSTOMER_ID pseudonyms
            subject = str(row["customer_id"]) if hk else f"card-txn:{decision.txn_id}"
            watch_ref = None
            if keep_events and WATCHLIST_HIT in decision.rule_hits:  # pseudonyms only
                # as matched: the payee as written, or else its canonical form
                written = str(seen.get("payee_id"))
                watch_ref = (
                    written
                    if written in watch
                    else _shaped(policy, canonical_payee(str(row.get("payee_id"))))
                )
            out.append(
                GovernedDecision(
                    txn_id=decision.txn_id,
                    score=decision.score,
                    action=decision.action,
                    model_action=decision.model_action,
                    rule_hits=decision.rule_hits,
                    reasons=decision.reasons,
                    model_version=decision.model_version,
                    version_id=model.version.id,
                    customer_ref=self._customer_ref(subject),
                    decided_at=decided_at,
                    request_sha256=digest,
                    features=values,
                    state_event=state_event(seen) if keep_events else None,
                    watch_ref=watch_ref,
                )
            )
        return out

    # The feature state is single-writer, so scoring is serialised. Concurrent requests are
    # micro-batched instead of queueing on a lock: whoever finds no scoring round running
    # takes every waiting request and scores them in one library call (its fixed cost per
    # call, about a millisecond, dominates single-transaction requests), then hands over.

    def _score_rows(
        self,
        model: LoadedModel,
        rows: Sequence[Mapping[str, object]],
        explain: bool,
        watch: Mapping[str, Action],
    ) -> tuple[list[Decision], list[dict[str, float]]]:
        mine = _Pending(model, rows, explain, watch)
        with self._turn:
            self._waiting.append(mine)
            while not mine.future.done() and self._leading:
                self._turn.wait()
            if mine.future.done():
                return mine.future.result()
            self._leading = True
            batch, self._waiting = self._waiting, []
        try:
            self._score_round(batch)
        finally:
            with self._turn:
                self._leading = False
                self._turn.notify_all()
        return mine.future.result()

    def _score_round(self, batch: list[_Pending]) -> None:
        groups: dict[tuple[int, bool, int], list[_Pending]] = {}
        for item in batch:
            groups.setdefault((id(item.model), item.explain, id(item.watch)), []).append(item)
        for items in groups.values():
            try:
                merged = [row for item in items for row in item.rows]
                if len(items) > 1 and len(merged) <= self.limits.max_batch:
                    try:
                        decisions, features = self._score_now(
                            items[0].model, merged, items[0].explain, items[0].watch
                        )
                    except FraudInputError:
                        pass  # score each request alone: only the bad one fails
                    else:
                        start = 0
                        for item in items:
                            end = start + len(item.rows)
                            item.future.set_result((decisions[start:end], features[start:end]))
                            start = end
                        continue
                for item in items:
                    try:
                        item.future.set_result(
                            self._score_now(item.model, item.rows, item.explain, item.watch)
                        )
                    except Exception as exc:  # handed to the waiting request
                        item.future.set_exception(exc)
            except Exception as exc:  # never leave a request waiting
                for item in items:
                    if not item.future.done():
                        item.future.set_exception(exc)

    def _score_now(
        self,
        model: LoadedModel,
        rows: Sequence[Mapping[str, object]],
        explain: bool,
        watch: Mapping[str, Action],
    ) -> tuple[list[Decision], list[dict[str, float]]]:
        decisions = model.scorer.score_batch(rows, explain=explain)
        if model.artifact.feature_set == "hk_payments_v1" and watch:
            decisions = self._watchlist(model, rows, decisions, watch)
        features = [self._features(model, row, d) for row, d in zip(rows, decisions, strict=True)]
        return decisions, features

    def _watchlist(
        self,
        model: LoadedModel,
        rows: Sequence[Mapping[str, object]],
        decisions: list[Decision],
        watch: Mapping[str, Action],
    ) -> list[Decision]:
        """Apply the high-risk payee watch list; escalated decisions get reason codes."""
        out: list[Decision] = []
        for row, decision in zip(rows, decisions, strict=True):
            listed = watch.get(str(row.get("payee_id")))
            if listed is None:
                out.append(decision)
                continue
            action = max(decision.action, listed, key=ACTION_RANK.__getitem__)
            reasons = decision.reasons
            if not reasons and action != "allow":
                values = model.scorer.state.remembered(decision.txn_id)
                if values is not None:
                    x = np.asarray([values], dtype=np.float64)
                    booster = model.scorer.booster_
                    reasons = top_reasons(
                        model.artifact.feature_names,
                        x,
                        contributions(booster, x),
                        top_k=model.scorer.top_k_reasons,
                    )[0]
            out.append(
                replace(
                    decision,
                    action=action,
                    rule_hits=(*decision.rule_hits, WATCHLIST_HIT),
                    reasons=reasons,
                )
            )
        return out

    def _other_forms(
        self,
        model: LoadedModel,
        rows: Sequence[Mapping[str, object]],
        guarded: Sequence[Mapping[str, object]],
        decisions: list[Decision],
        policy: TransactionPolicy | None,
        watch: Mapping[str, Action],
    ) -> list[Decision]:
        """The watch list for payees written in another form than the list's canonical one
        (``+852-91234567`` for a listed ``91234567``). Scoring matched the payee as written
        (the common case costs nothing more); here only payees whose canonical form differs
        are looked up again."""
        hits: dict[str, Action] = {}
        for raw, seen in zip(rows, guarded, strict=True):
            payee = str(raw.get("payee_id"))
            canonical = canonical_payee(payee)
            if canonical != payee:
                listed = watch.get(_shaped(policy, canonical))
                if listed is not None:
                    hits[str(seen.get("payee_id"))] = listed
        return self._watchlist(model, guarded, decisions, hits) if hits else decisions

    def _features(
        self, model: LoadedModel, row: Mapping[str, object], decision: Decision
    ) -> dict[str, float]:
        if model.artifact.feature_set == "hk_payments_v1":
            # the state this decision was scored on: a rebuild may have replaced
            # ``self.state`` since (the lease was lost while the request ran)
            remembered = model.scorer.state.remembered(decision.txn_id)
            if remembered is None:  # pragma: no cover - the engine always remembers
                return {}
            return dict(zip(FEATURE_NAMES, remembered, strict=True))
        values: dict[str, float] = {}
        for name in model.artifact.feature_names:
            if name == "hour":
                raw = row.get("Time")
                values[name] = (
                    (float(raw) % 86_400) / 3_600 if isinstance(raw, int | float) else 0.0
                )
            else:
                raw = row.get(name)
                values[name] = float(raw) if isinstance(raw, int | float) else 0.0
        return values


#: Per feature set: the fields a scoring request may carry without the policy naming them.
_KNOWN_FIELDS: dict[str, frozenset[str]] = {
    name: frozenset(columns) | LABEL_COLUMNS for name, columns in INPUT_COLUMNS.items()
}


def _refuse_unknown_fields(
    rows: Sequence[Mapping[str, object]], feature_set: str, policy: TransactionPolicy
) -> None:
    """Fields neither in the model's input nor named by the privacy policy are refused (a
    typo must not vanish silently into the policy's default); fields the policy names, such
    as ``hkid`` or ``name``, are dropped or transformed by it before anything else."""
    expected = _KNOWN_FIELDS[feature_set]
    problems: list[str] = []
    for i, row in enumerate(rows):
        extra = sorted(k for k in row if k not in expected and not policy.listed(k))
        if extra:
            problems.append(f"row {i}: unexpected fields {extra}")
            if len(problems) >= 20:
                break
    if problems:
        raise FraudInputError("invalid transactions: " + "; ".join(problems), problems=problems)


class _Pending:
    """One request waiting for a scoring round."""

    __slots__ = ("explain", "future", "model", "rows", "watch")

    def __init__(
        self,
        model: LoadedModel,
        rows: Sequence[Mapping[str, object]],
        explain: bool,
        watch: Mapping[str, Action],
    ) -> None:
        self.model = model
        self.rows = rows
        self.explain = explain
        self.watch = watch
        self.future: Future[tuple[list[Decision], list[dict[str, float]]]] = Future()


def _replayed(decision: GovernedDecision) -> GovernedDecision:
    return replace(decision, replayed=True)


__all__ = [
    "FRAUD_SYSTEM_NAME",
    "DecisionStore",
    "GovernedDecision",
    "GovernedFraudService",
    "LoadedModel",
    "NoDeployedModel",
    "PolicyBlocksModel",
    "PolicySource",
    "ProcessFeatureState",
    "ScoringOwnedElsewhere",
    "TransactionPolicy",
    "TxnIdReused",
    "VersionSource",
    "artifact_directory",
    "load_verified_artifact",
    "request_digest",
]
