"""Transaction rules: one function per rule id declared in ``data/controls.yaml``.

A rule reads a prepared ``RuleContext`` (the transaction, the client, HKD value, linked
history, wallet facts) and returns the hits it finds. Rules never look anything up
themselves, so the whole evaluation is a pure function of the context and is easy to test
and to time. Built-in rules and extra ones (passed to ``RuleEngine``) register the same way:
a mapping from rule id to function.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from dualtrack.vadealing.controls import ControlSet, RuleSpec
from dualtrack.vadealing.domain import (
    CDD_CLEARED,
    AddressRisk,
    AssetListing,
    Client,
    CounterpartyDecision,
    Decision,
    Firm,
    FxRate,
    LinkedEntry,
    RuleHit,
    TravelRuleData,
    TravelRuleParty,
    VaTransaction,
)
from dualtrack.vadealing.errors import ControlConfigError

_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Everything the rules may read about one transaction, gathered by the service.

    ``history`` is the union of the client's and the wallet's recent entries (deduplicated,
    oldest first, excluding blocked ones, which never executed).
    """

    tx: VaTransaction
    client: Client
    own_firm: Firm
    on: date
    hkd_value: Decimal | None
    rate: FxRate | None
    valuation_problem: str | None
    client_wallet: str | None
    firm_wallet: str | None
    invalid_addresses: tuple[str, ...]
    history: Sequence[LinkedEntry]
    listing: AssetListing | None
    counterparty: CounterpartyDecision | None
    address_risk: AddressRisk | None
    transfer_threshold_hkd: Decimal
    other_threshold_hkd: Decimal


RuleFn = Callable[[RuleSpec, RuleContext], Sequence[RuleHit]]


def _hit(spec: RuleSpec, figure: str, reason: str, action: Decision | None = None) -> RuleHit:
    return RuleHit(
        rule_id=spec.rule_id,
        control_id=spec.control_id,
        source=spec.source,
        figure=figure,
        action=action or spec.action,
        reason=reason,
    )


def _hkd(amount: Decimal) -> str:
    return f"HK${amount:,.2f}"


def _window(ctx: RuleContext, hours: int) -> list[LinkedEntry]:
    start = ctx.tx.at - timedelta(hours=hours)
    return [e for e in ctx.history if e.at >= start]


def _same_category(entry: LinkedEntry, tx: VaTransaction) -> bool:
    return (entry.kind in ("transfer_out", "transfer_in")) == tx.is_transfer


def linked_total(ctx: RuleContext, hours: int) -> Decimal | None:
    """HKD total of this transaction plus linked ones of the same category in the window."""
    if ctx.hkd_value is None:
        return None
    prior = sum(
        (
            e.hkd_value
            for e in _window(ctx, hours)
            if e.hkd_value is not None and _same_category(e, ctx.tx)
        ),
        Decimal(0),
    )
    return prior + ctx.hkd_value


# --------------------------------------------------------------------------- valuation, input


def rule_hkd_valuation(spec: RuleSpec, ctx: RuleContext) -> Sequence[RuleHit]:
    """Held when the HKD value could not be established at trade time."""
    if ctx.valuation_problem is None:
        return ()
    figure = f"rate age <= {spec.integer('max_rate_age_seconds')}s"
    return (_hit(spec, figure, ctx.valuation_problem),)


def rule_address_checksum(spec: RuleSpec, ctx: RuleContext) -> Sequence[RuleHit]:
    """Blocked when any wallet address on the transfer fails its checksum."""
    return tuple(
        _hit(spec, "checksum must verify", f"{role} address is malformed or fails its checksum")
        for role in ctx.invalid_addresses
    )


# --------------------------------------------------------------------------- CDD


def rule_cdd_business_relationship(spec: RuleSpec, ctx: RuleContext) -> Sequence[RuleHit]:
    """A business-relationship client must have cleared CDD before any transaction."""
    if ctx.client.relationship != "business":
        return ()
    status = ctx.client.effective_cdd_status(ctx.on)
    if status in ("pending", "expired"):
        return (_hit(spec, "CDD cleared", f"CDD status is {status}"),)
    return ()


def rule_cdd_high_risk_edd(spec: RuleSpec, ctx: RuleContext) -> Sequence[RuleHit]:
    """A high-risk client is held until EDD is completed."""
    if ctx.client.effective_cdd_status(ctx.on) == "high_risk":
        return (_hit(spec, "EDD completed", "client is high risk; EDD outstanding"),)
    return ()


