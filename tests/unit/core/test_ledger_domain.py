import hashlib
import random
from dataclasses import replace

import pytest

from dualtrack.ledger.domain import GENESIS_HASH, canonical_json, entry_hash, seal, verify_chain


def chain(n: int) -> list:
    entries, prev = [], GENESIS_HASH
    for i in range(1, n + 1):
        e = seal(
            seq=i,
            recorded_at=f"2026-11-25T00:00:{i:02d}.000000Z",
            actor="alice",
            action="test.event",
            subject_type="thing",
            subject_id=str(i),
            payload={"n": i, "text": "陳大文"},
            prev_hash=prev,
        )
        entries.append(e)
        prev = e.hash
    return entries


def test_intact_chain_verifies() -> None:
    entries = chain(5)
    result = verify_chain(entries, head_seq=5, head_hash=entries[-1].hash)
    assert result.ok and result.entries_checked == 5


def test_modified_payload_is_named() -> None:
    entries = chain(5)
    entries[2] = replace(entries[2], payload_json=entries[2].payload_json.replace("3", "4"))
    result = verify_chain(entries)
    assert not result.ok and result.first_bad_seq == 3 and "modified" in (result.problem or "")


def test_deleted_entry_is_named() -> None:
    entries = chain(5)
    del entries[1]
    result = verify_chain(entries)
    assert not result.ok and result.first_bad_seq == 2 and "missing" in (result.problem or "")


def test_reordered_entries_are_named() -> None:
    entries = chain(5)
    a, b = entries[1], entries[2]
    # Swap contents but keep sequence numbers in place, as an UPDATE of two rows would.
    entries[1] = replace(b, seq=2)
    entries[2] = replace(a, seq=3)
    result = verify_chain(entries)
    assert not result.ok and result.first_bad_seq == 2


def test_deleted_tail_detected_by_head() -> None:
    entries = chain(5)
    result = verify_chain(entries[:4], head_seq=5, head_hash=entries[-1].hash)
    assert not result.ok and result.first_bad_seq == 5


def test_canonical_json_is_stable_and_rejects_nan() -> None:
    assert canonical_json({"b": 1, "a": [1.5, "x"]}) == '{"a":[1.5,"x"],"b":1}'
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_entry_hash_text_is_the_canonical_json_of_its_fields() -> None:
    rng = random.Random(7)
    alphabet = 'ab"\\\n\t\x00\x1f/é陳大文\u2028😀 {}[]:,'
    for _ in range(300):
        fields = {
            name: "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))
            for name in ("recorded_at", "actor", "action", "subject_type", "subject_id")
        }
        payload_json = canonical_json({"k": fields["actor"], "n": rng.random()})
        seq, prev = rng.randrange(1, 10**12), f"{rng.getrandbits(256):064x}"
        expected = hashlib.sha256(
            canonical_json(
                {**fields, "seq": seq, "payload": payload_json, "prev_hash": prev}
            ).encode()
        ).hexdigest()
        assert entry_hash(seq=seq, payload_json=payload_json, prev_hash=prev, **fields) == expected
