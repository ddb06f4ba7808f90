"""Service tests: transforms, keys, re-identification, bad input, streaming, tables, policy."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from dualtrack.errors import ConfigurationError, InvalidInput, PermissionDenied
from dualtrack.privacy import (
    Encryptor,
    InvalidToken,
    MissingKey,
    PrivacyGuard,
    PrivacyPolicy,
    PrivacyService,
    Pseudonymiser,
    UndecodableInput,
    default_policies,
    load_policies,
)
from dualtrack.privacy.streaming import scan_chunks

PKEY = b"p" * 32
EKEY = b"e" * 64
GUARD = PrivacyGuard()


class FakeAudit:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def record(
        self,
        *,
        actor: str,
        action: str,
        subject_type: str,
        subject_id: str,
        payload: Mapping[str, Any],
    ) -> None:
        self.records.append(
            {
                "actor": actor,
                "action": action,
                "subject_type": subject_type,
                "subject_id": subject_id,
                "payload": dict(payload),
            }
        )


def make_service(**kwargs: Any) -> tuple[PrivacyService, FakeAudit]:
    audit = FakeAudit()
    options: dict[str, Any] = {"pseudonym_key": PKEY, "encryption_key": EKEY}
    options.update(kwargs)
    return PrivacyService(GUARD, audit=audit, **options), audit


TEXT = "Customer CHAN, Tai Man (HKID A123456(3)) tel +852 9123 4567."


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("replace", "Customer <PERSON> (HKID <HKID>) tel <HK_PHONE>."),
        ("redact", "Customer  (HKID ) tel ."),
        ("mask", "Customer ****, *** *** (HKID *******(*)) tel **** **** ****."),
    ],
)
def test_redact_modes(mode: str, expected: str) -> None:
    service, _ = make_service()
    assert service.redact_text(TEXT, mode) == expected  # type: ignore[arg-type]


def test_pseudonyms_are_keyed_stable_and_normalised() -> None:
    p = Pseudonymiser(PKEY)
    token = p.token("HKID", "A123456(3)")
    assert token.startswith("HKID_") and "A123456" not in token
    assert token == Pseudonymiser(PKEY).token("HKID", "A1234563")  # same value, other form
    assert token != Pseudonymiser(b"q" * 32).token("HKID", "A123456(3)")
    assert p.token("HK_PHONE", "+852 9123 4567") == p.token("HK_PHONE", "91234567")
    assert "key" not in repr(p).replace("key=<hidden>", "")


def test_cached_tokens_equal_uncached_ones_and_the_cache_is_bounded() -> None:
    plain, cached = Pseudonymiser(PKEY), Pseudonymiser(PKEY, cache_size=4)
    values = [("HKID", "A123456(3)"), ("HKID", "A1234563"), ("CUSTOMER_ID", "C000123")]
    values += [("PAYEE_ID", f"P{i}") for i in range(10)]
    for entity_type, value in values * 2:
        assert cached.token(entity_type, value) == plain.token(entity_type, value)
    info = cached.token.cache_info()  # type: ignore[attr-defined]
    assert info.currsize == 4 and info.hits == 0  # 13 distinct values cycled through 4 slots
    assert cached.token("PAYEE_ID", "P9") == plain.token("PAYEE_ID", "P9")
    assert cached.token.cache_info().hits == 1  # type: ignore[attr-defined]


def test_pseudonymise_text_keeps_joins() -> None:
    service, _ = make_service()
    a = service.redact_text("HKID A123456(3)", "pseudonymise")
    b = service.redact_text("身份證 A1234563", "pseudonymise")
    assert a.split()[-1] == b.split()[-1]


def test_encryption_round_trip_and_determinism() -> None:
    enc = Encryptor(EKEY)
    token = enc.encrypt("HKID", "A123456(3)")
    assert token == enc.encrypt("HKID", "A123456(3)")
    assert token.startswith("enc:HKID:") and "A123456" not in token
    assert enc.decrypt(token) == ("HKID", "A123456(3)")
    with pytest.raises(InvalidToken):
        Encryptor(b"f" * 64).decrypt(token)
    with pytest.raises(InvalidToken):
        enc.decrypt(token.replace("enc:HKID:", "enc:EMAIL:"))


@pytest.mark.parametrize("key", [None, b"", b"short"])
def test_missing_or_weak_keys_are_configuration_errors(key: bytes | None) -> None:
    with pytest.raises(ConfigurationError):
        Pseudonymiser(key)
    with pytest.raises(ConfigurationError):
        Encryptor(key)


def test_no_key_never_falls_back_to_plaintext() -> None:
    service, _ = make_service(pseudonym_key=None, encryption_key=None)
    assert service.redact_text(TEXT) != TEXT  # tags need no key
    with pytest.raises(MissingKey):
        service.redact_text(TEXT, "pseudonymise")
    with pytest.raises(MissingKey):
        service.redact_text(TEXT, "encrypt")


def test_reidentify_for_compliance_officer_is_audited_without_plaintext() -> None:
    service, audit = make_service()
    token = service.redact_text("HKID A123456(3)", "encrypt").split()[-1]
    value = service.reidentify(token, actor="u1", role="compliance_officer", reason="case 42")
    assert value == "A123456(3)"
    [entry] = audit.records
    assert entry["action"] == "privacy.reidentified"
    assert entry["payload"]["token"] == token
    assert "A123456" not in json.dumps(entry)


def test_reidentify_refused_for_analyst() -> None:
    service, audit = make_service()
    token = Encryptor(EKEY).encrypt("HKID", "A123456(3)")
    with pytest.raises(PermissionDenied):
        service.reidentify(token, actor="u2", role="analyst", reason="curious")
    assert audit.records[-1]["action"] == "privacy.reidentify_denied"
    assert "A123456" not in json.dumps(audit.records)
    with pytest.raises(InvalidInput):
        service.reidentify(token, actor="u1", role="compliance_officer", reason="  ")


@pytest.mark.parametrize("data", [b"\xff\xfe garbage", b"HKID A123456(3) \xc3", b"binary\x00data"])
def test_bad_bytes_rejected(data: bytes) -> None:
    service, _ = make_service()
    with pytest.raises(UndecodableInput):
        service.scan_text(data)


def test_bad_bytes_replace_mode_still_scans() -> None:
    service, _ = make_service()
    findings = service.scan_text(b"\xff HKID A123456(3)", errors="replace")
    assert [str(f.entity_type) for f in findings] == ["HKID"]


def test_stream_finds_entities_on_chunk_boundaries() -> None:
    unit = "filler text " * 9 + "HKID A123456(3) and tel +852 9123 4567. "
    text = unit * 40
    expected = [(f.start, f.end, f.entity_type) for f in GUARD.detect(text)]
    chunks = [text[i : i + 37] for i in range(0, len(text), 37)]
    streamed = [
        (f.start, f.end, f.entity_type)
        for f in scan_chunks(GUARD.detect, chunks, window=200, overlap=60)
    ]
    assert streamed == expected
    assert len(expected) == 80


def test_redact_file_streams(tmp_path: Path) -> None:
    service, _ = make_service()
    source = tmp_path / "in.txt"
    source.write_text(("HKID A123456(3). " + "x" * 50 + "\n") * 3000, encoding="utf-8")
    out = tmp_path / "out.txt"
    service.redact_file(source, out)
    result = out.read_text(encoding="utf-8")
    assert result.count("<HKID>") == 3000 and "A123456" not in result


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_pseudonymise_table_in_chunks(tmp_path: Path, suffix: str) -> None:
    service, audit = make_service()
    frame = pl.DataFrame(
        {
            "hkid": ["A123456(3)", "A1234563", None] * 50,
            "memo": ["call +852 9123 4567", "nothing here", "ok"] * 50,
            "amount": ["12345678", "5", "7"] * 50,
        }
    )
    source = tmp_path / f"in{suffix}"
    if suffix == ".csv":
        frame.write_csv(source)
    else:
        frame.write_parquet(source)
    target = tmp_path / f"out{suffix}"
    seen: list[int] = []
    report = service.pseudonymise_table(source, target, chunk_rows=40, progress=seen.append)
    assert report.rows == 150 and report.chunks == 4 and seen[-1] == 150
    assert report.columns == ("hkid", "memo")
    out = pl.read_csv(target, infer_schema=False) if suffix == ".csv" else pl.read_parquet(target)
    tokens = out["hkid"].to_list()
    assert tokens[0] == tokens[1] and tokens[0].startswith("HKID_")
    assert out["amount"].to_list() == frame["amount"].to_list()
    assert audit.records[-1]["action"] == "privacy.table_transformed"


def test_policy_for_fraud_scoring() -> None:
    service, _ = make_service()
    policy = default_policies()["fraud-scoring"]
    record = {
        "customer_id": "C-1",
        "hkid": "A123456(3)",
        "name": "Chan Tai Man",
        "amount": 1200,
        "memo": "refund to Peter Chan, call 9123 4567",
        "secret": "x",
    }
    out = service.apply_policy({**record, "V7": -1.5, "Time": 406.0}, policy)
    # identities the fraud model needs only as join keys become pseudonyms; what it does
    # not need (HKID, name, free text, unknown fields) never reaches it
    assert set(out) == {"customer_id", "amount", "V7", "Time"}
    assert out["customer_id"] == Pseudonymiser(PKEY).token("CUSTOMER_ID", "C-1")
    assert (out["amount"], out["V7"], out["Time"]) == (1200, -1.5, 406.0)


def test_policy_from_yaml_nested_and_lists() -> None:
    service, _ = make_service()
    policies = load_policies(
        "policies:\n"
        "  - system_id: research\n"
        "    fields:\n"
        "      - {path: client.hkid, action: drop}\n"
        "      - {path: notes.text, action: scan}\n"
        "    entity_actions: {EMAIL: allow}\n"
    )
    policy = policies["research"]
    assert PrivacyPolicy.from_dict(policy.to_dict()) == policy
    record = {
        "client": {"hkid": "A123456(3)", "email": "a@example.com"},
        "notes": [{"text": "HKID A123456(3), mail a@example.com"}],
    }
    out = service.apply_policy(record, policy)
    assert out == {
        "client": {"email": "a@example.com"},
        "notes": [{"text": "HKID <HKID>, mail a@example.com"}],
    }


def test_policy_rejects_unknown_actions() -> None:
    with pytest.raises(ValueError):
        PrivacyPolicy.from_dict({"system_id": "x", "fields": [{"path": "a", "action": "leak"}]})
