"""The customer's answer to a warning: what they did after a payment was held for review.

The HKMA's Suspicious Account Alert (HKMA-FRAUD-01) has banks warn a customer before they
confirm a transfer to a high-risk payee and keep what the customer chose. A decision of
``review`` is that warning: the bank's payment channel shows it, and reports back whether
the customer went ahead (``proceeded``) or stopped (``cancelled``). The answer is stored
once per decision and ledgered; the case view shows it beside the alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from dualtrack.errors import Conflict, InvalidInput

Response = Literal["proceeded", "cancelled"]
RESPONSES: tuple[Response, ...] = ("proceeded", "cancelled")
MAX_CHANNEL = 32


@dataclass(frozen=True, slots=True)
class CustomerResponse:
    txn_id: str
    response: Response
    channel: str
    recorded_by: str
    recorded_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "txn_id": self.txn_id,
            "response": self.response,
            "channel": self.channel,
            "recorded_by": self.recorded_by,
            "recorded_at": self.recorded_at,
        }


def checked_response(value: str) -> Response:
    for response in RESPONSES:
        if value == response:
            return response
    raise InvalidInput('the response is "proceeded" or "cancelled"', field="response")


def checked_channel(value: str) -> str:
    channel = value.strip()
    if not channel or len(channel) > MAX_CHANNEL or not channel.isprintable():
        raise InvalidInput(
            f"the channel is 1 to {MAX_CHANNEL} printable characters (e.g. mobile_app)",
            field="channel",
        )
    return channel


def needs_recording(
    action: str, stored: CustomerResponse | None, response: Response, txn_id: str
) -> bool:
    """Whether ``response`` to the decision (of ``action``) is new. Only a decision held for
    review waits for the customer; an answer is given once (the same answer again is a
    replay, another one a conflict)."""
    if action != "review":
        raise Conflict(
            f"only a decision held for review waits for the customer's answer; this one "
            f"is {action}",
            txn_id=txn_id,
            action=action,
        )
    if stored is None:
        return True
    if stored.response != response:
        raise Conflict(
            f"the customer's answer to this decision was already recorded as {stored.response}",
            txn_id=txn_id,
        )
    return False


__all__ = [
    "RESPONSES",
    "CustomerResponse",
    "Response",
    "checked_channel",
    "checked_response",
    "needs_recording",
]
