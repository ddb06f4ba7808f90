"""Use cases: the licence register, client onboarding and the transaction check.

All three services take their repositories, the control set and a clock explicitly, and
write what they did to an optional ``AuditSink`` with identifiers only (no names, no
addresses, no signatures in payloads).
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from dualtrack.errors import ConfigurationError, IllegalTransition
from dualtrack.ledger.ports import AuditSink
from dualtrack.vadealing.addresses import (
    is_valid_address,
    normalise_address,
    try_normalise_address,
)
from dualtrack.vadealing.controls import ControlSet
from dualtrack.vadealing.domain import (
    LICENCE_TRANSITIONS,
    AddressRisk,
    Authority,
    BeneficialOwner,
    CapitalAssessment,
    CapitalPosition,
    CddStatus,
    Chain,
    CheckResult,
    Client,
    ClientWallet,
    CounterpartyDecision,
    Firm,
    FirmKind,
    FitAndProperCheck,
    FitAndProperOutcome,
    FxRate,
    LicenceStatus,
    LinkedEntry,
    MicroPaymentTest,
    ObservedTransfer,
    OfficerRole,
    RegisteredWallet,
    Relationship,
    ResponsibleOfficer,
    VaTransaction,
    WalletChallenge,
    WalletProof,
    client_key,
    wallet_key,
    worst,
)
from dualtrack.vadealing.errors import (
    ChallengeNotFound,
    ClientNotFound,
    DuplicateRecord,
    FirmNotFound,
    InvalidTransaction,
    WalletProofFailed,
)
from dualtrack.vadealing.licensing import Purpose, assess_capital, assess_counterparty
from dualtrack.vadealing.memory import StaticAssetAllowList
from dualtrack.vadealing.ports import (
    AddressRiskProvider,
    AssetAllowList,
    ClientRepository,
    Clock,
    FirmRepository,
    FxRateProvider,
    LinkedTransactionStore,
    ProofChallengeStore,
)
from dualtrack.vadealing.rules import RuleContext, RuleEngine, has_control_characters, linked_total
from dualtrack.vadealing.wallet_proof import (
    bitcoin_message_hash,
    eip191_hash,
    verify_bitcoin_message,
    verify_eth_message,
)

logger = logging.getLogger(__name__)

_CENT = Decimal("0.01")
# Smallest units used to draw micro-payment amounts (satoshi; gwei for ether).
_MICRO_UNIT: dict[Chain, Decimal] = {"bitcoin": Decimal("0.00000001"), "ethereum": Decimal("1e-9")}


def _record(
    audit: AuditSink | None,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    payload: dict[str, Any],
) -> None:
    if audit is not None:
        audit.record(
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            payload=payload,
        )


def _check_id(value: str, what: str) -> None:
    if not isinstance(value, str) or not value.strip() or has_control_characters(value):
        raise InvalidTransaction(f"{what} must be a non-empty plain-text identifier")


# =========================================================================== licence register


class LicenceRegisterService:
    """Maintains dealers and custodians and answers counterparty checks."""

    def __init__(
        self,
        firms: FirmRepository,
        controls: ControlSet,
        *,
        clock: Clock,
        audit: AuditSink | None = None,
    ) -> None:
        self._firms = firms
        self._controls = controls
        self._clock = clock
        self._audit = audit

    def _get(self, firm_id: str) -> Firm:
        firm = self._firms.get(firm_id)
        if firm is None:
            raise FirmNotFound("firm not in the licence register", firm_id=firm_id)
        return firm

    def _save(self, firm: Firm, *, actor: str, action: str, payload: dict[str, Any]) -> Firm:
        self._firms.save(firm)
        _record(
            self._audit,
            actor=actor,
            action=action,
            subject_type="va_firm",
            subject_id=firm.firm_id,
            payload=payload,
        )
        return firm

    def get_firm(self, firm_id: str) -> Firm:
        """The firm (``FirmNotFound`` when absent)."""
        return self._get(firm_id)

    def list_firms(self) -> list[Firm]:
        """Every firm in the register."""
        return list(self._firms.list())

    def register_firm(
        self,
        *,
        firm_id: str,
        name: str,
        kind: FirmKind,
        authority: Authority,
        actor: str,
        status: LicenceStatus = "applied",
        conditions: Sequence[str] = (),
    ) -> Firm:
        """Add a firm (status ``applied`` unless recording an existing licence)."""
        _check_id(firm_id, "firm_id")
        if self._firms.get(firm_id) is not None:
            raise DuplicateRecord("firm already registered", firm_id=firm_id)
        firm = Firm(
            firm_id=firm_id,
            name=name,
            kind=kind,
            authority=authority,
            status=status,
            status_since=self._clock.now().date(),
            conditions=tuple(conditions),
        )
        return self._save(
            firm,
            actor=actor,
            action="va.firm_registered",
            payload={"kind": kind, "authority": authority, "status": status},
        )

    def change_status(
        self,
        firm_id: str,
        new_status: LicenceStatus,
        *,
        actor: str,
        conditions: Sequence[str] | None = None,
    ) -> Firm:
        """Move the licence along its lifecycle (``IllegalTransition`` otherwise)."""
        firm = self._get(firm_id)
        if new_status not in LICENCE_TRANSITIONS[firm.status]:
            raise IllegalTransition(
                "licence status change not allowed",
                firm_id=firm_id,
                current=firm.status,
                requested=new_status,
            )
        updated = dataclasses.replace(
            firm,
            status=new_status,
            status_since=self._clock.now().date(),
            conditions=tuple(conditions) if conditions is not None else firm.conditions,
        )
        return self._save(
            updated,
            actor=actor,
            action="va.licence_status_changed",
            payload={"from": firm.status, "to": new_status},
        )

    def add_officer(self, firm_id: str, officer_id: str, role: OfficerRole, *, actor: str) -> Firm:
        """Add an officer (fit-and-proper result recorded separately)."""
        firm = self._get(firm_id)
        if any(o.officer_id == officer_id for o in firm.officers):
            raise DuplicateRecord("officer already recorded", firm_id=firm_id)
        updated = dataclasses.replace(
            firm, officers=(*firm.officers, ResponsibleOfficer(officer_id=officer_id, role=role))
        )
        return self._save(
            updated, actor=actor, action="va.officer_added", payload={"officer_id": officer_id}
        )

    def record_fit_and_proper(
        self,
        firm_id: str,
        officer_id: str,
        outcome: FitAndProperOutcome,
        *,
        checked_on: date,
        actor: str,
        reference: str = "",
    ) -> Firm:
        """Record the outcome and date of an officer's fit-and-proper assessment."""
        firm = self._get(firm_id)
        if not any(o.officer_id == officer_id for o in firm.officers):
            raise FirmNotFound("officer not recorded for this firm", firm_id=firm_id)
        check = FitAndProperCheck(outcome=outcome, checked_on=checked_on, reference=reference)
        officers = tuple(
            dataclasses.replace(o, fit_and_proper=check) if o.officer_id == officer_id else o
            for o in firm.officers
        )
        return self._save(
            dataclasses.replace(firm, officers=officers),
            actor=actor,
            action="va.fit_and_proper_recorded",
            payload={
                "officer_id": officer_id,
                "outcome": outcome,
                "checked_on": checked_on.isoformat(),
            },
        )

    def record_capital(
        self,
        firm_id: str,
        *,
        paid_up_hkd: Decimal,
        liquid_hkd: Decimal,
        as_of: date,
        actor: str,
    ) -> CapitalAssessment:
        """Record reported capital and return the assessment against the minimums."""
        if paid_up_hkd < 0 or liquid_hkd < 0:
            raise InvalidTransaction("capital figures cannot be negative", firm_id=firm_id)
        firm = self._get(firm_id)
        position = CapitalPosition(paid_up_hkd=paid_up_hkd, liquid_hkd=liquid_hkd, as_of=as_of)
        updated = dataclasses.replace(firm, capital=position)
        assessment = assess_capital(updated, self._controls)
        self._save(
            updated,
            actor=actor,
            action="va.capital_recorded",
            payload={
                "paid_up_hkd": str(paid_up_hkd),
                "liquid_hkd": str(liquid_hkd),
                "meets": assessment.meets,
                "requirement_status": assessment.requirement.status,
            },
        )
        return assessment

    def assess_capital(self, firm_id: str) -> CapitalAssessment:
        """The firm's capital against the (configurable, proposed) minimums."""
        return assess_capital(self._get(firm_id), self._controls)

    def register_wallet(
        self, firm_id: str, chain: Chain, address: str, *, actor: str, label: str = ""
    ) -> Firm:
        """Register a wallet of the firm (checksum verified, stored normalised)."""
        firm = self._get(firm_id)
        normalised = normalise_address(chain, address)
        if firm.has_wallet(chain, normalised):
            raise DuplicateRecord("wallet already registered", firm_id=firm_id)
        wallet = RegisteredWallet(
            chain=chain, address=normalised, label=label, registered_on=self._clock.now().date()
        )
        return self._save(
            dataclasses.replace(firm, wallets=(*firm.wallets, wallet)),
            actor=actor,
            action="va.firm_wallet_registered",
            payload={"chain": chain, "label": label},
        )

    def check_counterparty(
        self,
        firm_id: str,
        *,
        purpose: Purpose,
        on: date | None = None,
        chain: Chain | None = None,
        address: str | None = None,
    ) -> CounterpartyDecision:
        """May we deal with / transfer to / custody with this firm (and this wallet)?"""
        return assess_counterparty(
            self._firms.get(firm_id),
            self._controls,
            firm_id=firm_id,
            purpose=purpose,
            on=on or self._clock.now().date(),
            chain=chain,
            address=address,
        )


