"""RecordPolicy: a policy prepared for flat scoring records gives what apply_policy gives."""

from __future__ import annotations

from typing import Any

import pytest

from dualtrack.privacy.domain import PrivacyPolicy
from dualtrack.privacy.errors import MissingKey
from dualtrack.privacy.guard import PrivacyGuard
from dualtrack.privacy.policy import DROPPED, RecordPolicy, apply_policy, default_policies
from dualtrack.privacy.transform import Encryptor, Pseudonymiser

GUARD = PrivacyGuard("default")
PSEUDO = Pseudonymiser(b"p" * 32)
ENC = Encryptor(b"e" * 64)

POLICY = PrivacyPolicy.from_dict(
    {
        "system_id": "s",
        "fields": [
            {"path": "customer_id", "action": "pseudonymise", "entity_type": "CUSTOMER_ID"},
            {"path": "hkid", "action": "encrypt", "entity_type": "HKID"},
            {"path": "name", "action": "drop"},
            {"path": "memo", "action": "scan"},
            {"path": "phone", "action": "redact", "entity_type": "HK_PHONE"},
            {"path": "V*", "action": "allow"},
            {"path": "amount", "action": "allow"},
        ],
        "default_field_action": "drop",
        "entity_actions": {"PERSON": "replace"},
        "default_entity_action": "pseudonymise",
    }
)

RECORDS: list[dict[str, Any]] = [
    {
        "customer_id": "C-1",
        "hkid": "K302817(8)",
        "name": "CHAN Tai Man",
        "memo": "call Ms Wong Siu Ming on 9123 4567",
        "phone": "9123 4567",
        "V1": -1.25,
        "V28": 0.5,
        "amount": 120.5,
        "unlisted": "x",
    },
    {"customer_id": None, "amount": 0, "memo": "", "nested": {"hkid": "K302817(8)"}},
    {"customer_id": 12345, "V3": None, "items": [{"memo": "Chan Tai Man"}]},
]


@pytest.mark.parametrize("record", RECORDS)
def test_same_output_as_apply_policy(record: dict[str, Any]) -> None:
    plan = RecordPolicy(POLICY, guard=GUARD, pseudonymiser=PSEUDO, encryptor=ENC)
    expected = apply_policy(record, POLICY, guard=GUARD, pseudonymiser=PSEUDO, encryptor=ENC)
    assert plan(record) == expected
    assert plan(record) == expected  # second time from the cached rules


def test_field_values_and_dropped_fields() -> None:
    plan = RecordPolicy(POLICY, guard=GUARD, pseudonymiser=PSEUDO, encryptor=ENC)
    assert plan.value("customer_id", "C-1") == PSEUDO.token("CUSTOMER_ID", "C-1")
    assert plan.value("name", "CHAN Tai Man") is DROPPED
    assert plan.value("anything-else", 1) is DROPPED  # the policy's default
    assert plan.value("V17", 2.0) == 2.0
    assert plan.dropped(["name", "amount", "unlisted"]) == ["name", "unlisted"]


def test_missing_keys_fail_instead_of_passing_plaintext() -> None:
    bare = RecordPolicy(POLICY, guard=GUARD)
    with pytest.raises(MissingKey):
        bare({"customer_id": "C-1"})
    with pytest.raises(MissingKey):
        bare({"hkid": "K302817(8)"})


def test_shipped_fraud_policy_keeps_every_scoring_field() -> None:
    from dualtrack.fraud.validation import INPUT_COLUMNS

    plan = RecordPolicy(default_policies()["fraud-scoring"], guard=GUARD, pseudonymiser=PSEUDO)
    for columns in INPUT_COLUMNS.values():
        assert plan.dropped(columns) == []
    assert plan.dropped(["hkid", "name", "phone", "memo", "email"]) == [
        "hkid",
        "name",
        "phone",
        "memo",
        "email",
    ]
