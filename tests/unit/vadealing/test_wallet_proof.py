"""Wallet-ownership proofs with real keys generated in the test; tampering must fail."""

from __future__ import annotations

import base64
from datetime import timedelta
from decimal import Decimal

import coincurve
import pytest

from dualtrack.identifiers.crypto import (
    eth_address_from_public_key,
    p2pkh_address,
    p2sh_p2wpkh_address,
    p2wpkh_address,
)
from dualtrack.vadealing.domain import ObservedTransfer
from dualtrack.vadealing.errors import ChallengeNotFound, InvalidAddress, WalletProofFailed
from dualtrack.vadealing.wallet_proof import (
    recover_eth_address,
    sign_bitcoin_message,
    sign_eth_message,
    verify_bitcoin_message,
    verify_eth_message,
)

from .conftest import World, btc_address, eth_address, key

MESSAGE = "dualtrack proof\nnonce: 1234"


def _btc_forms(k: coincurve.PrivateKey) -> list[tuple[str, str]]:
    compressed = k.public_key.format(compressed=True)
    return [
        ("p2pkh", p2pkh_address(compressed)),
        ("p2pkh-uncompressed", p2pkh_address(k.public_key.format(compressed=False))),
        ("p2sh-p2wpkh", p2sh_p2wpkh_address(compressed)),
        ("p2wpkh", p2wpkh_address(compressed)),
        ("p2pkh", p2pkh_address(compressed, network="testnet")),
    ]


@pytest.mark.parametrize("index", range(5))
def test_bitcoin_signed_message_round_trip_and_tamper(index: int) -> None:
    k = coincurve.PrivateKey()
    kind, address = _btc_forms(k)[index]
    signature = sign_bitcoin_message(k, MESSAGE, kind=kind)
    assert verify_bitcoin_message(address, MESSAGE, signature)
    assert not verify_bitcoin_message(address, MESSAGE + ".", signature)
    other = p2pkh_address(coincurve.PrivateKey().public_key.format())
    assert not verify_bitcoin_message(other, MESSAGE, signature)


def test_uncompressed_header_does_not_match_compressed_address() -> None:
    k = coincurve.PrivateKey()
    signature = sign_bitcoin_message(k, MESSAGE, kind="p2pkh-uncompressed")
    assert not verify_bitcoin_message(p2pkh_address(k.public_key.format()), MESSAGE, signature)


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "not base64!",
        base64.b64encode(b"\x1f" + bytes(63)).decode(),  # 64 bytes
        base64.b64encode(b"\x05" + bytes(64)).decode(),  # header out of range
        base64.b64encode(b"\x1f" + bytes(64)).decode(),  # r = s = 0
        base64.b64encode(b"\x1f" + b"\xff" * 64).decode(),  # r, s >= curve order
    ],
)
def test_malformed_bitcoin_signatures_fail(signature: str) -> None:
    address = p2pkh_address(coincurve.PrivateKey().public_key.format())
    assert not verify_bitcoin_message(address, MESSAGE, signature)


def test_flipped_signature_byte_fails() -> None:
    k = coincurve.PrivateKey()
    address = p2pkh_address(k.public_key.format())
    raw = bytearray(base64.b64decode(sign_bitcoin_message(k, MESSAGE)))
    raw[10] ^= 0x01
    assert not verify_bitcoin_message(address, MESSAGE, base64.b64encode(bytes(raw)).decode())


def test_ethereum_personal_sign_round_trip_and_tamper() -> None:
    k = coincurve.PrivateKey()
    address = eth_address_from_public_key(k.public_key.format(compressed=False))
    signature = sign_eth_message(k, MESSAGE)
    assert recover_eth_address(MESSAGE, signature) == address
    assert verify_eth_message(address, MESSAGE, signature)
    assert verify_eth_message(address.lower(), MESSAGE, signature)
    assert not verify_eth_message(address, MESSAGE.replace("1234", "1235"), signature)
    # v as 0/1 (some wallets) is accepted too
    raw = bytes.fromhex(signature[2:])
    assert verify_eth_message(address, MESSAGE, (raw[:64] + bytes([raw[64] - 27])).hex())
    assert recover_eth_address(MESSAGE, "0x1234") is None
    assert recover_eth_address(MESSAGE, "0x" + (raw[:64] + b"\x05").hex()) is None


