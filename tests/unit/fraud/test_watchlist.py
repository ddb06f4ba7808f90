"""The payee watch list's rules (fakes, no database) and how scoring applies its changes."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from dualtrack.errors import InvalidInput, RoleNotAllowed
from dualtrack.fraud.governed import GovernedFraudService, LoadedModel
from dualtrack.fraud.service import RuleSet
from dualtrack.fraud.watchlist import (
    LEDGER_REFS,
    WatchEntry,
    WatchlistChanges,
    WatchlistService,
    parse_payee_ids,
)
from dualtrack.identity.domain import Actor, Role


def _actor(role: Role) -> Actor:
    return Actor(f"u-{role.value}", role.value, role)


class FakeRepo:
    def __init__(self) -> None:
        self.rows: dict[str, WatchEntry] = {}
        self.rev = 0

    def revision(self) -> int:
        return self.rev

    def bump(self) -> int:
        self.rev += 1
        return self.rev

    def get(self, payee_ids: Sequence[str]) -> dict[str, WatchEntry]:
        return {p: self.rows[p] for p in payee_ids if p in self.rows}

    def put(self, entries: Sequence[WatchEntry]) -> None:
        self.rows.update((e.payee_id, e) for e in entries)

    def page(self, *, offset: int, limit: int, listed: bool) -> list[WatchEntry]:
        found = [e for e in self.rows.values() if e.listed is listed]
        return sorted(found, key=lambda e: -e.revision)[offset : offset + limit]

    def count(self, *, listed: bool) -> int:
        return sum(1 for e in self.rows.values() if e.listed is listed)

    def changes(self, after: int) -> WatchlistChanges:
        changed = [e for e in self.rows.values() if e.revision > after]
        return WatchlistChanges(
            self.rev,
            tuple(e.payee_id for e in changed if e.listed),
            tuple(e.payee_id for e in changed if not e.listed),
        )


class FakeLedger:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def record(self, **fields: Any) -> None:
        self.records.append(fields)


def _service() -> tuple[WatchlistService, FakeRepo, FakeLedger]:
    repo, ledger = FakeRepo(), FakeLedger()
    service = WatchlistService(repo, ledger, lambda p: f"PAYEE_ID_{p.lower()}", lambda: "T")
    return service, repo, ledger


def test_parse_skips_comments_and_repeats_and_names_bad_lines_not_their_text() -> None:
    text = "# Scameter 2026-12-03\n\nACC-1\n  ACC-2  \nACC-1\n"
    assert parse_payee_ids(text.splitlines()) == ["ACC-1", "ACC-2"]
    with pytest.raises(InvalidInput) as bad:
        parse_payee_ids(["ACC-1", "Chan Tai Man 9123 4567", "x" * 129, "ok\x00"])
    assert "line 2" in bad.value.message and "line 3" in bad.value.message
    assert "line 4" in bad.value.message
    assert "Chan" not in bad.value.message and "9123" not in bad.value.message


def test_roles() -> None:
    service, _repo, _ledger = _service()
    for role in (Role.ANALYST, Role.COMPLIANCE_OFFICER, Role.ADMIN):
        service.list_payees(_actor(role), [f"P-{role.value}"], source="scameter")
    for role in (Role.MODEL_DEVELOPER, Role.VALIDATOR, Role.AUDITOR, Role.SENIOR_MANAGER):
        with pytest.raises(RoleNotAllowed):
            service.list_payees(_actor(role), ["P"], source="scameter")
    with pytest.raises(RoleNotAllowed):
        service.unlist_payees(_actor(Role.ANALYST), ["P-analyst"], reason="cleared")
    for role in (Role.AUDITOR, Role.SENIOR_MANAGER, Role.ANALYST):
        assert service.page(_actor(role)).total == 3
    with pytest.raises(RoleNotAllowed):
        service.page(_actor(Role.MODEL_DEVELOPER))


def test_ledger_names_pseudonyms_only_and_a_large_change_by_count_and_digest() -> None:
    service, repo, ledger = _service()
    ids = [f"ACC-{i:04d}" for i in range(120)]
    edit = service.list_payees(
        _actor(Role.ANALYST), ids, source="scameter", reason="Chan Tai Man's complaint"
    )
    assert (edit.changed, edit.unchanged, edit.revision) == (120, 0, 1)
    (entry,) = ledger.records
    refs = sorted(f"PAYEE_ID_{p.lower()}" for p in ids)
    assert entry["payload"]["count"] == 120
    assert entry["payload"]["payee_refs"] == refs[:LEDGER_REFS]
    digest = hashlib.sha256("\n".join(refs).encode()).hexdigest()
    assert entry["payload"]["payee_refs_sha256"] == digest
    assert "ACC-0001" not in str(entry) and "Chan" not in str(entry)
    assert repo.rows["ACC-0001"].reason == "Chan Tai Man's complaint"
    # nothing new: no revision, no ledger entry
    again = service.list_payees(_actor(Role.ANALYST), ids[:5], source="scameter")
    assert (again.changed, again.unchanged, again.revision) == (0, 5, 1)
    assert len(ledger.records) == 1


def test_bad_input_is_refused_before_anything_changes() -> None:
    service, repo, ledger = _service()
    analyst, officer = _actor(Role.ANALYST), _actor(Role.COMPLIANCE_OFFICER)
    for ids, source, reason in (
        ([], "scameter", ""),
        (["OK", ""], "scameter", ""),
        (["OK"], " ", ""),
        (["OK"], "s" * 65, ""),
        (["OK"], "scameter", "r" * 501),
    ):
        with pytest.raises(InvalidInput):
            service.list_payees(analyst, ids, source=source, reason=reason)
    service.list_payees(analyst, ["OK"], source="scameter")
    with pytest.raises(InvalidInput):
        service.unlist_payees(officer, ["OK"], reason="")
    assert repo.rev == 1 and len(ledger.records) == 1 and repo.rows["OK"].listed


# ------------------------------------------------------------------ applied by scoring


class Shaping:
    """A privacy policy that pseudonymises payee IDs (what the shipped one does)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def value(self, key: str, value: Any) -> Any:
        return f"{self.prefix}{value}" if key == "payee_id" else value

    def dropped(self, keys: Sequence[str]) -> list[str]:
        return []

    def __call__(self, record: Mapping[str, Any]) -> dict[str, Any]:
        return dict(record)

    def listed(self, key: str) -> bool:
        return True