# =========================================================================== client onboarding


class ClientOnboardingService:
    """CDD status, beneficial owners and proven self-custody wallets."""

    def __init__(
        self,
        clients: ClientRepository,
        firms: FirmRepository,
        proofs: ProofChallengeStore,
        controls: ControlSet,
        *,
        own_firm_id: str,
        clock: Clock,
        audit: AuditSink | None = None,
        nonce_factory: Callable[[], str] | None = None,
    ) -> None:
        self._clients = clients
        self._firms = firms
        self._proofs = proofs
        self._controls = controls
        self._own_firm_id = own_firm_id
        self._clock = clock
        self._audit = audit
        self._nonce = nonce_factory or (lambda: secrets.token_hex(16))

    def _get(self, client_id: str) -> Client:
        client = self._clients.get(client_id)
        if client is None:
            raise ClientNotFound("client not found", client_id=client_id)
        return client

    def _save(self, client: Client, *, actor: str, action: str, payload: dict[str, Any]) -> Client:
        self._clients.save(client)
        _record(
            self._audit,
            actor=actor,
            action=action,
            subject_type="va_client",
            subject_id=client.client_id,
            payload=payload,
        )
        return client

    def get_client(self, client_id: str) -> Client:
        """The client (``ClientNotFound`` when absent)."""
        return self._get(client_id)

    def register_client(self, client_id: str, relationship: Relationship, *, actor: str) -> Client:
        """Open an onboarding record with CDD ``pending``."""
        _check_id(client_id, "client_id")
        if self._clients.get(client_id) is not None:
            raise DuplicateRecord("client already registered", client_id=client_id)
        return self._save(
            Client(client_id=client_id, relationship=relationship),
            actor=actor,
            action="va.client_registered",
            payload={"relationship": relationship},
        )

    def set_cdd_status(
        self,
        client_id: str,
        status: CddStatus,
        *,
        actor: str,
        verified_on: date | None = None,
        review_due: date | None = None,
    ) -> Client:
        """Record a CDD outcome; cleared statuses need the date CDD was completed."""
        client = self._get(client_id)
        if status in ("verified", "enhanced_due_diligence") and verified_on is None:
            raise InvalidTransaction("a cleared CDD status needs verified_on", client_id=client_id)
        updated = dataclasses.replace(
            client,
            cdd_status=status,
            cdd_verified_on=verified_on if verified_on is not None else client.cdd_verified_on,
            cdd_review_due=review_due,
        )
        return self._save(
            updated,
            actor=actor,
            action="va.cdd_status_set",
            payload={"from": client.cdd_status, "to": status},
        )

    def record_beneficial_owners(
        self, client_id: str, owners: Sequence[BeneficialOwner], *, actor: str
    ) -> tuple[BeneficialOwner, ...]:
        """Store the ownership chart; return the owners above the threshold (>25%)."""
        client = self._get(client_id)
        total = sum((o.share_pct for o in owners), Decimal(0))
        if any(not Decimal(0) < o.share_pct <= 100 for o in owners) or total > 100:
            raise InvalidTransaction("ownership shares must be in (0, 100] and sum to <= 100")
        self._save(
            dataclasses.replace(client, beneficial_owners=tuple(owners)),
            actor=actor,
            action="va.beneficial_owners_recorded",
            payload={"owners": len(owners)},
        )
        return self.beneficial_owners_above_threshold(client_id)

    def beneficial_owners_above_threshold(self, client_id: str) -> tuple[BeneficialOwner, ...]:
        """Owners holding more than the threshold (strictly greater than 25% by default)."""
        threshold = self._controls.beneficial_owner_threshold_pct
        return tuple(o for o in self._get(client_id).beneficial_owners if o.share_pct > threshold)

    def add_wallet(self, client_id: str, chain: Chain, address: str, *, actor: str) -> ClientWallet:
        """Whitelist a wallet the client says is theirs: it stays unproven until a proof."""
        client = self._get(client_id)
        normalised = normalise_address(chain, address)
        existing = client.wallet(chain, normalised)
        if existing is not None:
            return existing
        wallet = ClientWallet(chain=chain, address=normalised, added_at=self._clock.now())
        self._save(
            dataclasses.replace(client, wallets=(*client.wallets, wallet)),
            actor=actor,
            action="va.client_wallet_added",
            payload={"chain": chain},
        )
        return wallet

    def issue_wallet_challenge(
        self, client_id: str, chain: Chain, address: str, *, actor: str
    ) -> WalletChallenge:
        """A one-time message for the client to sign with the wallet's key."""
        wallet = self.add_wallet(client_id, chain, address, actor=actor)
        now = self._clock.now()
        nonce = self._nonce()
        message = (
            f"dualtrack wallet ownership proof\nclient: {client_id}\nwallet: {wallet.address}\n"
            f"nonce: {nonce}\nissued: {now.isoformat()}"
        )
        challenge = WalletChallenge(
            challenge_id=f"wc-{nonce}",
            client_id=client_id,
            chain=chain,
            address=wallet.address,
            message=message,
            issued_at=now,
            expires_at=now + timedelta(minutes=self._controls.challenge_ttl_minutes),
        )
        self._proofs.put_challenge(challenge)
        return challenge

    def _mark_proven(
        self, client_id: str, chain: Chain, address: str, proof: WalletProof, *, actor: str
    ) -> ClientWallet:
        client = self._get(client_id)
        wallets = []
        proven: ClientWallet | None = None
        for wallet in client.wallets:
            if wallet.chain == chain and wallet.address == address:
                proven = dataclasses.replace(wallet, proof=proof)
                wallets.append(proven)
            else:
                wallets.append(wallet)
        if proven is None:
            proven = ClientWallet(
                chain=chain, address=address, added_at=proof.verified_at, proof=proof
            )
            wallets.append(proven)
        self._save(
            dataclasses.replace(client, wallets=tuple(wallets)),
            actor=actor,
            action="va.client_wallet_proven",
            payload={"chain": chain, "method": proof.method},
        )
        return proven

    def prove_wallet_by_signature(
        self, challenge_id: str, signature: str, *, actor: str
    ) -> ClientWallet:
        """Verify the client's signature over the issued challenge message."""
        challenge = self._proofs.get_challenge(challenge_id)
        if challenge is None:
            raise ChallengeNotFound("no open wallet challenge", challenge_id=challenge_id)
        now = self._clock.now()
        if now > challenge.expires_at:
            self._proofs.close(challenge_id)
            raise WalletProofFailed("wallet challenge expired", challenge_id=challenge_id)
        if challenge.chain == "bitcoin":
            ok = verify_bitcoin_message(challenge.address, challenge.message, signature)
            digest = bitcoin_message_hash(challenge.message)
        else:
            ok = verify_eth_message(challenge.address, challenge.message, signature)
            digest = eip191_hash(challenge.message)
        if not ok:
            _record(
                self._audit,
                actor=actor,
                action="va.wallet_proof_failed",
                subject_type="va_client",
                subject_id=challenge.client_id,
                payload={"challenge_id": challenge_id, "method": "signed_message"},
            )
            raise WalletProofFailed(
                "signature does not prove control of the wallet", challenge_id=challenge_id
            )
        self._proofs.close(challenge_id)
        proof = WalletProof(
            method="signed_message",
            verified_at=now,
            evidence=(
                ("challenge_id", challenge_id),
                ("message_digest", digest.hex()),
                ("scheme", "bitcoin-signed-message" if challenge.chain == "bitcoin" else "eip-191"),
            ),
        )
        return self._mark_proven(
            challenge.client_id, challenge.chain, challenge.address, proof, actor=actor
        )

    def issue_micro_payment_test(
        self,
        client_id: str,
        chain: Chain,
        address: str,
        *,
        asset: str,
        firm_wallet: str,
        actor: str,
    ) -> MicroPaymentTest:
        """Ask the client to send a random small amount from the wallet to a firm wallet.

        The payment must come *from* the client's wallet: only spending proves control of
        its key (anyone can receive at an address they merely know).
        """
        wallet = self.add_wallet(client_id, chain, address, actor=actor)
        own = self._firms.get(self._own_firm_id)
        target = normalise_address(chain, firm_wallet)
        if own is None or not own.has_wallet(chain, target):
            raise WalletProofFailed("micro-payment target is not a registered firm wallet")
        nonce = self._nonce()
        units = int(nonce[:8], 16) % 9000 + 1000
        now = self._clock.now()
        test = MicroPaymentTest(
            test_id=f"mp-{nonce}",
            client_id=client_id,
            chain=chain,
            address=wallet.address,
            firm_wallet=target,
            asset=asset.upper(),
            expected_quantity=units * _MICRO_UNIT[chain],
            issued_at=now,
            expires_at=now + timedelta(hours=self._controls.micro_payment_ttl_hours),
        )
        self._proofs.put_test(test)
        return test

    def record_micro_payment(
        self, test_id: str, observed: ObservedTransfer, *, actor: str
    ) -> ClientWallet:
        """Match an observed on-chain transfer against the test; prove the wallet if it matches."""
        test = self._proofs.get_test(test_id)
        if test is None:
            raise ChallengeNotFound("no open micro-payment test", test_id=test_id)
        problems: list[str] = []
        if observed.chain != test.chain:
            problems.append("chain")
        else:
            if (
                not is_valid_address(test.chain, observed.from_address)
                or normalise_address(test.chain, observed.from_address) != test.address
            ):
                problems.append("from")
            if (
                not is_valid_address(test.chain, observed.to_address)
                or normalise_address(test.chain, observed.to_address) != test.firm_wallet
            ):
                problems.append("to")
        if observed.asset.upper() != test.asset:
            problems.append("asset")
        if observed.quantity != test.expected_quantity:
            problems.append("amount")
        if not test.issued_at <= observed.observed_at <= test.expires_at:
            problems.append("time")
        if problems:
            _record(
                self._audit,
                actor=actor,
                action="va.wallet_proof_failed",
                subject_type="va_client",
                subject_id=test.client_id,
                payload={"test_id": test_id, "method": "micro_payment", "mismatch": problems},
            )
            raise WalletProofFailed("micro-payment does not match the test", mismatch=problems)
        self._proofs.close(test_id)
        proof = WalletProof(
            method="micro_payment",
            verified_at=self._clock.now(),
            evidence=(
                ("test_id", test_id),
                ("tx_hash", observed.tx_hash),
                ("quantity", str(observed.quantity)),
                ("asset", test.asset),
            ),
        )
        return self._mark_proven(test.client_id, test.chain, test.address, proof, actor=actor)


