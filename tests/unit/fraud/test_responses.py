"""The rules for recording a customer's answer to a held payment."""

from __future__ import annotations

import pytest

from dualtrack.errors import Conflict, InvalidInput
from dualtrack.fraud.responses import (
    CustomerResponse,
    checked_channel,
    checked_response,
    needs_recording,
)


def test_only_a_review_waits_for_one_answer() -> None:
    assert needs_recording("review", None, "cancelled", "T1")
    stored = CustomerResponse(
        "T1", "cancelled", "mobile_app", "channel-bot", "2026-12-03T00:00:00Z"
    )
    assert not needs_recording("review", stored, "cancelled", "T1"), "the same answer replays"
    with pytest.raises(Conflict):
        needs_recording("review", stored, "proceeded", "T1")
    for action in ("allow", "block"):
        with pytest.raises(Conflict):
            needs_recording(action, None, "proceeded", "T1")


def test_bad_answers_and_channels_are_refused() -> None:
    assert checked_response("proceeded") == "proceeded"
    for bad in ("PROCEEDED", "", "ignored"):
        with pytest.raises(InvalidInput):
            checked_response(bad)
    assert checked_channel(" branch ") == "branch"
    for bad in ("", "   ", "x" * 33, "mobile\tapp"):
        with pytest.raises(InvalidInput):
            checked_channel(bad)