def test_eth_signature_is_not_a_bitcoin_signature() -> None:
    k = coincurve.PrivateKey()
    btc = p2pkh_address(k.public_key.format())
    eth_sig = bytes.fromhex(sign_eth_message(k, MESSAGE)[2:])
    as_btc = base64.b64encode(bytes([31 + eth_sig[64] - 27]) + eth_sig[:64]).decode()
    assert not verify_bitcoin_message(btc, MESSAGE, as_btc)


# ---------------------------------------------------------------- through the service


@pytest.mark.parametrize("chain", ["bitcoin", "ethereum"])
def test_signed_challenge_proves_the_wallet(world: World, chain: str) -> None:
    address = world.prove("C-OCC", chain, f"fresh-{chain}")  # type: ignore[arg-type]
    wallet = world.onboarding.get_client("C-OCC").wallet(chain, address)  # type: ignore[arg-type]
    assert wallet is not None and wallet.proven
    assert wallet.proof is not None and wallet.proof.method == "signed_message"
    evidence = dict(wallet.proof.evidence)
    assert len(evidence["message_digest"]) == 64


def test_signature_over_a_tampered_message_is_rejected(world: World) -> None:
    address = eth_address("tamper")
    challenge = world.onboarding.issue_wallet_challenge("C-OCC", "ethereum", address, actor="t")
    signature = sign_eth_message(key("tamper"), challenge.message + " ")
    with pytest.raises(WalletProofFailed):
        world.onboarding.prove_wallet_by_signature(challenge.challenge_id, signature, actor="t")
    wallet = world.onboarding.get_client("C-OCC").wallet("ethereum", address)
    assert wallet is not None and not wallet.proven
    assert world.audit.events[-1]["action"] == "va.wallet_proof_failed"


def test_signature_by_another_key_is_rejected(world: World) -> None:
    challenge = world.onboarding.issue_wallet_challenge(
        "C-OCC", "bitcoin", btc_address("victim"), actor="t"
    )
    signature = sign_bitcoin_message(key("attacker"), challenge.message)
    with pytest.raises(WalletProofFailed):
        world.onboarding.prove_wallet_by_signature(challenge.challenge_id, signature, actor="t")


def test_challenge_is_single_use_and_expires(world: World) -> None:
    challenge = world.onboarding.issue_wallet_challenge(
        "C-OCC", "bitcoin", btc_address("once"), actor="t"
    )
    signature = sign_bitcoin_message(key("once"), challenge.message)
    world.onboarding.prove_wallet_by_signature(challenge.challenge_id, signature, actor="t")
    with pytest.raises(ChallengeNotFound):
        world.onboarding.prove_wallet_by_signature(challenge.challenge_id, signature, actor="t")

    late = world.onboarding.issue_wallet_challenge(
        "C-OCC", "bitcoin", btc_address("late"), actor="t"
    )
    world.clock.advance(timedelta(minutes=31))
    with pytest.raises(WalletProofFailed, match="expired"):
        world.onboarding.prove_wallet_by_signature(
            late.challenge_id, sign_bitcoin_message(key("late"), late.message), actor="t"
        )


def test_declared_wallet_is_not_proven(world: World) -> None:
    wallet = world.onboarding.add_wallet("C-OCC", "bitcoin", btc_address("said-so"), actor="t")
    assert not wallet.proven


