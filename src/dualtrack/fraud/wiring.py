"""Composition of fraud detection into the platform: governed scoring, cases, training, demo.

* :func:`service` - the platform's :class:`GovernedFraudService` (built once): the deployed
  version of "Card and FPS fraud detection", SQL decisions group-committed with the ledger
  through one :class:`GroupCommitter` per platform (closed with the platform).
* :func:`cases` - :class:`FraudCaseDesk`: the alert queue, case views and analyst verdicts
  (role ``analyst`` or ``compliance_officer``), each verdict and its ledger entry in one
  transaction; labels for retraining.
* :func:`watchlist` - :class:`FraudWatchlistDesk`: the stored high-risk payee watch list
  (:mod:`dualtrack.fraud.watchlist`), each change and its ledger entry in one transaction;
  scoring processes read its changes every second.
* :func:`train_and_register` - train on simulated Hong Kong payments or the ULB data, save
  the artifact under ``<var_dir>/models/fraud/<sha256>/`` and register a *draft* model
  version (artifact hash, data fingerprint, metrics, thresholds in ``config``).
* :func:`seed_demo` - a small trained model taken through maker-checker to deployment, and
  two simulated days scored through the governed path so the alert queue has cases.

Customer pseudonyms: ``CUSTOMER_ID_<hmac>`` from the privacy library's
:class:`~dualtrack.privacy.transform.Pseudonymiser` keyed with ``DUALTRACK_PSEUDONYM_KEY``
when it is set, otherwise with a key derived (HMAC-SHA256, label
``dualtrack.fraud.customer-ref``) from ``DUALTRACK_SECRET_KEY``; raw customer IDs never
reach the ledger, alerts or cases.
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import logging
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import orjson
import polars as pl

from dualtrack.adapters.fraud_responses_sql import add_response, responses_for
from dualtrack.adapters.fraud_sql import (
    SavedState,
    SqlCaseRepository,
    SqlDecisionStore,
    SqlDeployedVersion,
    SqlFraudPolicy,
    SqlScoringLease,
    SqlStateSnapshots,
    decision_counts,
    decisions_by_id,
    decisions_for_customer,
    last_simulated_txn,
    ledger_hash_at,
    ledger_head,
    ledger_sink,
    read_engine,
)
from dualtrack.adapters.fraud_watchlist_sql import (
    SqlWatchlistChanges,
    SqlWatchlistRepository,
    refresh_statistics,
)
from dualtrack.adapters.group_commit import GroupCommitter
from dualtrack.adapters.sql import SqlUnitOfWork
from dualtrack.background import BackgroundLoop
from dualtrack.bootstrap import Platform
from dualtrack.errors import Conflict, InvalidInput, NotFound, PlatformError, RoleNotAllowed
from dualtrack.fraud import compiled
from dualtrack.fraud.datasets import ULB_FEATURES, fetch_ulb, load_ulb
from dualtrack.fraud.domain import Alert, BudgetPolicy, Case, CaseStatus, CostPolicy, Label
from dualtrack.fraud.ensemble import BAGGED_SEEDS, ULB_BAG_PARAMS, train_bagged_model
from dualtrack.fraud.errors import ModelArtifactError
from dualtrack.fraud.features import FEATURE_NAMES, with_features
from dualtrack.fraud.governed import (
    FRAUD_SYSTEM_NAME,
    GovernedDecision,
    GovernedFraudService,
    ScoringOwnedElsewhere,
    format_instant,
)
from dualtrack.fraud.memory import PART_ITEMS, InMemoryFeatureStateStore
from dualtrack.fraud.model import TrainingResult, train_model
from dualtrack.fraud.responses import (
    CustomerResponse,
    checked_channel,
    checked_response,
    needs_recording,
)
from dualtrack.fraud.service import CaseService, SystemClock
from dualtrack.fraud.simulator import HKPaymentsSimulator, SimulatorConfig
from dualtrack.fraud.watchlist import (
    DueListings,
    WatchEntry,
    WatchlistEdit,
    WatchlistPage,
    WatchlistService,
    WatchlistSync,
    WatchSource,
)
from dualtrack.identity.domain import Actor, Role
from dualtrack.identity.service import IdentityService, RememberedApiKeys
from dualtrack.ledger.domain import LedgerEntry
from dualtrack.privacy import wiring as privacy_wiring
from dualtrack.privacy.domain import PrivacyPolicy
from dualtrack.privacy.policy import RecordPolicy, default_policies
from dualtrack.privacy.transform import Encryptor, Pseudonymiser
from dualtrack.registry.domain import Lifecycle, ModelVersion

logger = logging.getLogger(__name__)

ANALYST_ROLES = frozenset({Role.ANALYST, Role.COMPLIANCE_OFFICER})
CUSTOMER_ENTITY = "CUSTOMER_ID"
PAYEE_ENTITY = "PAYEE_ID"
#: The shipped privacy-policy template the fraud system runs under until one is stored.
FRAUD_POLICY = "fraud-scoring"
#: Seeded, small and fraud-rich: the demo model trains in a few seconds.
DEMO_SIMULATION = SimulatorConfig(
    n_customers=2_000,
    n_merchants=400,
    days=16,
    seed=2026,
    card_cnp_rate=12.0,
    account_takeover_rate=8.0,
    app_scam_rate=8.0,
    mule_fan_in_rate=4.0,
    structuring_rate=4.0,
)
DEMO_TRAIN_DAYS = 14
DEMO_PARAMS: dict[str, Any] = {
    "learning_rate": 0.15,
    "num_leaves": 15,
    "num_threads": 1,
    "metric": "auc",
}
DEMO_VERSION = "2026.11.demo"
Progress = Callable[[str], None]


def models_dir(platform: Platform) -> Path:
    return platform.settings.var_dir / "models" / "fraud"


def compiled_dir(platform: Platform) -> Path:
    """Where ``dualtrack fraud compile`` keeps compiled models (see ``fraud.compiled``)."""
    return platform.settings.var_dir / "cache" / "compiled"


def compile_deployed(platform: Platform) -> tuple[ModelVersion, Path, float]:
    """Compile the deployed version's model into :func:`compiled_dir` and check it agrees
    with LightGBM; this process's scoring service switches to it at once (another serving
    process when it next loads the model: a restart or a new deployment). Returns the
    version, the library and the seconds compiling took (about 0 if it was there)."""
    governed = service(platform)
    loaded = governed.refresh()
    started = time.perf_counter()
    path = compiled.compile_model(loaded.artifact, compiled_dir(platform))
    seconds = time.perf_counter() - started
    # reloading runs the same checks every later load does (digest, agreement on the probe)
    if governed.reload().scorer.compiled is None:
        path.unlink(missing_ok=True)
        raise ModelArtifactError(
            "the compiled model does not agree with LightGBM; it was removed",
            version=loaded.version.version,
        )
    return loaded.version, path, seconds


#: Recent identifier tokens the fraud path keeps (customers, accounts, payees and devices
#: recur; a hit skips the HMAC). About 200 bytes an entry.
TOKEN_CACHE_SIZE = 131_072


def fraud_pseudonymiser(platform: Platform) -> Pseudonymiser:
    """The fraud path's keyed pseudonymiser (see the module docstring for the key), built
    once per platform; its token cache is shared by the privacy policy and the customer
    references of cases and ledger entries."""

    def build(p: Platform) -> Pseudonymiser:
        settings = p.settings
        secret = settings.pseudonym_key.get_secret_value() if settings.pseudonym_key else ""
        if secret:
            key = secret.encode()
        else:
            key = hmac.new(
                settings.secret_key.get_secret_value().encode(),
                b"dualtrack.fraud.customer-ref",
                hashlib.sha256,
            ).digest()
        return Pseudonymiser(key, cache_size=TOKEN_CACHE_SIZE)

    return platform.feature("fraud.pseudonymiser", build)


def payee_pseudonymiser(platform: Platform) -> Callable[[str], str]:
    """``payee ID -> PAYEE_ID_<hex>``: the token the shipped privacy policy gives the
    ``payee_id`` field (what the watch list's ledger entries name)."""
    pseudonymiser = fraud_pseudonymiser(platform)
    return lambda payee_id: pseudonymiser.token(PAYEE_ENTITY, payee_id)


def customer_pseudonymiser(platform: Platform) -> Callable[[str], str]:
    """``customer ID -> CUSTOMER_ID_<hex>``: the token the privacy policy gives the
    ``customer_id`` field, so cases and ledger entries name the customer the model saw."""
    pseudonymiser = fraud_pseudonymiser(platform)
    return lambda customer_id: pseudonymiser.token(CUSTOMER_ENTITY, customer_id)


def policy_source(platform: Platform) -> SqlFraudPolicy[RecordPolicy]:
    """The fraud system's privacy policy, prepared with the fraud path's keys."""
    pseudonymiser = fraud_pseudonymiser(platform)
    ekey, _help = privacy_wiring.encryption_key(platform.settings)
    encryptor = Encryptor(ekey) if ekey else None

    def prepare(policy: PrivacyPolicy) -> RecordPolicy:
        return RecordPolicy(
            policy,
            guard=privacy_wiring.service(platform).guard,
            pseudonymiser=pseudonymiser,
            encryptor=encryptor,
        )

    return SqlFraudPolicy(
        _reader(platform), FRAUD_SYSTEM_NAME, prepare, default_policies()[FRAUD_POLICY]
    )


def committer(platform: Platform) -> GroupCommitter:
    """The platform's group committer for fraud decisions (closed with the platform)."""

    def build(p: Platform) -> GroupCommitter:
        # no linger: requests arriving during a commit form the next batch by themselves
        built = GroupCommitter(p.engine, linger_s=0.0)
        p.on_close(built.close)
        return built

    return platform.feature("fraud.committer", build)


def _reader(platform: Platform) -> Any:
    def build(p: Platform) -> Any:
        engine = read_engine(p.engine)
        if engine is not p.engine:
            p.on_close(engine.dispose)
        return engine

    return platform.feature("fraud.reader", build)


def _build(platform: Platform) -> GovernedFraudService:
    reader = _reader(platform)
    clock = SystemClock()
    # the feature state starts empty: it is built from the stored decisions when this
    # process takes the scoring lease (``_take_over``), so a process that only reads (a
    # dashboard page, ``fraud compile``) never pays for folding the history
    return GovernedFraudService(
        versions=SqlDeployedVersion(reader, FRAUD_SYSTEM_NAME),
        store=SqlDecisionStore(committer(platform), reader, clock),
        customer_ref=customer_pseudonymiser(platform),
        models_dir=models_dir(platform),
        clock=clock,
        privacy=policy_source(platform),
        compiled_dir=compiled_dir(platform),
        watchlist=SqlWatchlistChanges(reader),
    )


def read_identity(platform: Platform) -> IdentityService:
    """The identity service over the read engine, for authenticating hot-path requests.

    On SQLite the platform engine opens every transaction with ``BEGIN IMMEDIATE``, so the
    core's API-key lookup queues behind each group commit; this one reads without the lock
    (same checks, same tables)."""
    reader = _reader(platform)
    return platform.feature(
        "fraud.identity", lambda p: IdentityService(lambda: SqlUnitOfWork(reader))
    )


def scoring_keys(platform: Platform) -> RememberedApiKeys:
    """API-key checks for the scoring route: :func:`read_identity`, with a key that verified
    trusted again for one second (a revocation reaches scoring within that second)."""
    return platform.feature(
        "fraud.scoring-keys", lambda p: RememberedApiKeys(read_identity(p), ttl_s=1.0)
    )


def service(platform: Platform) -> GovernedFraudService:
    """The platform's governed fraud scoring service (built once per platform). Its feature
    state holds the stored history only once this process holds the scoring lease: score
    through :func:`scoring_service`."""
    return platform.feature("fraud", _build)


class ScoringOwnership:
    """This process's hold on the database's fraud scoring lease (:class:`SqlScoringLease`).

    The online feature state lives in the scoring process, so only one process may score
    on a database at a time: the API's scoring route, the dashboard's demo feed and
    ``dualtrack fraud score`` go through :func:`scoring_service`, which calls :meth:`ensure`
    first. Once held, the lease is renewed from a background thread every third of its TTL.
    If renewing finds another holder (this process stalled for longer than the TTL and was
    replaced), this process stops scoring until it can claim the lease again, and
    ``on_lost`` runs (a server then stands by: :meth:`StoredHistory.lost`).
    :meth:`close` releases it (the platform closes it).

    ``prepare`` runs after each claim and before the lease counts as held, under the lock:
    it brings the feature state up to date with the stored decisions, so a request that
    arrives meanwhile waits for it instead of scoring on a half-built state. Renewal runs
    during ``prepare``, so a long rebuild does not let the lease expire."""

    def __init__(
        self,
        lease: SqlScoringLease,
        prepare: Callable[[], None],
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        self.lease = lease
        self._on_lost = on_lost
        #: how many times this process has taken the lease (more than once: it gave it up
        #: or lost it in between, and others may have scored meanwhile)
        self.claims = 0
        self._prepare = prepare
        self._held = False
        self._lock = threading.Lock()
        self._loop = BackgroundLoop("fraud-scoring-lease", self._renew)

    @property
    def held(self) -> bool:
        return self._held

    def ensure(self) -> None:
        """Claim the lease unless this process holds it, and prepare the state. Raises
        ``ScoringOwnedElsewhere`` while another live process holds it."""
        if self._held:
            return
        with self._lock:
            if self._held:
                return
            self.lease.claim()
            self._loop.start()
            try:
                self._prepare()
            except BaseException:
                self._loop.stop()
                self._release()
                raise
            self._held = True
            self.claims += 1

    def _renew(self, stop: threading.Event) -> None:
        while not stop.wait(self.lease.ttl_s / 3):
            try:
                still_ours = self.lease.beat()
            except Exception:  # a database hiccup: try again next round
                logger.warning("could not renew the fraud scoring lease", exc_info=True)
                continue
            if not still_ours:
                logger.error(
                    "another process took over the fraud scoring lease; scoring here "
                    "stops until this process can claim it again"
                )
                with self._lock:  # so that no claim can come between these
                    self._held = False
                    self._loop = BackgroundLoop("fraud-scoring-lease", self._renew)
                    if self._on_lost is not None:
                        self._on_lost()
                return

    def close(self) -> None:
        self._loop.stop()  # outside the lock: the renewing thread may be waiting for it
        with self._lock:
            if self._held:
                self._held = False
                self._release()

    def _release(self) -> None:
        try:
            self.lease.release()
        except Exception:  # the lease then expires after its TTL
            logger.warning("could not release the fraud scoring lease", exc_info=True)


def scoring_ownership(platform: Platform) -> ScoringOwnership:
    """The platform's :class:`ScoringOwnership` (released when the platform closes)."""

    def build(p: Platform) -> ScoringOwnership:
        lease = SqlScoringLease(p.engine, ttl_s=p.settings.fraud_lease_ttl_s)
        built = ScoringOwnership(
            lease, lambda: _take_over(p), on_lost=lambda: stored_history(p).lost()
        )
        p.on_close(built.close)
        return built

    return platform.feature("fraud.scoring-ownership", build)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector: dumping or loading a state makes millions
    of short-lived or new containers, and the collector's passes over the growing heap
    took most of the time (load: 4.7 s against 0.9 s for 200k decisions; dump: 1.58 s
    against 0.52 s). Neither makes reference cycles, so nothing is left for it to find."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


class _OtherLedger(ValueError):
    """A saved state that does not belong to this database's ledger."""


#: a save writes the whole state again, instead of only the keys changed since the save it
#: builds on, once the saved state holds this many layers (one whole state, then one layer
#: per save of changed keys), once its layers of changed keys hold this share of the whole
#: state's bytes (each layer is read in full when the state is loaded), or when the keys
#: changed are this share of the whole state's keys
MAX_LAYERS = 32
CHANGED_SHARE = 0.5


class StateSnapshots:
    """The feature state saved in the database (:class:`SqlStateSnapshots`), so that the
    next process to take the lease, on this machine or any other, loads it and folds only
    the decisions stored after it instead of the whole history. The scoring process saves
    its state when it stops; a standby server saves the state it follows every
    ``DUALTRACK_FRAUD_CHECKPOINT_S`` seconds (:meth:`StoredHistory.checkpoint`), which
    covers a holder that crashed.

    A save writes only the keys changed since the state was last saved or loaded, as a
    layer on top of the saved state, when that saved state is the one this state was marked
    as (same ledger position and hash, which name one exact state); it writes the whole
    state when there is nothing to build on, or at :data:`MAX_LAYERS` and
    :data:`CHANGED_SHARE`. Loading reads the whole state's parts, then each layer's, later
    keys replacing earlier ones.

    A saved state records the ledger position it is exact at and the ledger's hash there;
    it is used only if this database's ledger has that hash at that position (so a state
    copied from another database, or saved before the ledger was rewritten, is never
    used), if it was written under the same feature definition, and if its HMAC (keyed
    from ``DUALTRACK_SECRET_KEY``) verifies. Anything else is logged and not used (one of
    another ledger is also deleted: it can never be used here, and a save would otherwise
    have to wait for the ledger to pass its position); the state is then built from every
    stored decision, as without one."""

    def __init__(
        self,
        stored: SqlStateSnapshots,
        key: bytes,
        reader: Any,
        *,
        part_items: int = PART_ITEMS,
        max_layers: int = MAX_LAYERS,
        changed_share: float = CHANGED_SHARE,
    ) -> None:
        self.stored = stored
        self._key = key
        self._reader = reader
        self.part_items = part_items
        self.max_layers = max_layers
        self.changed_share = changed_share
        #: what the last successful :meth:`save` wrote: ``whole`` (or only changed keys),
        #: ``keys`` written, ``layers`` now stored
        self.last_save: dict[str, Any] | None = None

    def save(
        self,
        state: object,
        position: int,
        ledger_hash: str | None = None,
        *,
        whole: bool = False,
        cancelled: Callable[[], bool] | None = None,
    ) -> int | None:
        """Save ``state`` as exact at ledger ``position`` (``ledger_hash`` is looked up when
        not given); returns the bytes written, or None when nothing was: a state of another
        kind, no ledger entry at ``position``, or a state saved at that or a later position.
        The state must not change while it is saved (callers hold it still). ``cancelled``
        is asked after each part is dumped and before the write: once it says so, the
        save stops and returns None (a standby taking over gives way no later than one
        part's dump, not the whole state's).

        It goes in compressed parts of whole keys (:meth:`~InMemoryFeatureStateStore.
        dump_parts`): only the changed keys when the saved state allows (see the class
        docstring), unless ``whole``. The header lists every layer's parts by SHA-256 and is
        signed (HMAC-SHA256), so a changed, missing, extra or reordered part makes the
        whole saved state unusable."""
        if not isinstance(state, InMemoryFeatureStateStore):
            return None
        if ledger_hash is None:
            ledger_hash = ledger_hash_at(self._reader, position)
            if ledger_hash is None:
                return None
        saved_as, changed = state.take_changes()
        try:
            size = self._save(state, position, ledger_hash, saved_as, changed, whole, cancelled)
        except BaseException:
            state.keep_changes(changed)
            raise
        if size is None:
            state.keep_changes(changed)
        return size

    def _save(
        self,
        state: InMemoryFeatureStateStore,
        position: int,
        ledger_hash: str,
        saved_as: object,
        changed: set[str],
        whole: bool,
        cancelled: Callable[[], bool] | None,
    ) -> int | None:
        below: list[dict[str, Any]] = []
        parent: tuple[int, str] | None = None
        if not whole:
            try:
                head = self.stored.head()
            except Exception:  # the database failed: the put below tells
                head = None
            if head is not None and head.position >= position:
                return None  # as new or newer already saved: dump nothing
            if head is not None and saved_as == (head.position, head.ledger_hash):
                below = self._layers_to_build_on(head, len(changed))
                parent = (head.position, head.ledger_hash) if below else None
        parts: list[bytes] = []
        with _collector_paused():
            for part in state.dump_parts(self.part_items, only=changed if below else None):
                if cancelled is not None and cancelled():
                    return None
                parts.append(zlib.compress(part, 1))
        if cancelled is not None and cancelled():
            return None
        written = sum(len(part) for part in parts)
        layer: dict[str, Any] = {
            "position": position,
            "keys": len(changed) if below else len(state),
            "bytes": written,
            "parts": [hashlib.sha256(part).hexdigest() for part in parts],
        }
        layers = [*below, layer]
        header = orjson.dumps({"position": position, "ledger_hash": ledger_hash, "layers": layers})
        signed = hmac.new(self._key, header, hashlib.sha256).digest() + header
        size = len(signed) + sum(int(each["bytes"]) for each in layers)
        if not self.stored.put(position, ledger_hash, signed, parts, parent=parent, size=size):
            if below:  # the saved state moved on meanwhile (a rare race): write it whole
                return self._save(state, position, ledger_hash, None, changed, True, cancelled)
            return None
        # keys changed while this ran stay counted for the next save
        state.mark_saved((position, ledger_hash), forget_changes=False)
        self.last_save = {"whole": not below, "keys": layer["keys"], "layers": len(layers)}
        return len(signed) + written

    def last_save_text(self) -> str:
        """:attr:`last_save` in words, for logs."""
        last = self.last_save
        if last is None:
            return "nothing"
        if last["whole"]:
            return f"the whole state, {last['keys']} keys"
        return f"the {last['keys']} keys changed, as layer {last['layers']}"

    def _layers_to_build_on(self, head: SavedState, changed: int) -> list[dict[str, Any]]:
        """The layers of the saved state ``head`` if a layer of ``changed`` keys may go on
        top of them (see :data:`MAX_LAYERS`), else none (write the whole state)."""
        share = self.changed_share
        try:
            layers = self._layers(self._verified(head.body or b""), head.position)
            whole_bytes, whole_keys = int(layers[0]["bytes"]), int(layers[0]["keys"])
            changed_bytes = sum(int(layer["bytes"]) for layer in layers[1:])
        except (ValueError, KeyError, TypeError, IndexError):  # unreadable: write it whole
            return []
        if (
            len(layers) >= self.max_layers
            or changed_bytes >= share * whole_bytes
            or changed > share * whole_keys
        ):
            return []
        return layers

    def _verified(self, signed: bytes) -> dict[str, Any]:
        header = signed[32:]
        expected = hmac.new(self._key, header, hashlib.sha256).digest()
        if not hmac.compare_digest(signed[:32], expected):
            raise ValueError("its signature does not verify")
        try:
            meta = orjson.loads(header)
        except orjson.JSONDecodeError:  # a signed zlib body: the layout before parts
            raise ValueError("it was saved before migration fraud_0005 (no parts)") from None
        if not isinstance(meta, dict):
            raise ValueError("its header is not an object")
        return meta

    @staticmethod
    def _layers(meta: Mapping[str, Any], position: int) -> list[dict[str, Any]]:
        """The header's layers; one saved before layers has one (its parts, at its
        position; the key count only matters to later saves, which it no longer takes)."""
        if "layers" in meta:
            return list(meta["layers"])
        return [{"position": position, "keys": 0, "bytes": 0, "parts": list(meta["parts"])}]

    def load(self, state: object) -> int | None:
        """Restore ``state`` from the saved one and return its ledger position, or None
        (and leave ``state`` alone) when there is none that may be used."""
        if not isinstance(state, InMemoryFeatureStateStore):
            return None
        try:
            saved = self.stored.get()
        except Exception:  # the database failed: never a reason not to score
            logger.warning("saved fraud feature state not read", exc_info=True)
            return None
        if saved is None or saved.body is None:
            return None
        started = time.perf_counter()
        try:
            meta = self._verified(saved.body)
            position, ledger_hash = int(meta["position"]), str(meta["ledger_hash"])
            layers = self._layers(meta, position)
            listed = [digest for layer in layers for digest in layer["parts"]]
            digests = [hashlib.sha256(part).hexdigest() for part in saved.parts]
            if digests != listed:
                raise ValueError(
                    f"its parts do not match its header ({len(saved.parts)} read, "
                    f"{len(listed)} listed in {len(layers)} layers)"
                )
            if ledger_hash_at(self._reader, position) != ledger_hash:
                raise _OtherLedger("it does not belong to this database's ledger")
            with _collector_paused():
                state.restore_parts(zlib.decompress(part) for part in saved.parts)
            state.mark_saved((position, ledger_hash))
        except _OtherLedger as exc:
            # it can never be used on this database, and it may be ahead of the ledger (one
            # restored from a backup), where no save would replace it: deleted
            logger.warning("saved fraud feature state not used, and deleted: %s", exc)
            try:
                self.stored.discard(saved.position, saved.ledger_hash)
            except Exception:  # left in place: a later save replaces it
                logger.warning("could not delete the unusable fraud feature state", exc_info=True)
            return None
        except (ValueError, KeyError, TypeError, zlib.error) as exc:
            # left in place (another key or feature definition may be this process's
            # mistake, as in a rolling upgrade); the next save replaces it
            logger.warning("saved fraud feature state not used: %s", exc)
            return None
        except Exception:  # the database failed while checking it: try again next time
            logger.warning("saved fraud feature state not checked", exc_info=True)
            return None
        logger.info(
            "fraud feature state loaded as saved at ledger position %d by host %s on %s "
            "(%.1f MB in %d layer%s) in %.1f s",
            position,
            saved.saved_by,
            saved.saved_at,
            saved.size / 1e6,
            len(layers),
            "" if len(layers) == 1 else "s",
            time.perf_counter() - started,
        )
        return position


class StoredHistory:
    """Keeps a process's online feature state equal to the stored decisions, folded in the
    order they were stored (ledger order), from a remembered ledger position on.

    * :meth:`follow` - a process that does not hold the scoring lease (a standby server)
      folds what the holder stores every ``poll_s`` seconds from a background thread, so
      its state trails the holder's by about that much;
    * :meth:`take_over` - run when this process takes the lease: folds what is new since
      the remembered position (everything, the first time), and from then on the state
      also takes this process's own scoring, live. A state that has taken live scoring is
      no longer an exact copy of the store (a write can fail after its features were
      counted, and this process's own decisions would be read back a second time), so the
      next :meth:`take_over` (after the lease was given up or lost) starts afresh.

    * :meth:`checkpoint` - while following, the state is an exact copy of the store up to
      :attr:`position`: every ``checkpoint_s`` seconds the follower saves it
      (:class:`StateSnapshots`) when it has moved on, so that if the holder crashes and no
      standby is left, the next process starts from there instead of from the first
      decision (the holder saves its own state only when it stops cleanly: dumping it
      while scoring would stall requests).

    Stored decisions are folded in ledger order because the ledger commits in sequence
    order (appends lock its head): a reader sees a prefix of it, so reading on from the
    last position gets each decision once, while the holder keeps storing more."""

    def __init__(
        self,
        governed: GovernedFraudService,
        store: SqlDecisionStore,
        *,
        poll_s: float,
        snapshots: StateSnapshots | None = None,
        checkpoint_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.governed = governed
        self.store = store
        self.poll_s = poll_s
        self.snapshots = snapshots
        self.checkpoint_s = checkpoint_s
        self._clock = clock
        #: whether the state changed since it was last saved or loaded, and when a save
        #: was last tried (or the state loaded)
        self._unsaved = False
        self._last_save: float | None = None
        #: the ledger position of the saved state it last started from (None: none)
        self.restored_at: int | None = None
        #: the ledger position up to which the state holds exactly the stored decisions
        #: (None: it must be built afresh)
        self.position: int | None = None
        #: how many times the state was built afresh (from the first stored decision, or
        #: from a saved state: ``restored_at``)
        self.rebuilds = 0
        #: what the last :meth:`take_over` did: (decisions folded, whether afresh)
        self.last_take_over: tuple[int, bool] | None = None
        #: set in a server (:func:`serve_scoring`): it follows while it does not score
        self.stands_by = False
        self._live = False
        self._lock = threading.Lock()
        #: set while :meth:`take_over` waits: a checkpoint in progress stops (see there)
        self._taking_over = threading.Event()
        self._loop = BackgroundLoop("fraud-state-follower", self._follow)

    @property
    def following(self) -> bool:
        return self._loop.running

    def follow(self) -> None:
        """Start folding the stored decisions in the background (no-op when ``poll_s`` is
        0, while following, or once this process scores)."""
        if self.poll_s > 0 and not self._live:
            self._loop.start()

    def stop(self) -> None:
        self._loop.stop()

    def lost(self) -> None:
        """This process lost the lease (another took it over): its state no longer
        follows the store, so a server builds it afresh in the background and follows the
        new holder (requests still scoring on the old state keep it; what they store is
        read back like any other decision)."""
        with self._lock:
            self._live = False
            self.position = None
        if self.stands_by:
            self.follow()

    def take_over(self) -> tuple[int, bool]:
        """Bring the state up to date with every stored decision before this process
        scores; returns how many decisions were folded and whether it started afresh.

        A checkpoint the follower is saving meanwhile gives up (after the part it is
        dumping), so taking over does not wait for a whole save, which takes minutes for a
        bank's state; the saved state stays as it was."""
        self._taking_over.set()
        try:
            self._loop.stop()
            with self._lock:
                fresh = self._live or self.position is None
                if fresh:
                    self.position = None
                folded = self._catch_up()
                self._live = True
                self.position = None  # live scoring from here on: see the class docstring
                self.last_take_over = (folded, fresh)
                return folded, fresh
        finally:
            self._taking_over.clear()

    def catch_up(self, on_batch: Callable[[int], None] | None = None) -> int:
        """Fold the decisions stored since the last call (all of them the first time);
        nothing once this process scores. Returns how many were folded; ``on_batch`` gets
        the count after each batch read."""
        with self._lock:
            return 0 if self._live else self._catch_up(on_batch=on_batch)

    def _catch_up(self, batch: int = 5_000, on_batch: Callable[[int], None] | None = None) -> int:
        if self.position is None:
            self.governed.reset_state()
            restored = None
            if self.snapshots is not None:
                restored = self.snapshots.load(self.governed.state)
            self.restored_at = restored
            self.position = restored or 0
            self.rebuilds += 1
            # a state just loaded need not be saved again until checkpoint_s from now
            self._unsaved = False
            self._last_save = self._clock() if restored is not None else None
        folded = 0
        try:
            while True:
                read = self.store.state_events_after(self.position, limit=batch)
                new = self.governed.fold_stored(read.events)
                folded += new
                self._unsaved = self._unsaved or new > 0
                self.position = read.position
                if on_batch is not None:
                    on_batch(folded)
                if read.entries < batch:
                    return folded
        except BaseException:
            self.position = None  # a fold may have stopped half-way: start afresh next time
            raise

    def checkpoint(
        self, *, now: bool = False, cancelled: Callable[[], bool] | None = None
    ) -> int | None:
        """Save the followed state if stored decisions changed it since it was last saved
        or loaded, and ``checkpoint_s`` has passed since (at once after a rebuild from the
        first decision, or with ``now``); returns the bytes saved, or None. Nothing once
        this process scores. The save gives up (writing nothing) when this process takes
        over, or once ``cancelled`` says so (``save-state --every`` being stopped)."""
        if self.snapshots is None or (self.checkpoint_s <= 0 and not now):
            return None
        with self._lock:
            position = self.position
            if self._live or not position or not self._unsaved:
                return None
            tried = self._clock()
            waited = tried - self._last_save if self._last_save is not None else None
            if not now and waited is not None and waited < self.checkpoint_s:
                return None
            # a failed save is tried again after the interval, not at every poll (each try
            # dumps the whole state)
            self._last_save = tried
            started = time.perf_counter()

            # the lock keeps folds (and a take-over) out while the state is dumped; a
            # take-over makes the save give up instead of waiting for it
            def give_up() -> bool:
                return self._taking_over.is_set() or (cancelled is not None and cancelled())

            size = self.snapshots.save(self.governed.state, position, cancelled=give_up)
            if size is None and give_up():
                logger.info("fraud feature state checkpoint given up (a take-over or a stop)")
                return None
            self._unsaved = False
        if size is not None:
            logger.info(
                "fraud feature state followed to ledger position %d saved (%s; %.1f MB) in %.1f s",
                position,
                self.snapshots.last_save_text(),
                size / 1e6,
                time.perf_counter() - started,
            )
        return size

    def _follow(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.catch_up()
                self.checkpoint()
            except Exception:  # a database hiccup: try again next round
                logger.warning("could not follow the stored fraud decisions", exc_info=True)
            if stop.wait(self.poll_s):
                return


def stored_history(platform: Platform) -> StoredHistory:
    """The platform's :class:`StoredHistory` (its following stops when the platform
    closes)."""

    def build(p: Platform) -> StoredHistory:
        governed = service(p)
        assert isinstance(governed.store, SqlDecisionStore)
        built = StoredHistory(
            governed,
            governed.store,
            poll_s=p.settings.fraud_follow_s,
            snapshots=snapshots(p),
            checkpoint_s=p.settings.fraud_checkpoint_s,
        )
        p.on_close(built.stop)
        return built

    return platform.feature("fraud.stored-history", build)


def snapshots(platform: Platform) -> StateSnapshots:
    """The platform's :class:`StateSnapshots`."""

    def build(p: Platform) -> StateSnapshots:
        key = hmac.new(
            p.settings.secret_key.get_secret_value().encode(),
            b"dualtrack.fraud.state-snapshot",
            hashlib.sha256,
        ).digest()
        reader = _reader(p)
        return StateSnapshots(SqlStateSnapshots(p.engine, reader=reader), key, reader)

    return platform.feature("fraud.snapshots", build)


def save_state(platform: Platform, on_batch: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Bring the saved feature state up to date without scoring (``dualtrack fraud
    save-state``, for a scheduled job where no standby server checkpoints): start from the
    saved state (or from the first decision when none may be used), fold every decision
    stored after it, and save the result. Takes no lease, so it runs beside the scoring
    process, on any machine. Returns where it started, what it folded and what it saved
    (``saved_bytes`` None: nothing was stored after the saved state; ``saved_whole``: the
    whole state, or only the ``saved_keys`` changed since the saved state it started from,
    which then has ``saved_layers`` layers)."""
    history = stored_history(platform)
    started = time.perf_counter()
    folded = history.catch_up(on_batch=on_batch)
    size = history.checkpoint(now=True)
    return {
        "started_from": history.restored_at,
        "folded": folded,
        **_saved_outcome(history, size, started),
    }


def _saved_outcome(history: StoredHistory, size: int | None, started: float) -> dict[str, Any]:
    """A checkpoint's outcome for ``save-state``: where, how many bytes (None: nothing
    saved), whether the whole state or only ``saved_keys`` changed keys as layer
    ``saved_layers``, and the seconds since ``started``."""
    last = history.snapshots.last_save if history.snapshots is not None else None
    saved = last if size is not None and last is not None else None
    return {
        "ledger_position": history.position,
        "saved_bytes": size,
        "saved_whole": saved["whole"] if saved else None,
        "saved_keys": saved["keys"] if saved else None,
        "saved_layers": saved["layers"] if saved else None,
        "seconds": round(time.perf_counter() - started, 2),
    }


def keep_state_saved(
    platform: Platform,
    every_s: float,
    stop: threading.Event,
    on_save: Callable[[dict[str, Any]], None] | None = None,
) -> int:
    """``dualtrack fraud save-state --every``: what :func:`save_state` does, kept up until
    ``stop`` is set. The state stays in this process's memory and follows the stored
    decisions (every ``DUALTRACK_FRAUD_FOLLOW_S``, or ``every_s`` if that is shorter or
    following is off), and it is saved every ``every_s`` seconds when decisions changed
    it: after the first save, only the keys changed since the last one (a layer), where a
    scheduled ``save-state`` run would load the whole saved state again each time. For a
    deployment with one scoring server and no standby. Takes no lease and scores nothing.
    A database error is logged and tried again next round; a save in progress when
    ``stop`` is set gives up after the part it is dumping (writing nothing). Returns how
    many saves it made; ``on_save`` gets each one's ledger position, bytes,
    whole/keys/layers and seconds."""
    if every_s <= 0:
        raise InvalidInput("--every must be a positive number of seconds")
    history = stored_history(platform)
    history.checkpoint_s = every_s
    poll_s = platform.settings.fraud_follow_s
    wait_s = min(poll_s, every_s) if poll_s > 0 else every_s
    saves = 0
    while not stop.is_set():
        try:
            history.catch_up()
            started = time.perf_counter()
            size = history.checkpoint(cancelled=stop.is_set)
        except Exception:  # a database hiccup: try again next round
            logger.warning("could not follow or save the fraud feature state", exc_info=True)
            size = None
        if size is not None:
            saves += 1
            if on_save is not None:
                on_save(_saved_outcome(history, size, started))
        stop.wait(wait_s)
    return saves


def _still_ours(ownership: ScoringOwnership) -> bool:
    try:
        return ownership.lease.beat()
    except Exception:  # the database is unreachable: save nothing
        logger.warning("could not check the fraud scoring lease", exc_info=True)
        return False


def stop_scoring(platform: Platform) -> None:
    """Stop scoring in this process (requests have finished): give the lease back, then
    save the feature state for the next process to start from, as exact at the ledger
    position read while the lease was still this process's (so the state holds every
    decision stored up to there; one stored later is another holder's, after it).

    The lease goes first so that a standby takes over while the state is saved instead of
    after: a whole save of a bank's state takes minutes. Nothing is saved if renewing the
    lease fails (another process may have scored meanwhile)."""
    ownership = scoring_ownership(platform)
    at: tuple[int, str] | None = None
    # renewing proves no other process took the lease since this one claimed it, and it
    # cannot expire before the head is read
    if ownership.held and _still_ours(ownership):
        with platform.uow() as uow:
            at = uow.audit.head()
    ownership.close()
    if at is not None:
        _save_snapshot(platform, *at)


def _save_snapshot(platform: Platform, position: int, ledger_hash: str) -> None:
    started = time.perf_counter()
    if position == 0:  # an empty ledger: nothing to tie a saved state to
        return
    saving = snapshots(platform)
    try:
        size = saving.save(service(platform).state, position, ledger_hash)
    except Exception:  # the database failed: the next process folds more, nothing is lost
        logger.warning("could not save the fraud feature state", exc_info=True)
        return
    if size is None:
        return
    logger.info(
        "fraud feature state saved at ledger position %d (%s; %.1f MB) in %.1f s",
        position,
        saving.last_save_text(),
        size / 1e6,
        time.perf_counter() - started,
    )


def _take_over(platform: Platform) -> None:
    """Run when this process takes the scoring lease (the lease first, so the stored
    history is complete): the feature state is brought up to date with every stored
    decision, by folding what is new since the state was last followed or, when this
    process scored before or never followed, afresh (see :class:`StoredHistory`)."""
    started = time.perf_counter()
    history = stored_history(platform)
    folded, fresh = history.take_over()
    how = "caught up with"
    if fresh:
        how = "built from"
        if history.restored_at is not None:
            how = f"restored from the saved state at ledger position {history.restored_at}, then"
    logger.info(
        "fraud scoring lease taken; feature state %s %d stored decisions in %.1f s",
        how,
        folded,
        time.perf_counter() - started,
    )


def lease_status(platform: Platform) -> dict[str, Any]:
    """Who holds the database's fraud scoring lease (as stored, live or not), how many
    decisions are stored, and the last saved feature state (where it is exact to, when and
    by which host it was saved, its size, and how many decisions were stored after it, which
    the next process to take the lease folds): for operators (``dualtrack fraud lease``)."""
    lease = scoring_ownership(platform).lease
    owner = lease.current()
    now = time.time()
    reader = _reader(platform)
    status: dict[str, Any] = {
        "ttl_s": lease.ttl_s,
        "stored_decisions": SqlDecisionStore.stored_decisions(reader),
        "holder": None,
        "saved_state": None,
    }
    saved = snapshots(platform).stored.describe()
    if saved is not None:
        status["saved_state"] = {
            "ledger_position": saved.position,
            "saved_at": saved.saved_at,
            "saved_by": saved.saved_by,
            "bytes": saved.size,
            "layers": saved.layers,
            "decisions_after": SqlDecisionStore.stored_decisions(reader, after=saved.position),
        }
    if owner is not None:
        age = max(0.0, now - owner.heartbeat_at)
        status["holder"] = {
            "host": owner.host,
            "pid": owner.pid,
            "serving_since": owner.started_at,
            "heartbeat_age_s": round(age, 1),
            "live": age <= lease.ttl_s,
        }
    return status


def saved_state_lag(platform: Platform) -> dict[str, float] | None:
    """How far the saved feature state trails (None when none is saved): its age in
    seconds, the ledger entries written after it, and its layers (a whole state, then one
    per save of changed keys), read on the read engine (for ``/metrics``: a scrape never
    waits for the scoring process's writes)."""
    saved = snapshots(platform).stored.describe()
    if saved is None:
        return None
    age = time.time() - datetime.fromisoformat(saved.saved_at).timestamp()
    return {
        "age_s": max(0.0, age),
        "ledger_entries_after": float(max(0, ledger_head(_reader(platform)) - saved.position)),
        "layers": float(saved.layers),
    }


def scoring_role(platform: Platform) -> dict[str, Any]:
    """This process's part in fraud scoring, without trying to take the lease: ``role`` is
    ``scoring`` (it holds the lease) or ``standby``, with ``following`` (whether it folds
    the holder's stored decisions as they come) and, when it follows,
    ``decisions_behind`` (stored decisions it has yet to fold)."""
    if scoring_ownership(platform).held:
        return {"role": "scoring"}
    history = stored_history(platform)
    position = history.position
    if history.following and position is not None:
        behind = history.store.decisions_after(position)
        return {"role": "standby", "following": True, "decisions_behind": behind}
    return {"role": "standby", "following": False}


def serve_scoring(platform: Platform) -> None:
    """What a server does at start-up: take the scoring lease (which brings the feature
    state up to date, so the first request does not wait for it), or, while another live
    process holds it, stand by and follow the decisions it stores. A server that loses the
    lease later stands by the same way (:meth:`StoredHistory.lost`)."""
    history = stored_history(platform)
    history.stands_by = True
    try:
        scoring_service(platform)
    except ScoringOwnedElsewhere as exc:
        logger.warning("fraud scoring not started here (standing by): %s", exc)
        history.follow()


def scoring_service(platform: Platform) -> GovernedFraudService:
    """The scoring service, once this process holds the scoring lease and its feature state
    holds every stored decision (see :class:`ScoringOwnership`)."""
    scoring_ownership(platform).ensure()
    return service(platform)


# ------------------------------------------------------------------------------ cases


@dataclass(frozen=True, slots=True)
class CaseSummary:
    case: Case
    alerts: int
    top_score: float
    newest_alert: str


@dataclass(frozen=True, slots=True)
class CaseView:
    """Everything the case page shows."""

    case: Case
    alerts: list[Alert]
    decisions: dict[str, GovernedDecision]
    customer_history: list[GovernedDecision]
    history: list[LedgerEntry]
    #: what the customer did after a held payment, by transaction ID
    responses: dict[str, CustomerResponse] = field(default_factory=dict)
    #: for payments the watch list escalated: the payee's entry on the list, by
    #: transaction ID (its listing now, or who took it off since)
    watch: dict[str, WatchEntry] = field(default_factory=dict)


def _case_json(case: Case) -> dict[str, Any]:
    return {
        "case_id": case.case_id,
        "customer_ref": case.customer_ref,
        "status": case.status.value,
        "opened_at": case.opened_at.isoformat(),
        "updated_at": case.updated_at.isoformat(),
        "assignee": case.assignee,
        "resolved_by": case.resolved_by,
        "note": case.note,
    }


def alert_json(
    alert: Alert,
    decision: GovernedDecision | None = None,
    response: CustomerResponse | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "alert_id": alert.alert_id,
        "txn_id": alert.txn_id,
        "action": alert.action,
        "score": round(alert.score, 6),
        "rule_hits": list(alert.rule_hits),
        "reasons": [
            {"feature": r.feature, "value": r.value, "contribution": r.contribution, "text": r.text}
            for r in alert.reasons
        ],
        "model_version": alert.model_version,
        "created_at": alert.created_at.isoformat(),
        "label": alert.label,
    }
    if decision is not None:
        body["features"] = dict(decision.features)
    if response is not None:
        body["customer_response"] = response.to_dict()
    return body


def summary_json(item: CaseSummary) -> dict[str, Any]:
    return _case_json(item.case) | {
        "alerts": item.alerts,
        "top_score": round(item.top_score, 6),
        "newest_alert": item.newest_alert,
    }


def watch_json(entry: WatchEntry) -> dict[str, Any]:
    """A watch-list entry as a case shows it: the listing, never the raw payee ID."""
    found = entry.to_dict()
    del found["payee_id"]
    return found


def view_json(view: CaseView) -> dict[str, Any]:
    alerts = []
    for a in view.alerts:
        item = alert_json(a, view.decisions.get(a.txn_id), view.responses.get(a.txn_id))
        if a.txn_id in view.watch:
            item["watchlist"] = watch_json(view.watch[a.txn_id])
        alerts.append(item)
    return _case_json(view.case) | {
        "alerts": alerts,
        "customer_history": [d.to_json() for d in view.customer_history],
        "history": [
            {"seq": e.seq, "at": e.recorded_at, "actor": e.actor, "action": e.action}
            for e in view.history
        ],
    }


def label_json(label: Label) -> dict[str, Any]:
    data = asdict(label)
    data["labelled_at"] = label.labelled_at.isoformat()
    return data


class FraudCaseDesk:
    """Alert queue, case views and analyst verdicts over SQL, each change ledgered."""

    def __init__(self, platform: Platform) -> None:
        self._platform = platform

    def queue(self, *, status: CaseStatus | None = None) -> list[CaseSummary]:
        """Unresolved cases (or those in ``status``), newest alert first."""
        with self._platform.uow() as uow:
            repo = SqlCaseRepository(uow.connection)
            cases = CaseService(repo, ledger_sink(uow)).queue(status=status)
            counts = repo.alert_counts([c.case_id for c in cases])
        items = [
            CaseSummary(c, *counts.get(c.case_id, (0, 0.0, c.opened_at.isoformat()))) for c in cases
        ]
        return sorted(items, key=lambda i: (i.newest_alert, i.case.case_id), reverse=True)

    def recent_alerts(self, limit: int = 20) -> list[Alert]:
        with self._platform.uow() as uow:
            return SqlCaseRepository(uow.connection).recent_alerts(limit=limit)

    def decision_counts(self) -> dict[str, int]:
        with self._platform.uow() as uow:
            return decision_counts(uow.connection)

    def view(self, case_id: str) -> CaseView:
        with self._platform.uow() as uow:
            service = CaseService(SqlCaseRepository(uow.connection), ledger_sink(uow))
            case = service.get_case(case_id)
            alerts = service.alerts(case_id)
            decisions = decisions_by_id(uow.connection, [a.txn_id for a in alerts])
            responses = responses_for(uow.connection, [a.txn_id for a in alerts])
            history = decisions_for_customer(uow.connection, case.customer_ref, limit=25)
        entries = self._platform.ledger.page(subject_id=case_id, subject_type="fraud_case")
        refs = {t: d.watch_ref for t, d in decisions.items() if d.watch_ref}
        listed = watchlist(self._platform).entries_for_refs(sorted(set(refs.values())))
        watch = {t: listed[ref] for t, ref in refs.items() if ref in listed}
        return CaseView(
            case,
            alerts,
            decisions,
            history,
            sorted(entries, key=lambda e: e.seq),
            responses,
            watch,
        )

    def record_customer_response(
        self, actor: Actor, txn_id: str, response: str, channel: str
    ) -> tuple[CustomerResponse, bool]:
        """Store what the customer did after ``txn_id`` was held for review, with a ledger
        entry, once. Returns the stored answer and whether this call stored it (the same
        answer again is a replay; another answer is a conflict)."""
        answer = checked_response(response)
        channel = checked_channel(channel)
        for _attempt in range(2):
            with self._platform.uow() as uow:
                conn = uow.connection
                decision = decisions_by_id(conn, [txn_id]).get(txn_id)
                if decision is None:
                    raise NotFound("no decision with this transaction ID", txn_id=txn_id)
                stored = responses_for(conn, [txn_id]).get(txn_id)
                if not needs_recording(decision.action, stored, answer, txn_id):
                    assert stored is not None
                    return stored, False
                recorded = CustomerResponse(
                    txn_id, answer, channel, actor.username, format_instant(datetime.now(UTC))
                )
                if not add_response(conn, recorded):
                    continue  # another request stored an answer first: read it again
                ledger_sink(uow).record(
                    actor=actor.username,
                    action="fraud.customer_response",
                    subject_type="fraud_decision",
                    subject_id=txn_id,
                    payload={
                        "response": answer,
                        "channel": channel,
                        "customer_ref": decision.customer_ref,
                        "rule_hits": list(decision.rule_hits),
                    },
                )
                uow.commit()
                return recorded, True
        raise Conflict("the customer's answer could not be stored; try again", txn_id=txn_id)

    def start_review(self, actor: Actor, case_id: str) -> Case:
        return self._act(actor, case_id, lambda s: s.start_review(case_id, actor=actor.username))

    def confirm_fraud(self, actor: Actor, case_id: str, note: str = "") -> Case:
        return self._act(
            actor, case_id, lambda s: s.confirm_fraud(case_id, actor=actor.username, note=note)
        )

    def mark_false_positive(self, actor: Actor, case_id: str, note: str = "") -> Case:
        return self._act(
            actor,
            case_id,
            lambda s: s.mark_false_positive(case_id, actor=actor.username, note=note),
        )

    def labels(self, *, since: datetime | None = None) -> list[Label]:
        with self._platform.uow() as uow:
            service = CaseService(SqlCaseRepository(uow.connection), ledger_sink(uow))
            return service.export_labels(since=since)

    def _act(self, actor: Actor, case_id: str, change: Callable[[CaseService], Case]) -> Case:
        if actor.role not in ANALYST_ROLES:
            raise RoleNotAllowed(
                f"role {actor.role.value} may not work fraud cases",
                role=actor.role.value,
                allowed=sorted(r.value for r in ANALYST_ROLES),
            )
        with self._platform.uow() as uow:
            service = CaseService(SqlCaseRepository(uow.connection), ledger_sink(uow))
            case = change(service)
            uow.commit()
        return case


def cases(platform: Platform) -> FraudCaseDesk:
    return platform.feature("fraud.cases", FraudCaseDesk)


class FraudWatchlistDesk:
    """The stored payee watch list: each change in one transaction with its ledger entry."""

    def __init__(self, platform: Platform) -> None:
        self._platform = platform
        self._payee_ref = payee_pseudonymiser(platform)

    @contextmanager
    def _service(self) -> Iterator[tuple[WatchlistService, SqlUnitOfWork]]:
        with self._platform.uow() as uow:
            yield (
                WatchlistService(
                    SqlWatchlistRepository(uow.connection),
                    ledger_sink(uow),
                    self._payee_ref,
                    lambda: format_instant(datetime.now(UTC)),
                ),
                uow,
            )

    def list_payees(
        self,
        actor: Actor,
        payee_ids: Sequence[str],
        *,
        source: str,
        reason: str = "",
        action: str = "block",
        review_by: str | None = None,
    ) -> WatchlistEdit:
        with self._service() as (service, uow):
            edit = service.list_payees(
                actor, payee_ids, source=source, reason=reason, action=action, review_by=review_by
            )
            uow.commit()
        refresh_statistics(self._platform.engine, edit.changed)
        return edit

    def sync_source(
        self,
        actor: Actor,
        payee_ids: Sequence[str],
        *,
        source: str,
        reason: str = "",
        action: str = "review",
    ) -> WatchlistSync:
        with self._service() as (service, uow):
            synced = service.sync_source(
                actor, payee_ids, source=source, reason=reason, action=action
            )
            uow.commit()
        refresh_statistics(self._platform.engine, synced.listed + synced.unlisted)
        return synced

    def sources(self, actor: Actor) -> list[WatchSource]:
        with self._service() as (service, _uow):
            return service.sources(actor)

    def review(
        self,
        actor: Actor,
        payee_ids: Sequence[str],
        *,
        source: str,
        next_review: str,
        note: str = "",
    ) -> WatchlistEdit:
        with self._service() as (service, uow):
            edit = service.review(
                actor, payee_ids, source=source, next_review=next_review, note=note
            )
            uow.commit()
        return edit

    def entries_for_refs(self, refs: Sequence[str]) -> dict[str, WatchEntry]:
        """The list's entries (listed or taken off) for payee pseudonyms, such as the
        ``watch_ref`` of decisions the list escalated: for the case page, which names no
        raw payee. Entries stored before their pseudonym was (migration fraud_0007) get it
        here, once."""
        if not refs:
            return {}
        with self._platform.uow() as uow:
            repo = SqlWatchlistRepository(uow.connection)
            missing = repo.without_ref()
            if missing:
                repo.set_refs({p: self._payee_ref(p) for p in missing})
            found = repo.by_refs(list(refs))
            if missing:
                uow.commit()
            return found

    def due(self, actor: Actor, *, offset: int = 0, limit: int = 100) -> DueListings:
        with self._service() as (service, _uow):
            return service.due(actor, offset=offset, limit=limit)

    def unlist_payees(
        self, actor: Actor, payee_ids: Sequence[str], *, reason: str
    ) -> WatchlistEdit:
        with self._service() as (service, uow):
            edit = service.unlist_payees(actor, payee_ids, reason=reason)
            uow.commit()
        return edit

    def page(
        self, actor: Actor, *, offset: int = 0, limit: int = 100, listed: bool = True
    ) -> WatchlistPage:
        with self._service() as (service, _uow):
            return service.page(actor, offset=offset, limit=limit, listed=listed)


def watchlist(platform: Platform) -> FraudWatchlistDesk:
    return platform.feature("fraud.watchlist", FraudWatchlistDesk)


# ---------------------------------------------------------------------------- training


def train_on_simulation(
    config: SimulatorConfig,
    *,
    train_days: int | None = None,
    policy: CostPolicy | BudgetPolicy | None = None,
    params: Mapping[str, Any] | None = None,
    max_rounds: int = 3_000,
    early_stopping_rounds: int = 200,
) -> TrainingResult:
    """Train the ``hk_payments_v1`` model on the first ``train_days`` simulated days (the
    last 15% of those validate, in time order)."""
    sim = HKPaymentsSimulator(config)
    days = train_days if train_days is not None else config.days
    frame = with_features(pl.concat([sim.day(d) for d in range(days)]))
    day_of = frame["txn_id"].str.slice(1, 4).cast(pl.Int32).to_numpy()
    cut = int(np.ceil(days * 0.85))
    return train_model(
        frame,
        feature_names=FEATURE_NAMES,
        feature_set="hk_payments_v1",
        validation_mask=day_of >= cut,
        policy=policy,
        params=dict(params or {}),
        max_rounds=max_rounds,
        early_stopping_rounds=early_stopping_rounds,
    )


def train_on_ulb(
    csv_path: Path,
    *,
    policy: CostPolicy | BudgetPolicy | None = None,
    params: Mapping[str, Any] | None = None,
    max_rounds: int = 3_000,
    early_stopping_rounds: int = 200,
    seeds: Sequence[int] = BAGGED_SEEDS,
) -> TrainingResult:
    """Train the ``ulb_pca_v1`` model on a ULB-format CSV, time-ordered (last 15% validate).

    The model is the benchmark's seed bag (``dualtrack.fraud.ensemble``): ``seeds`` members
    with ``ULB_BAG_PARAMS`` (``params`` override them), merged into one LightGBM model.
    """
    frame = load_ulb(csv_path).sort("Time", maintain_order=True)
    return train_bagged_model(
        frame,
        feature_names=ULB_FEATURES,
        feature_set="ulb_pca_v1",
        label="Class",
        policy=policy,
        params={**ULB_BAG_PARAMS, **(params or {})},
        seeds=seeds,
        max_rounds=max_rounds,
        early_stopping_rounds=early_stopping_rounds,
    )


def register_trained(
    platform: Platform,
    actor: Actor,
    result: TrainingResult,
    *,
    version: str,
    source: str,
) -> ModelVersion:
    """Save the artifact under ``<var_dir>/models/fraud/<sha256>/`` and register a draft
    version of the fraud AI system with its hash, data fingerprint, metrics and thresholds."""
    artifact = result.artifact
    sha = artifact.artifact_sha256
    directory = models_dir(platform) / sha
    artifact.save(directory)
    system = platform.registry.find_system(FRAUD_SYSTEM_NAME)
    metrics = {f"lightgbm_{k}": float(v) for k, v in asdict(artifact.metrics).items()}
    if artifact.baseline_metrics is not None:
        metrics |= {f"logistic_{k}": float(v) for k, v in asdict(artifact.baseline_metrics).items()}
    return platform.registry.register_version(
        actor,
        system.id,
        version=version,
        artifact_sha256=sha,
        data_fingerprint=artifact.training_fingerprint,
        provider="in-house",
        licence="proprietary" if source == "simulator" else "ODbL-1.0 training data",
        metrics=metrics,
        artifact_uri=str(Path("models") / "fraud" / sha),
        config={
            "thresholds": asdict(artifact.thresholds),
            "feature_set": artifact.feature_set,
            "num_trees": artifact.num_trees,
            "source": source,
        },
    )


def fetch_ulb_data(platform: Platform) -> Path:
    """The verified ULB ``creditcard.csv`` under ``<var_dir>/data/`` (downloaded if absent)."""
    return fetch_ulb(platform.settings.var_dir / "data")


# -------------------------------------------------------------------------------- demo


def _demo_actors(platform: Platform) -> dict[str, Actor] | None:
    users = {u.username: u for u in platform.identity.list_users()}
    if not {"alice", "victor", "carol"} <= set(users):
        return None
    return {name: Actor.of(users[name]) for name in ("alice", "victor", "carol")}


def warm_up(service_: GovernedFraudService, frame: pl.DataFrame) -> int:
    """Fold transaction history decided elsewhere into the online feature state (no
    decisions, no ledger), through the privacy policy like scored transactions: how the demo
    gives its first scored day a week of history. Decisions stored here need no warm-up:
    the service folds them back in when it starts."""
    columns = [c for c in frame.columns if c not in ("is_fraud", "typology")]
    return service_.fold_history(frame.select(columns).iter_rows(named=True))


def seed_demo(platform: Platform, *, progress: Progress | None = None) -> None:
    """Train, govern and deploy a small model; score two simulated days (idempotent)."""
    say = progress or (lambda message: logger.info("%s", message))
    actors = _demo_actors(platform)
    if actors is None:
        return
    system = platform.registry.find_system(FRAUD_SYSTEM_NAME)
    versions = platform.registry.list_versions(system.id)
    demo = next((v for v in versions if v.version == DEMO_VERSION), None)
    if demo is None:
        say("training the demo fraud model on simulated Hong Kong payments")
        result = train_on_simulation(
            DEMO_SIMULATION,
            train_days=DEMO_TRAIN_DAYS,
            params=DEMO_PARAMS,
            max_rounds=80,
            early_stopping_rounds=20,
        )
        alice, victor, carol = actors["alice"], actors["victor"], actors["carol"]
        demo = register_trained(platform, alice, result, version=DEMO_VERSION, source="simulator")
        registry = platform.registry
        registry.submit(alice, demo.id)
        registry.record_validation(
            victor,
            demo.id,
            passed=True,
            summary=(
                "Time-ordered hold-out on simulated HK payments: AUPRC "
                f"{result.artifact.metrics.auprc:.2f} vs logistic baseline "
                f"{(result.artifact.baseline_metrics or result.artifact.metrics).auprc:.2f}."
            ),
        )
        registry.approve(carol, demo.id, note="Demo model; thresholds from the cost policy.")
        demo = registry.deploy(alice, demo.id)
    sim = HKPaymentsSimulator(DEMO_SIMULATION)
    watchlist(platform).list_payees(
        actors["carol"],
        sorted(sim.watchlist()),
        source="demo-simulator",
        reason="demo: simulated mule accounts",
    )
    if demo.state is not Lifecycle.DEPLOYED:
        return
    with platform.uow() as uow:
        if decision_counts(uow.connection):
            return  # already scored
    # scoring, so under the scoring lease (refused while a server scores this database),
    # given back at the end so a server started next can take it at once
    governed = scoring_service(platform)
    try:
        say("scoring two simulated days through the governed path")
        history = pl.concat([sim.day(d) for d in range(DEMO_TRAIN_DAYS - 7, DEMO_TRAIN_DAYS)])
        warm_up(governed, history)
        for day in range(DEMO_TRAIN_DAYS, DEMO_SIMULATION.days):
            rows = sim.day(day).drop("is_fraud", "typology").to_dicts()
            for start in range(0, len(rows), 1_000):
                governed.score(rows[start : start + 1_000])
    finally:
        stop_scoring(platform)


def deployed_label(platform: Platform) -> str | None:
    """The version label serving fraud decisions now (with "compiled" when it scores with a
    compiled model, see ``fraud compile``), or None."""
    try:
        loaded = service(platform).current()
    except PlatformError:
        return None
    label = loaded.version.version
    return f"{label} (compiled)" if loaded.scorer.compiled is not None else label


def feed_simulated(platform: Platform, n: int = 200) -> list[GovernedDecision]:
    """Score the next ``n`` transactions of the demo simulation through the governed path
    (the dashboard's demo feed). While the feature state is empty (no stored decision was
    folded back at start-up), the previous seven simulated days are folded in first (see
    :func:`warm_up`)."""
    governed = scoring_service(platform)
    sim = HKPaymentsSimulator(DEMO_SIMULATION)
    with platform.uow() as uow:
        last = last_simulated_txn(uow.connection)
    day, index = (DEMO_TRAIN_DAYS, -1) if last is None else last
    if isinstance(governed.state, InMemoryFeatureStateStore) and len(governed.state) == 0:
        first = max(0, day - 7)
        parts = [sim.day(d) for d in range(first, day)]
        parts.append(sim.day(day).head(index + 1))
        warm_up(governed, pl.concat(parts))
    rows: list[dict[str, Any]] = []
    while len(rows) < n:
        frame = sim.day(day).drop("is_fraud", "typology").slice(index + 1, n - len(rows))
        rows.extend(frame.to_dicts())
        if len(rows) < n:
            day, index = day + 1, -1
    return governed.score(rows)


def score_rows(
    platform: Platform, rows: Sequence[Mapping[str, object]], *, explain: bool = False
) -> list[GovernedDecision]:
    """Score through the platform's governed service (used by the CLI and the dashboard),
    holding the scoring lease."""
    return scoring_service(platform).score(rows, explain=explain)


SourceName = Literal["simulator", "ulb"]

__all__ = [
    "ANALYST_ROLES",
    "DEMO_SIMULATION",
    "CaseSummary",
    "CaseView",
    "FraudCaseDesk",
    "FraudWatchlistDesk",
    "NotFound",
    "alert_json",
    "cases",
    "committer",
    "customer_pseudonymiser",
    "deployed_label",
    "feed_simulated",
    "fetch_ulb_data",
    "fraud_pseudonymiser",
    "label_json",
    "models_dir",
    "payee_pseudonymiser",
    "policy_source",
    "read_identity",
    "register_trained",
    "score_rows",
    "scoring_keys",
    "seed_demo",
    "service",
    "summary_json",
    "train_on_simulation",
    "train_on_ulb",
    "view_json",
    "warm_up",
    "watchlist",
]
