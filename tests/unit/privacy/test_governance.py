"""The governed gateway with fakes: keys named in errors, fail-closed policies, atomic output,
column-context table scanning, and ledger payloads without personal data."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

import polars as pl
import pytest

from dualtrack.errors import InvalidInput, NotFound, RoleNotAllowed
from dualtrack.identity.domain import Actor, Role
from dualtrack.privacy import MissingKey, PrivacyGuard, default_policies
from dualtrack.privacy.governance import (
    PrivacyGateway,
    StoredPolicy,
    atomic_output,
    policy_needs,
    strict_policy,
)
from dualtrack.privacy.tabular import ColumnSpec

GUARD = PrivacyGuard()
ANA = Actor("u1", "ana", Role.ANALYST)
CAROL = Actor("u2", "carol", Role.COMPLIANCE_OFFICER)
HELP = {"pseudonymise": "set DUALTRACK_PSEUDONYM_KEY", "encrypt": "set DUALTRACK_ENCRYPTION_KEY"}


class FakeAudit:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def record(self, **kwargs: Any) -> None:
        self.records.append(kwargs)


class FakeRepo:
    def __init__(self) -> None:
        self.rows: dict[str, StoredPolicy] = {}

    def get(self, system_id: str) -> StoredPolicy | None:
        return self.rows.get(system_id)

    def put(self, stored: StoredPolicy) -> None:
        self.rows[stored.system_id] = stored

    def list(self) -> list[StoredPolicy]:
        return list(self.rows.values())


class FakeUow:
    def __init__(self, repo: FakeRepo, audit: FakeAudit) -> None:
        self.policies = repo
        self.audit = audit

    def now_text(self) -> str:
        return "2026-11-25T09:00:00Z"

    def commit(self) -> None:
        pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def find_system(name: str) -> str:
    if name not in {"sys-1", "Fraud"}:
        raise NotFound("no such AI system")
    return "sys-1"


def gateway(*, keys: bool = True) -> tuple[PrivacyGateway, FakeAudit]:
    audit, repo = FakeAudit(), FakeRepo()
    return (
        PrivacyGateway(
            GUARD,
            uow=lambda: FakeUow(repo, audit),
            audit=audit,
            find_system=find_system,
            pseudonym_key=b"p" * 32 if keys else None,
            encryption_key=b"e" * 32 if keys else None,
            key_help=HELP,  # type: ignore[arg-type]
        ),
        audit,
    )


@pytest.mark.parametrize(
    ("mode", "variable"),
    [("pseudonymise", "DUALTRACK_PSEUDONYM_KEY"), ("encrypt", "DUALTRACK_ENCRYPTION_KEY")],
)
def test_missing_keys_name_the_setting_and_write_nothing(
    tmp_path: Path, mode: str, variable: str
) -> None:
    g, audit = gateway(keys=False)
    source = tmp_path / "in.txt"
    source.write_text("HKID K302817(8)")
    with pytest.raises(MissingKey, match=variable):
        g.redact(ANA, "HKID K302817(8)", mode)
    with pytest.raises(MissingKey, match=variable):
        g.redact_file(ANA, source, tmp_path / "out.txt", mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt"] and audit.records == []
    assert g.redact(ANA, "HKID K302817(8)", "replace").output == "HKID <HKID>"


def test_ledger_payload_has_counts_and_pseudonyms_only() -> None:
    g, audit = gateway()
    text = "CHAN Tai Man, HKID K302817(8), tel +852 9123 4567"
    result = g.redact(ANA, text, "pseudonymise")
    (entry,) = audit.records
    dumped = json.dumps(entry, ensure_ascii=False)
    for raw in ("CHAN", "K302817", "9123"):
        assert raw not in dumped
    assert entry["actor"] == "ana" and entry["subject_id"] == result.request_id
    assert entry["payload"]["entity_counts"] == {"HKID": 1, "HK_PHONE": 1, "PERSON": 1}
    assert set(entry["payload"]["pseudonyms"]) <= set(result.output.replace(",", " ").split())
    g.redact(ANA, text, "encrypt")
    assert "pseudonyms" not in audit.records[-1]["payload"]  # ciphertexts are not ledgered


def test_unknown_mode_and_negative_mask() -> None:
    g, _ = gateway()
    with pytest.raises(InvalidInput):
        g.redact(ANA, "x", "shred")
    with pytest.raises(InvalidInput):
        g.redact(ANA, "x", "mask", mask_keep=-1)


def test_reidentify_rejects_non_tokens_without_ledgering() -> None:
    g, audit = gateway()
    with pytest.raises(InvalidInput):
        g.reidentify(ANA, "K302817(8)", "reason")
    assert audit.records == []
    token = g.redact(ANA, "HKID K302817(8)", "encrypt").output.split()[-1]
    with pytest.raises(RoleNotAllowed):
        g.reidentify(ANA, token, "reason")
    assert g.reidentify(CAROL, token, "reason") == ("HKID", "K302817(8)")
    assert [r["action"] for r in audit.records][-2:] == [
        "privacy.reidentify_denied",
        "privacy.reidentified",
    ]


def test_policies_fail_closed_and_need_the_right_role() -> None:
    g, audit = gateway()
    record = {"name": "CHAN Tai Man", "hkid": "K302817(8)", "amount": 5}
    stored = g.policy("Fraud")
    assert stored.revision == 0
    assert g.apply_policy("Fraud", record) == {"name": "<PERSON>", "hkid": "<HKID>", "amount": 5}
    with pytest.raises(RoleNotAllowed):
        g.set_policy(ANA, "Fraud", template="fraud-scoring")
    with pytest.raises(NotFound):
        g.set_policy(CAROL, "Fraud", template="nope")
    with pytest.raises(NotFound):
        g.policy("Unknown")
    with pytest.raises(InvalidInput):
        g.set_policy(CAROL, "Fraud")
    with pytest.raises(InvalidInput):
        g.set_policy(CAROL, "Fraud", policy={"fields": [{"path": "x", "action": "shred"}]})
    g.set_policy(CAROL, "Fraud", template="fraud-scoring")
    out = g.apply_policy("Fraud", {**record, "customer_id": "C-1"})
    assert set(out) == {"customer_id", "amount"} and out["amount"] == 5  # name, HKID dropped
    assert out["customer_id"].startswith("CUSTOMER_ID_")
    assert audit.records[-1]["action"] == "privacy.policy_set"
    bare, _ = gateway(keys=False)
    bare.set_policy(CAROL, "Fraud", template="fraud-scoring")
    with pytest.raises(MissingKey, match="DUALTRACK_PSEUDONYM_KEY"):
        bare.apply_policy("Fraud", record)


def test_policy_needs() -> None:
    assert policy_needs(default_policies()["fraud-scoring"]) == {"pseudonymise"}
    assert policy_needs(strict_policy("s")) == set()


def test_atomic_output_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError), atomic_output(target) as temp:
        temp.write_text("half")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    with atomic_output(target) as temp:
        temp.write_text("whole")
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("phone", ColumnSpec("phone")),
        (" phone:hk_phone ", ColumnSpec("phone", "HK_PHONE")),
        ("id:HKID", ColumnSpec("id", "HKID")),
    ],
)
def test_column_specs(text: str, expected: ColumnSpec) -> None:
    assert ColumnSpec.parse(text) == expected


@pytest.mark.parametrize("text", ["", ":HKID", "phone:TELEPHONE"])
def test_bad_column_specs(text: str) -> None:
    with pytest.raises(InvalidInput):
        ColumnSpec.parse(text)


def test_tables_use_the_header_as_context(tmp_path: Path) -> None:
    g, audit = gateway()
    source = tmp_path / "t.csv"
    pl.DataFrame(
        {
            "contact_phone": ["91234567", "61234567", ""],
            "amount_hkd": ["30000", "12345678", "5"],  # 8 digits, but an amount
            "ref": ["F-1", "F-2", "F-3"],
        }
    ).write_csv(source)
    run = g.transform_table(ANA, source, tmp_path / "o.parquet", mode="replace")
    out = pl.read_parquet(tmp_path / "o.parquet")
    assert out["contact_phone"].to_list() == ["<HK_PHONE>", "<HK_PHONE>", ""]
    assert out["amount_hkd"].to_list() == ["30000", "12345678", "5"]
    assert run.columns == ("contact_phone",) and run.entity_counts == {"HK_PHONE": 2}
    assert audit.records[-1]["payload"]["rows"] == 3
    assert not (tmp_path / "o.csv").exists()


def test_payload_mapping_is_plain() -> None:
    g, audit = gateway()
    g.redact(ANA, {"a": ["HKID K302817(8)", 3], "b": None}, "mask")
    payload: Mapping[str, Any] = audit.records[-1]["payload"]
    assert payload["input"] == "record" and payload["entity_counts"] == {"HKID": 1}


def test_ledger_sample_of_pseudonyms_is_bounded(tmp_path: Path) -> None:
    g, audit = gateway()
    text = "\n".join(f"tel {90000000 + i * 7919}" for i in range(120))
    source = tmp_path / "many.txt"
    source.write_text(text)
    run = g.redact_file(ANA, source, tmp_path / "out.txt", "pseudonymise")
    assert run.entity_counts["HK_PHONE"] == 120
    assert len(audit.records[-1]["payload"]["pseudonyms"]) == 50