def test_invalid_wallet_address_is_rejected(world: World) -> None:
    with pytest.raises(InvalidAddress) as info:
        world.onboarding.add_wallet("C-OCC", "ethereum", "0x1234", actor="t")
    assert "0x1234" not in str(info.value)


def _observed(world: World, test_id: str, **change: object) -> ObservedTransfer:
    test = world.onboarding._proofs.get_test(test_id)
    assert test is not None
    fields: dict[str, object] = {
        "chain": test.chain,
        "tx_hash": "ab" * 32,
        "from_address": test.address,
        "to_address": test.firm_wallet,
        "asset": test.asset,
        "quantity": test.expected_quantity,
        "observed_at": world.clock.now() + timedelta(minutes=5),
    }
    fields.update(change)
    return ObservedTransfer(**fields)  # type: ignore[arg-type]


def _issue(world: World) -> str:
    test = world.onboarding.issue_micro_payment_test(
        "C-OCC",
        "bitcoin",
        btc_address("mp-wallet"),
        asset="BTC",
        firm_wallet=btc_address("firm-hot-btc"),
        actor="t",
    )
    assert Decimal("0.00001") <= test.expected_quantity < Decimal("0.0001")
    return test.test_id


def test_micro_payment_match_proves_the_wallet(world: World) -> None:
    test_id = _issue(world)
    wallet = world.onboarding.record_micro_payment(test_id, _observed(world, test_id), actor="t")
    assert wallet.proven and wallet.proof is not None
    assert wallet.proof.method == "micro_payment"


@pytest.mark.parametrize(
    ("change", "mismatch"),
    [
        ({"quantity": Decimal("0.00000001")}, "amount"),
        ({"from_address": btc_address("someone-else")}, "from"),
        ({"to_address": btc_address("not-firm")}, "to"),
        ({"asset": "ETH"}, "asset"),
        ({"chain": "ethereum"}, "chain"),
    ],
)
def test_micro_payment_mismatch_fails(
    world: World, change: dict[str, object], mismatch: str
) -> None:
    test_id = _issue(world)
    with pytest.raises(WalletProofFailed) as info:
        world.onboarding.record_micro_payment(
            test_id, _observed(world, test_id, **change), actor="t"
        )
    assert mismatch in info.value.fields["mismatch"]


def test_micro_payment_after_expiry_fails(world: World) -> None:
    test_id = _issue(world)
    observed = _observed(world, test_id, observed_at=world.clock.now() + timedelta(hours=49))
    with pytest.raises(WalletProofFailed):
        world.onboarding.record_micro_payment(test_id, observed, actor="t")


def test_micro_payment_target_must_be_a_firm_wallet(world: World) -> None:
    with pytest.raises(WalletProofFailed):
        world.onboarding.issue_micro_payment_test(
            "C-OCC",
            "bitcoin",
            btc_address("w"),
            asset="BTC",
            firm_wallet=btc_address("not-firm"),
            actor="t",
        )


def test_published_bitcoin_signed_message_vector() -> None:
    # A signature published with a course exercise (bitcoinjs-message verify returns true for
    # the second one only; the first lacks base64 padding, the third is for another message).
    address = "17RebJGPcUX3z7zoWJdmUgkBbvZ7BAKPCB"
    message = "The Times 03/Jan/2009 Chancellor on brink of second bailout for banks."
    good = (
        "IFn36Idac3dLo3JvQ8/+AMfgQXbj9h3WIjDXJSUO+0ZbSOVEMhQK+t6RU3CC7ECvq9QshbRtLMLThDfCxa1RkYM="
    )
    assert verify_bitcoin_message(address, message, good)
    assert not verify_bitcoin_message(address, message.lower(), good)
    other = (
        "ICcppPF+jJ+9NlvssL+qfcZP9VRbcBq8Drpw91vo+Z5hHkBuLTy+9q70u+Roi03XUIIRw+x9TU5K6FFm6Dhu718="
    )
    assert not verify_bitcoin_message(address, message, other)