# =========================================================================== transaction check


class VaComplianceService:
    """Checks a VA transaction against every enabled control and records it for linking."""

    def __init__(
        self,
        *,
        firms: FirmRepository,
        clients: ClientRepository,
        fx: FxRateProvider,
        linked: LinkedTransactionStore,
        controls: ControlSet,
        own_firm_id: str,
        clock: Clock,
        allow_list: AssetAllowList | None = None,
        address_risk: AddressRiskProvider | None = None,
        audit: AuditSink | None = None,
    ) -> None:
        if not controls.rule("hkd_valuation").enabled:
            # Without it a missing rate would pass silently.
            raise ConfigurationError("hkd_valuation cannot be disabled")
        self._firms = firms
        self._clients = clients
        self._fx = fx
        self._linked = linked
        self._controls = controls
        self._own_firm_id = own_firm_id
        self._clock = clock
        self._allow_list = allow_list or StaticAssetAllowList(controls.asset_listings)
        self._address_risk = address_risk
        self._audit = audit
        self._engine = RuleEngine(controls)
        self._max_rate_age = timedelta(
            seconds=controls.rule("hkd_valuation").integer("max_rate_age_seconds")
        )

    @property
    def controls(self) -> ControlSet:
        """The control set in force."""
        return self._controls

    def _validate(self, tx: VaTransaction) -> None:
        _check_id(tx.tx_id, "tx_id")
        _check_id(tx.client_id, "client_id")
        _check_id(tx.asset, "asset")
        if not isinstance(tx.at, datetime) or tx.at.tzinfo is None:
            raise InvalidTransaction("transaction time must be timezone-aware", tx_id=tx.tx_id)
        if not isinstance(tx.quantity, Decimal) or not tx.quantity.is_finite() or tx.quantity <= 0:
            raise InvalidTransaction("quantity must be a positive finite Decimal", tx_id=tx.tx_id)
        if tx.is_transfer and (tx.chain is None or not tx.client_wallet or not tx.firm_wallet):
            raise InvalidTransaction(
                "a transfer needs chain, client_wallet and firm_wallet", tx_id=tx.tx_id
            )

    def _value(self, tx: VaTransaction) -> tuple[Decimal | None, FxRate | None, str | None]:
        asset = tx.asset.upper()
        if asset == "HKD":
            rate = FxRate(currency="HKD", hkd_per_unit=Decimal(1), as_of=tx.at, source="identity")
            return tx.quantity.quantize(_CENT), rate, None
        if not self._fx.knows(asset):
            return None, None, "unknown currency: no rate source for the asset"
        found = self._fx.rate_at(asset, tx.at)
        if found is None:
            return None, None, "no rate at or before the trade time"
        rate = found
        if tx.at - rate.as_of > self._max_rate_age:
            return None, rate, "rate is older than the permitted age at trade time"
        value = tx.quantity * rate.hkd_per_unit
        if not value.is_finite():
            return None, rate, "HKD value is not finite"
        return value.quantize(_CENT), rate, None

    def _history(self, tx: VaTransaction, wallet: str | None) -> list[LinkedEntry]:
        start = tx.at - timedelta(hours=self._engine.history_hours)
        seen: dict[str, LinkedEntry] = {}
        keys = [client_key(tx.client_id)]
        if wallet is not None and tx.chain is not None:
            keys.append(wallet_key(tx.chain, wallet))
        for key in keys:
            for entry in self._linked.since(key, start):
                if entry.decision != "block" and entry.tx_id != tx.tx_id and entry.at <= tx.at:
                    seen.setdefault(entry.tx_id, entry)
        return sorted(seen.values(), key=lambda e: e.at)

    def check_transaction(
        self, tx: VaTransaction, *, actor: str = "system", record: bool = True
    ) -> CheckResult:
        """Check ``tx`` against every enabled rule.

        Raises ``InvalidTransaction`` for structurally unusable input and ``ClientNotFound``
        for an unknown client; everything else (bad checksums, unknown currency, missing
        rate, partial travel-rule data, control characters) becomes a rule hit with a
        reason, so the result is a hold or block, never a silent pass. With ``record`` the
        transaction is kept for linking (blocked ones are kept but never counted).
        """
        self._validate(tx)
        client = self._clients.get(tx.client_id)
        if client is None:
            raise ClientNotFound("client not found", client_id=tx.client_id)
        own_firm = self._firms.get(self._own_firm_id)
        if own_firm is None:
            raise ConfigurationError("the platform's own firm is not in the licence register")

        invalid: list[str] = []
        client_wallet: str | None = None
        firm_wallet: str | None = None
        if tx.chain is not None:
            if tx.client_wallet is not None:
                client_wallet = try_normalise_address(tx.chain, tx.client_wallet)
                if client_wallet is None:
                    invalid.append("client")
            if tx.firm_wallet is not None:
                firm_wallet = try_normalise_address(tx.chain, tx.firm_wallet)
                if firm_wallet is None:
                    invalid.append("firm")

        hkd_value, rate, problem = self._value(tx)
        on = tx.at.astimezone(UTC).date()
        counterparty: CounterpartyDecision | None = None
        if tx.counterparty_firm_id is not None:
            counterparty = assess_counterparty(
                self._firms.get(tx.counterparty_firm_id),
                self._controls,
                firm_id=tx.counterparty_firm_id,
                purpose="transfer" if tx.is_transfer else "deal",
                on=on,
                chain=tx.chain if client_wallet is not None else None,
                address=client_wallet,
            )
        risk: AddressRisk | None = None
        if self._address_risk is not None and client_wallet is not None and tx.chain is not None:
            risk = self._address_risk.risk(tx.chain, client_wallet)

        ctx = RuleContext(
            tx=tx,
            client=client,
            own_firm=own_firm,
            on=on,
            hkd_value=hkd_value,
            rate=rate,
            valuation_problem=problem,
            client_wallet=client_wallet,
            firm_wallet=firm_wallet,
            invalid_addresses=tuple(invalid),
            history=self._history(tx, client_wallet),
            listing=self._allow_list.listing(tx.asset),
            counterparty=counterparty,
            address_risk=risk,
            transfer_threshold_hkd=self._engine.transfer_threshold_hkd,
            other_threshold_hkd=self._engine.other_threshold_hkd,
        )
        hits = self._engine.evaluate(ctx)
        decision = worst([hit.action for hit in hits])
        result = CheckResult(
            tx_id=tx.tx_id,
            decision=decision,
            hits=hits,
            hkd_value=hkd_value,
            rate_source=rate.source if rate is not None and problem is None else None,
            rate_as_of=rate.as_of if rate is not None and problem is None else None,
            linked_total_hkd=linked_total(ctx, self._engine.linked_window_hours(tx.is_transfer)),
            controls_version=f"{self._controls.version}+{self._controls.fingerprint}",
            checked_at=self._clock.now(),
            rules_evaluated=self._engine.rule_ids,
        )
        if record:
            entry = LinkedEntry(
                tx_id=tx.tx_id,
                client_id=tx.client_id,
                kind=tx.kind,
                asset=tx.asset.upper(),
                quantity=tx.quantity,
                hkd_value=hkd_value,
                at=tx.at,
                wallet=client_wallet,
                decision=decision,
            )
            self._linked.append(client_key(tx.client_id), entry)
            if client_wallet is not None and tx.chain is not None:
                self._linked.append(wallet_key(tx.chain, client_wallet), entry)
        _record(
            self._audit,
            actor=actor,
            action="va.transaction_checked",
            subject_type="va_transaction",
            subject_id=tx.tx_id,
            payload={
                "decision": decision,
                "rules": list(result.rule_ids),
                "hkd_value": None if hkd_value is None else str(hkd_value),
                "rate_source": result.rate_source,
                "controls_version": result.controls_version,
            },
        )
        if decision != "allow":
            logger.info("VA transaction %s %s by %d rule(s)", tx.tx_id, decision, len(hits))
        return result


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Small helper for building UTC timestamps (tests, data generation)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


__all__ = [
    "ClientOnboardingService",
    "LicenceRegisterService",
    "VaComplianceService",
    "utc",
]