def _cdd_threshold(spec: RuleSpec, ctx: RuleContext, *, transfers: bool) -> Sequence[RuleHit]:
    if ctx.tx.is_transfer != transfers or ctx.client.relationship != "occasional":
        return ()
    if ctx.client.effective_cdd_status(ctx.on) in CDD_CLEARED:
        return ()
    total = linked_total(ctx, spec.integer("linked_window_hours"))
    if total is None:
        return ()
    threshold = spec.decimal("threshold_hkd")
    if total < threshold:
        return ()
    linked = (
        " (with linked transactions)" if ctx.hkd_value is not None and total > ctx.hkd_value else ""
    )
    return (
        _hit(
            spec,
            f">= {_hkd(threshold)} within {spec.integer('linked_window_hours')}h",
            f"occasional amount {_hkd(total)}{linked} reaches the CDD threshold without CDD",
        ),
    )


def rule_cdd_occasional_va_transfer(spec: RuleSpec, ctx: RuleContext) -> Sequence[RuleHit]:
    """CDD before occasional VA transfers of HK$8,000 or more (linked ones added up)."""
    return _cdd_threshold(spec, ctx, transfers=True)


def rule_cdd_occasional_transaction(spec: RuleSpec, ctx: RuleContext) -> Sequence[RuleHit]:
    """CDD before other occasional transactions of HK$120,000 or more (linked ones added up)."""
    return _cdd_threshold(spec, ctx, transfers=False)


# --------------------------------------------------------------------------- travel rule


def _missing(party: TravelRuleParty | None, required: Sequence[str]) -> list[str]:
    if party is None:
        return list(required)
    return [name for name in required if not (party.value(name) or "").strip()]


def _travel_rule(spec: RuleSpec, ctx: RuleContext, *, direction: str) -> Sequence[RuleHit]:
    if ctx.tx.kind != direction:
        return ()
    threshold = spec.decimal("threshold_hkd")
    # Without an HKD value the full set is required: an unknown amount is never "small".
    full = ctx.hkd_value is None or ctx.hkd_value >= threshold
    data = ctx.tx.travel_rule or TravelRuleData()
    if full:
        missing = [
            f"originator.{n}" for n in _missing(data.originator, spec.names("full_originator"))
        ]
        one_of = spec.names("full_originator_one_of")
        if len(_missing(data.originator, one_of)) == len(one_of):
            missing.append("originator.(" + "|".join(one_of) + ")")
        missing += [
            f"beneficiary.{n}" for n in _missing(data.beneficiary, spec.names("full_beneficiary"))
        ]
    else:
        missing = [
            f"originator.{n}" for n in _missing(data.originator, spec.names("reduced_originator"))
        ] + [
            f"beneficiary.{n}"
            for n in _missing(data.beneficiary, spec.names("reduced_beneficiary"))
        ]
    if not missing:
        return ()
    level = "full" if full else "reduced"
    figure = f"{level} set at {'>=' if full else '<'} {_hkd(threshold)}"
    return (_hit(spec, figure, "travel-rule data incomplete: missing " + ", ".join(missing)),)


def rule_travel_rule_outgoing(spec: RuleSpec, ctx: RuleContext) -> Sequence[RuleHit]:
    """Originator and beneficiary data complete before an outgoing transfer."""
    return _travel_rule(spec, ctx, direction="transfer_out")


def rule_travel_rule_incoming(spec: RuleSpec, ctx: RuleContext) -> Sequence[RuleHit]:
    """Incoming transfers checked for complete originator and beneficiary data."""
    return _travel_rule(spec, ctx, direction="transfer_in")


_BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))


def has_control_characters(text: str) -> bool:
    """True for C0/C1 controls, format characters (zero-width, bidi overrides), line breaks."""
    if text.isprintable():  # fast path: printable excludes every category tested below
        return False
    return any(
        ch in _BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in text
    )


def rule_travel_rule_data_quality(spec: RuleSpec, ctx: RuleContext) -> Sequence[RuleHit]:
    """Travel-rule fields must be plain text within the length limit (reason names fields only)."""
    data = ctx.tx.travel_rule
    if data is None or not ctx.tx.is_transfer:
        return ()
    limit = spec.integer("max_field_length")
    bad: list[str] = []
    for role, party in (("originator", data.originator), ("beneficiary", data.beneficiary)):
        if party is None:
            continue
        for name in TravelRuleParty.__slots__:
            value = party.value(name)
            if value is not None and (has_control_characters(value) or len(value) > limit):
                bad.append(f"{role}.{name}")
    if not bad:
        return ()
    return (
        _hit(
            spec,
            f"plain text, <= {limit} chars",
            "travel-rule fields contain control characters or are too long: " + ", ".join(bad),
        ),
    )


# --------------------------------------------------------------------------- wallets