class Policies:
    def __init__(self) -> None:
        self.policy = Shaping("P:")

    def current(self) -> Shaping:
        return self.policy


class CountingSource:
    def __init__(self, repo: FakeRepo) -> None:
        self.repo = repo
        self.polls = 0

    def changes(self, after: int) -> WatchlistChanges:
        self.polls += 1
        return self.repo.changes(after)


def _governed(repo: FakeRepo, policies: Policies) -> tuple[GovernedFraudService, CountingSource]:
    source = CountingSource(repo)
    governed = GovernedFraudService(
        versions=cast(Any, None),
        store=cast(Any, None),
        customer_ref=str,
        models_dir=Path("."),
        privacy=cast(Any, policies),
        watchlist=source,
        rules=RuleSet(watchlist=frozenset({"FIXED"})),
    )
    return governed, source


MODEL = cast(LoadedModel, SimpleNamespace(artifact=SimpleNamespace(feature_set="hk_payments_v1")))


def test_scoring_applies_changes_as_the_policy_shapes_payees() -> None:
    service, repo, _ledger = _service()
    officer = _actor(Role.COMPLIANCE_OFFICER)
    service.list_payees(officer, ["A", "B"], source="scameter")
    governed, source = _governed(repo, policies := Policies())
    governed.recheck_s = 3600.0
    assert governed.policy(MODEL)[1] == {"P:A", "P:B", "P:FIXED"}
    service.list_payees(officer, ["C"], source="scameter")
    assert governed.policy(MODEL)[1] == {"P:A", "P:B", "P:FIXED"}, "not before recheck_s"
    assert source.polls == 1
    governed.recheck_s = 0.0
    assert governed.policy(MODEL)[1] == {"P:A", "P:B", "P:C", "P:FIXED"}
    service.unlist_payees(officer, ["A"], reason="cleared")
    assert governed.policy(MODEL)[1] == {"P:B", "P:C", "P:FIXED"}
    # a payee on the fixed list stays listed when the stored list drops it
    service.list_payees(officer, ["FIXED"], source="scameter")
    governed.policy(MODEL)
    service.unlist_payees(officer, ["FIXED"], reason="cleared")
    assert "P:FIXED" in governed.policy(MODEL)[1]
    # a new policy shapes the whole list again
    policies.policy = Shaping("Q:")
    assert governed.policy(MODEL)[1] == {"Q:B", "Q:C", "Q:FIXED"}
    # and a new fixed list is applied at once
    governed.recheck_s = 3600.0
    governed.rules = replace(governed.rules, watchlist=frozenset({"OTHER"}))
    assert governed.policy(MODEL)[1] == {"Q:B", "Q:C", "Q:OTHER"}


def test_watch_set_agrees_with_a_plain_set_through_changes_and_compactions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import random

    from dualtrack.fraud.governed import WatchSet

    monkeypatch.setattr(WatchSet, "COMPACT", 16)
    rng = random.Random(20261203)
    universe = [f"P{i}" for i in range(60)]
    expected = set(rng.sample(universe, 30))
    watch = WatchSet(frozenset(expected))
    for _ in range(300):
        listed = frozenset(rng.sample(universe, rng.randint(0, 4)))
        unlisted = frozenset(rng.sample(universe, rng.randint(0, 4))) - listed
        watch = watch.changed(listed, unlisted)
        expected = (expected - unlisted) | listed
        assert len(watch) == len(expected)
        assert set(watch) == expected and watch == expected
        assert all((p in watch) == (p in expected) for p in universe)
        assert len(watch._added) + len(watch._removed) <= 16 + 8
