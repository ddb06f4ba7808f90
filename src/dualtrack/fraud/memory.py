"""In-memory adapters for the fraud ports (tests, demos, single-process scoring)."""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Collection, Hashable, Iterable, Iterator, Sequence

from dualtrack.fraud.domain import Alert, Case, CaseStatus
from dualtrack.fraud.features import FEATURE_SPECS, EntityState, dump_states, load_states

_RETENTION_S = max(spec.window_s or 0 for spec in FEATURE_SPECS)
#: items per part of a dump (:meth:`InMemoryFeatureStateStore.dump_parts`): the events in a
#: key's windows, the values it has seen (distinct payees, devices...) and one for the key
#: itself; on the simulator's payments about 36 bytes of JSON each, 12 compressed
PART_ITEMS = 1_000_000


class InMemoryFeatureStateStore:
    """Dict-backed :class:`~dualtrack.fraud.ports.FeatureStateStore`.

    Remembered transaction IDs are forgotten once they are older than the longest feature
    window relative to the newest transaction seen.

    It also keeps the keys saved since the state was last marked as saved or loaded
    (:meth:`mark_saved`, :meth:`changes`), so that a save can write only those keys on top
    of the one before it. Keys are never removed, so the keys that changed are all a later
    save needs to hold.
    """

    def __init__(self, retention_s: int = _RETENTION_S) -> None:
        self._states: dict[str, EntityState] = {}
        self._seen: OrderedDict[str, tuple[int, tuple[float, ...]]] = OrderedDict()
        self._retention_s = retention_s
        self._newest = 0
        self._saved_as: Hashable | None = None
        self._changed: set[str] = set()

    def load(self, key: str) -> EntityState | None:
        return self._states.get(key)

    def save(self, key: str, state: EntityState) -> None:
        self._states[key] = state
        self._changed.add(key)

    def mark_saved(self, at: Hashable, *, forget_changes: bool = True) -> None:
        """Note that the state was saved or loaded as ``at`` (for a saved state: its ledger
        position and hash). By default the changed keys are counted afresh (the state as
        it is now is ``at``); a save that took them with :meth:`take_changes` keeps those
        counted since."""
        self._saved_as = at
        if forget_changes:
            self._changed = set()

    def changes(self) -> tuple[Hashable | None, frozenset[str]]:
        """What the state was last marked as (:meth:`mark_saved`; None: never, or replaced
        since by :meth:`restore` or :meth:`restore_parts`) and the keys saved since."""
        return self._saved_as, frozenset(self._changed)

    def take_changes(self) -> tuple[Hashable | None, set[str]]:
        """:meth:`changes` for a save: the keys are handed over and counted afresh from
        now, so a key changed while the save runs is counted for the next one; a save that
        fails gives them back (:meth:`keep_changes`)."""
        changed, self._changed = self._changed, set()
        return self._saved_as, changed

    def keep_changes(self, keys: Iterable[str]) -> None:
        """Count ``keys`` as changed again (those a failed save took)."""
        self._changed.update(keys)

    def remembered(self, txn_id: str) -> tuple[float, ...] | None:
        hit = self._seen.get(txn_id)
        return hit[1] if hit is not None else None

    def remember(self, txn_id: str, ts: int, features: tuple[float, ...]) -> None:
        self._seen[txn_id] = (ts, features)
        self._newest = max(self._newest, ts)
        horizon = self._newest - self._retention_s
        while self._seen:
            oldest_id, (oldest_ts, _) = next(iter(self._seen.items()))
            if oldest_ts >= horizon:
                break
            del self._seen[oldest_id]

    def last_ts(self, customer_id: str) -> int | None:
        state = self._states.get(f"customer:{customer_id}")
        return state.last_ts if state is not None else None

    def __len__(self) -> int:
        return len(self._states)

    def dump(self) -> bytes:
        """The per-key states, serialised (:func:`~dualtrack.fraud.features.dump_states`);
        remembered transaction IDs are not kept."""
        return dump_states(self._states)

    def restore(self, data: bytes) -> None:
        """Replace the per-key states with what :meth:`dump` wrote (``ValueError`` if it
        was written by another feature definition)."""
        self._states = load_states(data)
        self._saved_as, self._changed = None, set()

    def dump_parts(
        self, part_items: int = PART_ITEMS, *, only: Collection[str] | None = None
    ) -> Iterator[bytes]:
        """The per-key states as a series of dumps of whole keys, each closed once it holds
        ``part_items`` items (:data:`PART_ITEMS`; a key is never split), so that no one
        value grows with the whole state: a database field has a limit (1 GB on
        PostgreSQL), and the dump of a bank's state (tens of millions of events) would pass
        it. With ``only``, just those keys (those :meth:`changes` lists), in sorted order."""
        states = self._states
        chosen: Iterable[tuple[str, EntityState]] = (
            states.items() if only is None else ((key, states[key]) for key in sorted(only))
        )
        part: dict[str, EntityState] = {}
        items, parts = 0, 0
        for key, state in chosen:
            part[key] = state
            items += 1 + len(state.events) - state.offset
            items += sum(len(values) for values in state.seen.values())
            if items >= part_items:
                yield dump_states(part)
                part, items, parts = {}, 0, parts + 1
        if part or not parts:  # at least one part, even of nothing
            yield dump_states(part)

    def restore_parts(self, parts: Iterable[bytes]) -> None:
        """Replace the per-key states with what :meth:`dump_parts` wrote; on any error
        (``ValueError`` for another feature definition) the states are left as they were.

        A key found in more than one part takes its last: a whole state's parts followed by
        those of later dumps of changed keys (``only``) give the state as of the last."""
        states: dict[str, EntityState] = {}
        for data in parts:
            states.update(load_states(data))
        self._states = states
        self._saved_as, self._changed = None, set()


class InMemoryCaseRepository:
    """Dict-backed :class:`~dualtrack.fraud.ports.CaseRepository`."""

    def __init__(self) -> None:
        self._alerts: dict[str, Alert] = {}
        self._cases: dict[str, Case] = {}

    def add_alert(self, alert: Alert) -> None:
        self._alerts[alert.alert_id] = alert

    def get_alert(self, alert_id: str) -> Alert | None:
        return self._alerts.get(alert_id)

    def update_alert(self, alert: Alert) -> None:
        self._alerts[alert.alert_id] = alert

    def alerts_for_case(self, case_id: str) -> Sequence[Alert]:
        return [a for a in self._alerts.values() if a.case_id == case_id]

    def add_case(self, case: Case) -> None:
        self._cases[case.case_id] = case

    def get_case(self, case_id: str) -> Case | None:
        return self._cases.get(case_id)

    def update_case(self, case: Case) -> None:
        self._cases[case.case_id] = copy.copy(case)

    def open_case_for(self, customer_ref: str) -> Case | None:
        for case in self._cases.values():
            if case.customer_ref == customer_ref and not case.status.is_final:
                return case
        return None

    def list_cases(self, *, status: str | None = None) -> Iterable[Case]:
        wanted = CaseStatus(status) if status is not None else None
        return [c for c in self._cases.values() if wanted is None or c.status is wanted]


__all__ = ["PART_ITEMS", "InMemoryCaseRepository", "InMemoryFeatureStateStore"]