def rule_firm_wallet_registered(spec: RuleSpec, ctx: RuleContext) -> Sequence[RuleHit]:
    """The firm side of a transfer must be one of the firm's registered wallets."""
    tx = ctx.tx
    if not tx.is_transfer or "firm" in ctx.invalid_addresses or tx.chain is None:
        return ()
    if ctx.firm_wallet is not None and ctx.own_firm.has_wallet(tx.chain, ctx.firm_wallet):
        return ()
    return (_hit(spec, "registered firm wallet", "firm-side wallet is not a registered wallet"),)


def _client_wallet_proven(spec: RuleSpec, ctx: RuleContext, *, direction: str) -> Sequence[RuleHit]:
    tx = ctx.tx
    if tx.kind != direction or tx.counterparty_firm_id is not None or tx.chain is None:
        return ()
    if "client" in ctx.invalid_addresses or ctx.client_wallet is None:
        return ()
    wallet = ctx.client.wallet(tx.chain, ctx.client_wallet)
    if wallet is None:
        return (_hit(spec, "proven client wallet", "wallet is not on the client's whitelist"),)
    if not wallet.proven:
        return (_hit(spec, "proven client wallet", "wallet ownership has not been proven"),)
    return ()


def rule_client_wallet_proven_outgoing(spec: RuleSpec, ctx: RuleContext) -> Sequence[RuleHit]:
    """Send only to client wallets with proven ownership."""
    return _client_wallet_proven(spec, ctx, direction="transfer_out")


def rule_client_wallet_proven_incoming(spec: RuleSpec, ctx: RuleContext) -> Sequence[RuleHit]:
    """Hold deposits from client wallets without proven ownership."""
    return _client_wallet_proven(spec, ctx, direction="transfer_in")


def rule_counterparty_vasp(spec: RuleSpec, ctx: RuleContext) -> Sequence[RuleHit]:
    """A counterparty firm must pass the licence-register check."""
    decision = ctx.counterparty
    if decision is None or decision.allowed:
        return ()
    return (_hit(spec, "active licence", f"counterparty check failed: {decision.reason_code}"),)


def rule_asset_allow_list(spec: RuleSpec, ctx: RuleContext) -> Sequence[RuleHit]:
    """Deal only in allow-listed assets."""
    if ctx.listing is not None:
        return ()
    return (_hit(spec, "asset on allow-list", "asset is not on the allow-list"),)


def rule_wallet_screening(spec: RuleSpec, ctx: RuleContext) -> Sequence[RuleHit]:
    """Block or hold on the blockchain-analytics score of the external wallet."""
    risk = ctx.address_risk
    if risk is None:
        return ()
    block_at = spec.integer("block_score")
    review_at = spec.integer("review_score")
    if risk.score >= block_at:
        return (_hit(spec, f"score >= {block_at}", f"wallet risk score {risk.score}", "block"),)
    if risk.score >= review_at:
        return (_hit(spec, f"score >= {review_at}", f"wallet risk score {risk.score}", "hold"),)
    return ()


# --------------------------------------------------------------------------- patterns


def rule_structuring(spec: RuleSpec, ctx: RuleContext) -> Sequence[RuleHit]:
    """Repeated amounts just under a CDD threshold from one client or wallet."""
    if ctx.hkd_value is None:
        return ()
    # The thresholds come from the CDD rules, so one override moves both.
    threshold = ctx.transfer_threshold_hkd if ctx.tx.is_transfer else ctx.other_threshold_hkd
    lower = threshold * (1 - spec.decimal("band_pct") / _HUNDRED)
    if not lower <= ctx.hkd_value < threshold:
        return ()
    in_band = [
        e
        for e in _window(ctx, spec.integer("window_hours"))
        if _same_category(e, ctx.tx)
        and e.hkd_value is not None
        and lower <= e.hkd_value < threshold
    ]
    count = len(in_band) + 1
    if count < spec.integer("min_count"):
        return ()
    return (
        _hit(
            spec,
            f">= {spec.integer('min_count')} amounts in [{_hkd(lower)}, {_hkd(threshold)})"
            f" within {spec.integer('window_hours')}h",
            f"{count} amounts just under the {_hkd(threshold)} threshold",
        ),
    )


def rule_velocity(spec: RuleSpec, ctx: RuleContext) -> Sequence[RuleHit]:
    """Too many transactions or too much value for one client in the window."""
    hours = spec.integer("window_hours")
    mine = [e for e in _window(ctx, hours) if e.client_id == ctx.tx.client_id]
    count = len(mine) + 1
    total = sum((e.hkd_value for e in mine if e.hkd_value is not None), Decimal(0))
    total += ctx.hkd_value or Decimal(0)
    max_count = spec.integer("max_count")
    max_total = spec.decimal("max_total_hkd")
    hits: list[RuleHit] = []
    if count > max_count:
        hits.append(_hit(spec, f"<= {max_count} in {hours}h", f"{count} transactions in {hours}h"))
    if total > max_total:
        hits.append(_hit(spec, f"<= {_hkd(max_total)} in {hours}h", f"{_hkd(total)} in {hours}h"))
    return hits


