"""RememberedApiKeys: the scoring route's API-key checks (dualtrack.identity.service)."""

from __future__ import annotations

from dualtrack.identity.domain import Actor, Role
from dualtrack.identity.service import RememberedApiKeys

ANA = Actor("u-1", "ana", Role.ANALYST)


class Keys:
    """A fake identity service: one valid key until it is revoked; counts look-ups."""

    def __init__(self) -> None:
        self.valid = {"dt_k1_secret": ANA}
        self.lookups = 0

    def actor_for_api_key(self, presented: str) -> Actor | None:
        self.lookups += 1
        return self.valid.get(presented)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_verified_key_is_trusted_for_the_ttl_then_read_again() -> None:
    keys, clock = Keys(), Clock()
    remembered = RememberedApiKeys(keys, ttl_s=1.0, clock=clock)
    assert remembered.actor_for_api_key("dt_k1_secret") == ANA
    assert remembered.actor_for_api_key("dt_k1_secret") == ANA
    assert keys.lookups == 1
    del keys.valid["dt_k1_secret"]  # revoked
    clock.now += 0.5
    assert remembered.actor_for_api_key("dt_k1_secret") == ANA  # inside the second
    clock.now += 0.6
    assert remembered.actor_for_api_key("dt_k1_secret") is None  # read again: refused
    assert remembered.actor_for_api_key("dt_k1_secret") is None
    assert keys.lookups == 3  # a refused key is never remembered


def test_wrong_keys_are_looked_up_every_time_and_memory_is_bounded() -> None:
    keys, clock = Keys(), Clock()
    remembered = RememberedApiKeys(keys, ttl_s=60.0, max_keys=2, clock=clock)
    for _ in range(3):
        assert remembered.actor_for_api_key("dt_k1_wrong") is None
    assert keys.lookups == 3
    for i in range(5):
        keys.valid[f"dt_k{i}_s"] = ANA
        remembered.actor_for_api_key(f"dt_k{i}_s")
    assert len(remembered._known) <= 2
    assert "dt_k4_s" not in repr(remembered._known)  # digests, never the key itself
