"""The payee watch list's rules (fakes, no database) and how scoring applies its changes."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from dualtrack.errors import InvalidInput, RoleNotAllowed
from dualtrack.fraud.domain import Action
from dualtrack.fraud.governed import GovernedFraudService, LoadedModel
from dualtrack.fraud.service import RuleSet
from dualtrack.fraud.watchlist import (
    LEDGER_REFS,
    Listing,
    WatchEntry,
    WatchlistChanges,
    WatchlistService,
    WatchSource,
    parse_payee_ids,
)
from dualtrack.identity.domain import Actor, Role


def _actor(role: Role) -> Actor:
    return Actor(f"u-{role.value}", role.value, role)


class FakeRepo:
    def __init__(self) -> None:
        self.rows: dict[str, WatchEntry] = {}
        self.by_source: dict[tuple[str, str], Listing] = {}
        self.rev = 0
        self.writes = 0

    def revision(self) -> int:
        return self.rev

    def lock(self) -> int:
        return self.rev

    def bump(self) -> int:
        self.rev += 1
        return self.rev

    def get(self, payee_ids: Sequence[str]) -> dict[str, WatchEntry]:
        return {p: self._sourced(self.rows[p]) for p in payee_ids if p in self.rows}

    def _sourced(self, e: WatchEntry) -> WatchEntry:
        return replace(e, sources=tuple(sorted(s for p, s in self.by_source if p == e.payee_id)))

    def put(self, entries: Sequence[WatchEntry], *, stored: Collection[str]) -> None:
        assert {e.payee_id for e in entries if e.payee_id in self.rows} <= set(stored)
        self.writes += len(entries)
        self.rows.update((e.payee_id, replace(e, sources=())) for e in entries)

    def listings(self, payee_ids: Sequence[str]) -> dict[str, list[Listing]]:
        found: dict[str, list[Listing]] = {}
        for (p, _s), x in self.by_source.items():
            if p in payee_ids:
                found.setdefault(p, []).append(x)
        return found

    def add_listings(self, listings: Sequence[Listing]) -> None:
        assert not {(x.payee_id, x.source) for x in listings} & set(self.by_source)
        self.by_source.update(((x.payee_id, x.source), x) for x in listings)

    def drop_listings(self, payee_ids: Sequence[str], *, source: str | None) -> None:
        for key in [k for k in self.by_source if k[0] in payee_ids]:
            if source is None or key[1] == source:
                del self.by_source[key]

    def page(self, *, offset: int, limit: int, listed: bool) -> list[WatchEntry]:
        found = [e for e in self.rows.values() if e.listed is listed]
        return sorted(found, key=lambda e: -e.revision)[offset : offset + limit]

    def count(self, *, listed: bool) -> int:
        return sum(1 for e in self.rows.values() if e.listed is listed)

    def changes(self, after: int) -> WatchlistChanges:
        changed = [e for e in self.rows.values() if e.revision > after]
        return WatchlistChanges(
            self.rev,
            tuple((e.payee_id, e.action) for e in changed if e.listed),
            tuple(e.payee_id for e in changed if not e.listed),
        )

    def listed_from(self, source: str) -> dict[str, Action]:
        return {p: x.action for (p, s), x in self.by_source.items() if s == source}

    def set_review(
        self,
        payee_ids: Sequence[str],
        *,
        source: str,
        review_by: str,
        by: str,
        at: str,
        note: str,
    ) -> None:
        for p in payee_ids:
            self.by_source[(p, source)] = replace(
                self.by_source[(p, source)],
                review_by=review_by,
                reviewed_by=by,
                reviewed_at=at,
                review_note=note,
            )

    def due(self, *, on: str, offset: int, limit: int) -> tuple[list[Listing], int]:
        found = sorted(
            (x for x in self.by_source.values() if x.review_by and x.review_by <= on),
            key=lambda x: (x.review_by, x.payee_id, x.source),
        )
        return found[offset : offset + limit], len(found)

    def taken_off_by_hand(self) -> set[str]:
        return {p for p, e in self.rows.items() if not e.listed and not e.unlisted_in_sync}

    def record_sync(self, source: str, *, at: str, by: str, revision: int) -> None:
        self.synced = (source, at, by, revision)

    def sources(self) -> list[WatchSource]:
        return []


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
    text = "# Scameter 2026-12-03\n\nACC-1\n  ACC-2  \nACC-1\n004 123456 001\n"
    assert parse_payee_ids(text.splitlines()) == ["ACC-1", "ACC-2", "004 123456 001"]
    with pytest.raises(InvalidInput) as bad:
        parse_payee_ids(["ACC1", "Chan Tai Man\t9123 4567", "x" * 129, "ok\x00"])
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
    canonical = [f"ACC{i:04d}" for i in range(120)]
    edit = service.list_payees(
        _actor(Role.ANALYST), ids, source="scameter", reason="Chan Tai Man's complaint"
    )
    assert (edit.changed, edit.unchanged, edit.revision) == (120, 0, 1)
    (entry,) = ledger.records
    refs = sorted(f"PAYEE_ID_{p.lower()}" for p in canonical)
    assert entry["payload"]["count"] == 120
    assert entry["payload"]["payee_refs"] == refs[:LEDGER_REFS]
    digest = hashlib.sha256("\n".join(refs).encode()).hexdigest()
    assert entry["payload"]["payee_refs_sha256"] == digest
    assert "ACC0001" not in str(entry) and "ACC-0001" not in str(entry)
    assert "Chan" not in str(entry)
    assert repo.rows["ACC0001"].reason == "Chan Tai Man's complaint"
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
    service.list_payees(officer, ["A", "B"], source="scameter", action="review")
    governed, source = _governed(repo, policies := Policies())
    governed.recheck_s = 3600.0
    assert governed.policy(MODEL)[1] == {"P:A": "review", "P:B": "review", "P:FIXED": "block"}
    service.list_payees(officer, ["C"], source="scameter")
    assert "P:C" not in governed.policy(MODEL)[1], "not before recheck_s"
    assert source.polls == 1
    governed.recheck_s = 0.0
    assert governed.policy(MODEL)[1]["P:C"] == "block"
    service.unlist_payees(officer, ["A"], reason="cleared")
    assert dict(governed.policy(MODEL)[1]) == {"P:B": "review", "P:C": "block", "P:FIXED": "block"}
    # a stricter listing replaces a milder one; a milder one changes nothing
    service.list_payees(officer, ["B"], source="investigation", action="block")
    service.list_payees(officer, ["C"], source="scameter", action="review")
    assert (
        governed.policy(MODEL)[1]["P:B"] == "block" and governed.policy(MODEL)[1]["P:C"] == "block"
    )
    # a payee on the fixed list keeps the fixed action when the stored list drops it
    service.list_payees(officer, ["FIXED"], source="scameter", action="review")
    assert governed.policy(MODEL)[1]["P:FIXED"] == "block", "the stricter of the two"
    service.unlist_payees(officer, ["FIXED"], reason="cleared")
    assert governed.policy(MODEL)[1]["P:FIXED"] == "block"
    # a new policy shapes the whole list again
    policies.policy = Shaping("Q:")
    assert dict(governed.policy(MODEL)[1]) == {"Q:B": "block", "Q:C": "block", "Q:FIXED": "block"}
    # and a new fixed list is applied at once
    governed.recheck_s = 3600.0
    governed.rules = replace(governed.rules, watchlist=frozenset({"OTHER"}))
    assert set(governed.policy(MODEL)[1]) == {"Q:B", "Q:C", "Q:OTHER"}


def test_listing_actions_and_syncing_a_source() -> None:
    service, repo, ledger = _service()
    officer, analyst = _actor(Role.COMPLIANCE_OFFICER), _actor(Role.ANALYST)
    with pytest.raises(InvalidInput):
        service.list_payees(analyst, ["A"], source="scameter", action="allow")
    service.list_payees(analyst, ["OWN1"], source="investigation", action="block")
    first = service.sync_source(officer, ["S1", "S2", "OWN1"], source="scameter")
    assert (first.listed, first.unlisted, first.unchanged) == (3, 0, 0)
    assert repo.rows["S1"].action == "review", "a sync lists with review by default"
    own = repo.get(["OWN1"])["OWN1"]
    assert (own.source, own.action) == ("investigation", "block"), "the stricter listing sets it"
    assert own.sources == ("investigation", "scameter")
    with pytest.raises(RoleNotAllowed):
        service.sync_source(analyst, ["S1"], source="scameter")
    second = service.sync_source(officer, ["S2", "S3"], source="scameter")
    assert (second.listed, second.unlisted, second.still_listed, second.unchanged) == (1, 2, 1, 1)
    assert not repo.rows["S1"].listed and repo.rows["S1"].unlisted_by == officer.username
    assert "no longer in the scameter list" in (repo.rows["S1"].unlisted_reason or "")
    assert repo.get(["OWN1"])["OWN1"].sources == ("investigation",), "still listed by the bank"
    assert repo.synced == ("scameter", "T", officer.username, second.revision)
    assert [r["action"] for r in ledger.records[-3:]] == [
        "fraud.watchlist_listed",
        "fraud.watchlist_unlisted",
        "fraud.watchlist_synced",
    ]
    assert all(r["payload"].get("sync") for r in ledger.records[-3:-1])
    assert ledger.records[-1]["payload"]["unlisted"] == 2
    assert ledger.records[-2]["payload"]["still_listed"] == 1
    # a person's decision to take a payee off is not overruled by the feed
    service.unlist_payees(officer, ["S2"], reason="police confirmed the account is clean")
    third = service.sync_source(officer, ["S2", "S3", "S1"], source="scameter")
    assert (third.listed, third.unlisted, third.unchanged, third.held_off) == (1, 0, 1, 1)
    assert not repo.rows["S2"].listed and repo.rows["S1"].listed, "dropped by a sync: back"
    service.list_payees(analyst, ["S2"], source="investigation")
    assert repo.rows["S2"].listed, "listing by hand lists it again"


def test_a_payee_stays_listed_while_any_source_lists_it() -> None:
    repo, ledger, ticks = FakeRepo(), FakeLedger(), itertools.count()
    service = WatchlistService(repo, ledger, str, lambda: f"2026-12-04T03:{next(ticks):02d}")
    officer, analyst = _actor(Role.COMPLIANCE_OFFICER), _actor(Role.ANALYST)
    service.sync_source(officer, ["P", "Q"], source="scameter")
    entry, writes, revision = repo.rows["P"], repo.writes, repo.rev
    # the bank's own listing of a payee the feed already lists is recorded...
    edit = service.list_payees(analyst, ["P"], source="investigation", action="review")
    assert (edit.changed, edit.unchanged) == (1, 0)
    assert ledger.records[-1]["payload"]["source"] == "investigation"
    assert repo.get(["P"])["P"].sources == ("investigation", "scameter")
    # ...without rewriting the payee's entry, which scoring would read again
    assert repo.writes == writes and repo.rows["P"] == entry
    assert repo.changes(revision) == WatchlistChanges(repo.rev)
    # the feed dropping it leaves the bank's listing in force
    after = repo.rev
    service.sync_source(officer, ["Q"], source="scameter")
    p = repo.get(["P"])["P"]
    assert p.listed and (p.source, p.sources, p.listed_by) == (
        "investigation",
        ("investigation",),
        analyst.username,
    )
    assert repo.changes(after).unlisted == ()
    # a stricter source sets the action; when it drops the payee, the milder one is back
    service.sync_source(officer, ["Q"], source="hkma-feed", action="block")
    assert repo.rows["Q"].action == "block"
    after = repo.rev
    service.sync_source(officer, ["P"], source="hkma-feed", action="block")
    changes = repo.changes(after)
    assert ("Q", "review") in changes.listed and ("P", "block") in changes.listed
    # a person taking the payee off drops every source's listing, and feeds stay off it
    service.unlist_payees(officer, ["P"], reason="account closed by the police")
    assert repo.listings(["P"]) == {} and not repo.rows["P"].listed
    held = service.sync_source(officer, ["P"], source="hkma-feed", action="block")
    assert (held.held_off, repo.rows["P"].listed) == (1, False)
    assert service.list_payees(analyst, ["P"], source="investigation").changed == 1
    assert repo.rows["P"].listed and repo.rows["P"].unlisted_by is None


def test_listings_with_a_review_date_come_due_and_a_review_keeps_them() -> None:
    repo, ledger = FakeRepo(), FakeLedger()
    clock = {"now": "2026-12-03T17:00:00.000000Z"}  # 01:00 on 4 December in Hong Kong
    service = WatchlistService(repo, ledger, str, lambda: clock["now"])
    officer, analyst = _actor(Role.COMPLIANCE_OFFICER), _actor(Role.ANALYST)
    for bad in ("2026-12-04", "2026-12-03", "04/01/2027", "2030-01-01"):
        with pytest.raises(InvalidInput) as refused:
            service.list_payees(analyst, ["A"], source="investigation", review_by=bad)
        assert refused.value.fields["field"] == "review_by"
    assert repo.rev == 0 and not repo.by_source, "a refused listing writes nothing"
    service.list_payees(analyst, ["A", "B"], source="investigation", review_by="2027-01-04")
    service.list_payees(analyst, ["C"], source="investigation")
    assert ledger.records[-2]["payload"]["review_by"] == "2027-01-04"
    assert service.due(analyst).total == 0
    clock["now"] = "2027-01-03T16:00:00.000000Z"  # 00:00 on 4 January in Hong Kong
    due = service.due(analyst)
    assert (due.today, [x.payee_id for x in due.listings]) == ("2027-01-04", ["A", "B"])
    revision = repo.rev
    with pytest.raises(RoleNotAllowed):
        service.review(analyst, ["A"], source="investigation", next_review="2027-04-04")
    kept = service.review(
        officer, ["A", "C", "Z"], source="investigation", next_review="2027-04-04", note="ok"
    )
    assert (kept.changed, kept.unchanged, kept.revision) == (2, 1, revision), "C has no date"
    assert [x.payee_id for x in service.due(analyst).listings] == ["B"]
    a = repo.listings(["A"])["A"][0]
    assert (a.review_by, a.reviewed_by, a.review_note) == ("2027-04-04", officer.username, "ok")
    assert ledger.records[-1]["action"] == "fraud.watchlist_reviewed"
    assert ledger.records[-1]["payload"]["next_review"] == "2027-04-04"
    assert "ok" not in str(ledger.records[-1]), "the note stays out of the ledger"
    assert repo.rows["B"].listed, "a listing past its date stays in force"
    assert service.due(analyst, on="2027-04-04").total == 3


def test_watch_map_agrees_with_a_plain_dict_through_changes_and_compactions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import random

    from dualtrack.fraud.governed import WatchMap

    monkeypatch.setattr(WatchMap, "COMPACT", 16)
    rng = random.Random(20261203)
    universe = [f"P{i}" for i in range(60)]
    actions: tuple[Action, ...] = ("review", "block")
    expected: dict[str, Action] = {p: rng.choice(actions) for p in rng.sample(universe, 30)}
    watch = WatchMap(dict(expected))
    for _ in range(300):
        listed = {p: rng.choice(actions) for p in rng.sample(universe, rng.randint(0, 4))}
        unlisted = frozenset(rng.sample(universe, rng.randint(0, 4))) - listed.keys()
        watch = watch.changed(listed, unlisted)
        expected = {p: a for p, a in expected.items() if p not in unlisted} | listed
        assert len(watch) == len(expected)
        assert dict(watch) == expected
        assert all(watch.get(p) == expected.get(p) for p in universe)
        assert len(watch._added) + len(watch._removed) <= 16 + 8


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("+852 9123 4567", "91234567"),
        ("+852-91234567", "91234567"),
        ("(852) 2123-4567", "21234567"),
        ("00852 5123 4567", "51234567"),
        ("852 6123 4567", "61234567"),
        ("9123 4567", "91234567"),
        ("85291234567", "85291234567"),  # could begin an account number: left alone
        ("+852 1123 4567", "+85211234567"),  # no HK number starts with 1
        ("+86-138-0013-8000", "+8613800138000"),
        ("004-123-456789-001", "004123456789001"),
        ("acc-9", "ACC9"),
        (" Scam.Payee@Example.COM ", "scam.payee@example.com"),
    ],
)
def test_canonical_payee_forms(written: str, canonical: str) -> None:
    from dualtrack.fraud.watchlist import canonical_payee

    assert canonical_payee(written) == canonical
    assert canonical_payee(canonical) == canonical, "a canonical form stays as it is"