def _close(a: Decimal, b: Decimal, tolerance_pct: Decimal) -> bool:
    return abs(a - b) <= max(a, b) * tolerance_pct / _HUNDRED


def rule_round_tripping(spec: RuleSpec, ctx: RuleContext) -> Sequence[RuleHit]:
    """Value that comes straight back: out to a wallet then in from it, or buy then sell."""
    tx = ctx.tx
    tolerance = spec.decimal("tolerance_pct")
    hours = spec.integer("window_hours")
    recent = _window(ctx, hours)
    if tx.kind == "transfer_in" and ctx.client_wallet is not None:
        for e in recent:
            if (
                e.kind == "transfer_out"
                and e.wallet == ctx.client_wallet
                and e.asset == tx.asset
                and _close(e.quantity, tx.quantity, tolerance)
            ):
                return (
                    _hit(
                        spec,
                        f"within {tolerance}% in {hours}h",
                        "transfer in from a wallet that was sent a similar amount",
                    ),
                )
    if tx.kind == "sell":
        for e in recent:
            if (
                e.kind == "buy"
                and e.client_id == tx.client_id
                and e.asset == tx.asset
                and _close(e.quantity, tx.quantity, tolerance)
            ):
                return (
                    _hit(
                        spec,
                        f"within {tolerance}% in {hours}h",
                        "sale of a similar amount of an asset bought in the window",
                    ),
                )
    return ()


BUILTIN_RULES: Mapping[str, RuleFn] = {
    "hkd_valuation": rule_hkd_valuation,
    "address_checksum": rule_address_checksum,
    "cdd_business_relationship": rule_cdd_business_relationship,
    "cdd_high_risk_edd": rule_cdd_high_risk_edd,
    "cdd_occasional_va_transfer": rule_cdd_occasional_va_transfer,
    "cdd_occasional_transaction": rule_cdd_occasional_transaction,
    "travel_rule_outgoing": rule_travel_rule_outgoing,
    "travel_rule_incoming": rule_travel_rule_incoming,
    "travel_rule_data_quality": rule_travel_rule_data_quality,
    "firm_wallet_registered": rule_firm_wallet_registered,
    "client_wallet_proven_outgoing": rule_client_wallet_proven_outgoing,
    "client_wallet_proven_incoming": rule_client_wallet_proven_incoming,
    "counterparty_vasp": rule_counterparty_vasp,
    "asset_allow_list": rule_asset_allow_list,
    "wallet_screening": rule_wallet_screening,
    "structuring": rule_structuring,
    "velocity": rule_velocity,
    "round_tripping": rule_round_tripping,
}


class RuleEngine:
    """Runs the enabled rules of a ``ControlSet`` in file order."""

    def __init__(
        self, controls: ControlSet, extra_rules: Mapping[str, RuleFn] | None = None
    ) -> None:
        self.controls = controls
        self._registry: dict[str, RuleFn] = {**BUILTIN_RULES, **(extra_rules or {})}
        missing = [s.rule_id for s in controls.enabled_rules if s.rule_id not in self._registry]
        if missing:
            raise ControlConfigError("rules declared without an implementation", rules=missing)
        self._plan: tuple[tuple[RuleSpec, RuleFn], ...] = tuple(
            (spec, self._registry[spec.rule_id]) for spec in controls.enabled_rules
        )
        self.transfer_threshold_hkd = controls.rule("cdd_occasional_va_transfer").decimal(
            "threshold_hkd"
        )
        self.other_threshold_hkd = controls.rule("cdd_occasional_transaction").decimal(
            "threshold_hkd"
        )
        hours = [
            spec.integer(name)
            for spec in controls.enabled_rules
            for name in ("window_hours", "linked_window_hours")
            if name in spec.figures
        ]
        self.history_hours: int = max(hours, default=0)
        self.rule_ids: tuple[str, ...] = tuple(spec.rule_id for spec, _ in self._plan)

    def linked_window_hours(self, transfers: bool) -> int:
        """The CDD linking window for transfers or for other transactions."""
        rule_id = "cdd_occasional_va_transfer" if transfers else "cdd_occasional_transaction"
        return self.controls.rule(rule_id).integer("linked_window_hours")

    def evaluate(self, ctx: RuleContext) -> tuple[RuleHit, ...]:
        """All hits, in rule order."""
        hits: list[RuleHit] = []
        for spec, fn in self._plan:
            hits.extend(fn(spec, ctx))
        return tuple(hits)


__all__ = [
    "BUILTIN_RULES",
    "RuleContext",
    "RuleEngine",
    "RuleFn",
    "has_control_characters",
    "linked_total",
]
