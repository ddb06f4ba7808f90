"""OpenAPI descriptions of fraud scoring's transactions and decisions.

``POST /fraud/score`` reads its transactions as plain JSON objects and checks a whole batch
in one pass (:mod:`dualtrack.fraud.validation`), so that a 422 lists every bad row at once
and the real-time path pays for no model validation per transaction. These models document
that input and the decisions it returns. The transaction model is built from
:data:`~dualtrack.fraud.features.TRANSACTION_SCHEMA` and the default
:class:`~dualtrack.fraud.validation.ValidationLimits`, so the document and the checks cannot
drift apart; the tests validate real requests and responses against these models.
"""

from __future__ import annotations

from typing import Any, Final, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, create_model

from dualtrack.fraud.features import CHANNELS, KEY_COLUMNS, TRANSACTION_SCHEMA
from dualtrack.fraud.governed import MAX_TXN_ID
from dualtrack.fraud.validation import EARLIEST_TS, INT_RANGES, LABEL_COLUMNS, ValidationLimits

_LIMITS: Final = ValidationLimits()

#: One line per field of a transaction (``hk_payments_v1``); the tests check it names
#: exactly the fields of ``TRANSACTION_SCHEMA``.
FIELD_DOCS: Final[dict[str, str]] = {
    "txn_id": "Your transaction ID: re-sending it returns the stored decision.",
    "ts": "When the payment was made, Unix seconds (UTC); not older than the customer's "
    f"last scored payment, at most {_LIMITS.max_future_s} s ahead of the server's clock.",
    "customer_id": "The paying customer (pseudonymised by the privacy policy before use).",
    "account_id": "The paying account.",
    "channel": "card_pos (card present), card_cnp (card not present) or fps (Faster "
    "Payment System).",
    "payee_id": "Merchant ID for cards, the payee's account or FPS proxy for FPS.",
    "payee_proxy_type": "merchant, account, phone, email or fps_id.",
    "mcc": "Merchant category code; 0 for FPS.",
    "amount": "Amount in the currency below.",
    "currency": "ISO 4217 code.",
    "device_id": "The device or terminal the payment came from.",
    "is_overseas": "Whether the payment was made outside Hong Kong.",
}


def _field(name: str, dtype: type[pl.DataType]) -> tuple[Any, Any]:
    doc = FIELD_DOCS[name]
    if name == "channel":
        return Literal[CHANNELS], Field(description=doc)
    if name == "currency":
        codes = tuple(sorted(_LIMITS.currencies))
        return Literal[codes], Field(description=doc)
    if name == "ts":
        return int, Field(ge=EARLIEST_TS, strict=True, description=doc)
    if name == "amount":
        return float, Field(
            ge=0, le=_LIMITS.max_amount, allow_inf_nan=False, strict=True, description=doc
        )
    if dtype in INT_RANGES:
        low, high = INT_RANGES[dtype]
        return int, Field(ge=low, le=high, strict=True, description=doc)
    if dtype is pl.Boolean:
        return bool, Field(strict=True, description=doc)
    if name == "txn_id":
        return str, Field(min_length=1, max_length=MAX_TXN_ID, pattern=r"\S", description=doc)
    if name in KEY_COLUMNS:  # the online state's keys: never blank
        return str, Field(min_length=1, pattern=r"\S", description=doc)
    return str, Field(description=doc)


_FIELDS: Final[dict[str, Any]] = {
    name: _field(name, dtype) for name, dtype in TRANSACTION_SCHEMA.items()
}
Transaction: Final[type[BaseModel]] = create_model(
    "Transaction",
    __config__=ConfigDict(
        extra="allow",
        json_schema_extra={
            "description": (
                "A payment to score (`hk_payments_v1`). Every field is required and none may "
                "be null. Other fields are refused unless the fraud system's privacy policy "
                "names them (the default policy drops `hkid`, `name`, `phone`, `card_number` "
                "and `memo` before anything is stored) or they are labels ("
                + ", ".join(f"`{c}`" for c in sorted(LABEL_COLUMNS))
                + "), which ride along and never reach the model."
            )
        },
    ),
    **_FIELDS,
)

_Action = Literal["allow", "review", "block"]


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReasonOut(_Closed):
    """One reason behind a score, from the model's TreeSHAP contribution."""

    feature: str
    value: float
    contribution: float = Field(description="Contribution to the score's log-odds.")
    text: str = Field(description="The reason in words, for the analyst.")


class DecisionOut(_Closed):
    """A decision as stored and written to the audit ledger."""

    txn_id: str
    score: float = Field(ge=0, le=1, description="The model's fraud probability.")
    action: _Action = Field(description="The decision after rules (watch list, limits).")
    model_action: _Action = Field(description="What the score alone would decide.")
    rule_hits: list[str]
    reasons: list[ReasonOut] = Field(
        description="Top reasons: on review and block decisions, or all with `explain`."
    )
    model_version: str
    version_id: str = Field(description="The deployed model version that decided.")
    customer_ref: str = Field(description="The customer's pseudonym (never the raw ID).")
    decided_at: str
    replayed: bool = Field(description="True when this txn_id was decided before.")
    features: dict[str, float] = Field(
        default_factory=dict, description="The feature values used (only with `features: true`)."
    )


class ScoreResponse(_Closed):
    """One decision per transaction, in the order sent."""

    decisions: list[DecisionOut]
