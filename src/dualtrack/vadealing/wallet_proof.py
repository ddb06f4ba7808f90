"""Signed-message proofs of wallet control (VA-AML-09).

* **Bitcoin**: the legacy "Bitcoin Signed Message" scheme. The message is prefixed with
  ``"\\x18Bitcoin Signed Message:\\n"`` and a compact-size length, hashed with double SHA-256,
  and signed as a 65-byte compact recoverable signature, base64-encoded. The header byte
  says how to rebuild the address from the recovered key: 27-30 uncompressed P2PKH,
  31-34 compressed P2PKH, 35-38 P2SH-wrapped P2WPKH, 39-42 native P2WPKH (BIP-137).
* **Ethereum**: EIP-191 ``personal_sign``: Keccak-256 of
  ``"\\x19Ethereum Signed Message:\\n" + len(message) + message``; the 65-byte signature is
  ``r || s || v`` with ``v`` 27/28 (0/1 accepted); the address is the last 20 bytes of the
  Keccak-256 of the recovered uncompressed public key.

Verification recovers the public key from the signature and compares the address it gives
with the claimed one; a changed message recovers a different key and fails. The signing
helpers exist for tests and for generating evaluation data.
"""

from __future__ import annotations

import base64
import binascii

import coincurve

from dualtrack.identifiers.crypto import (
    decode_btc_address,
    eth_address_from_public_key,
    keccak256,
    p2pkh_address,
    p2sh_p2wpkh_address,
    p2wpkh_address,
    sha256d,
    to_eip55,
    validate_eth_address,
)

_BTC_PREFIX = b"\x18Bitcoin Signed Message:\n"
BtcSignatureKind = str  # "p2pkh" | "p2pkh-uncompressed" | "p2sh-p2wpkh" | "p2wpkh"
_BTC_HEADER_BASE = {"p2pkh-uncompressed": 27, "p2pkh": 31, "p2sh-p2wpkh": 35, "p2wpkh": 39}


def _compact_size(n: int) -> bytes:
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "little")
    if n <= 0xFFFFFFFF:
        return b"\xfe" + n.to_bytes(4, "little")
    return b"\xff" + n.to_bytes(8, "little")


def bitcoin_message_hash(message: str) -> bytes:
    """Double-SHA-256 digest that a Bitcoin signed message commits to."""
    body = message.encode("utf-8")
    return sha256d(_BTC_PREFIX + _compact_size(len(body)) + body)


def eip191_hash(message: str) -> bytes:
    """Keccak-256 digest that an Ethereum ``personal_sign`` signature commits to."""
    body = message.encode("utf-8")
    return keccak256(b"\x19Ethereum Signed Message:\n" + str(len(body)).encode("ascii") + body)


def sign_bitcoin_message(
    key: coincurve.PrivateKey, message: str, *, kind: BtcSignatureKind = "p2pkh"
) -> str:
    """Sign like a wallet's "sign message" (base64 compact signature)."""
    if kind not in _BTC_HEADER_BASE:
        raise ValueError("unknown Bitcoin signature kind")
    raw = key.sign_recoverable(bitcoin_message_hash(message), hasher=None)
    header = _BTC_HEADER_BASE[kind] + raw[64]
    return base64.b64encode(bytes([header]) + raw[:64]).decode("ascii")


def verify_bitcoin_message(address: str, message: str, signature: str) -> bool:
    """True when ``signature`` over ``message`` was made by the key behind ``address``."""
    decoded = decode_btc_address(address)
    if decoded is None:
        return False
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    if len(raw) != 65 or not 27 <= raw[0] <= 42:
        return False
    header = raw[0]
    recid = (header - 27) & 3
    try:
        public = coincurve.PublicKey.from_signature_and_message(
            raw[1:] + bytes([recid]), bitcoin_message_hash(message), hasher=None
        )
    except ValueError:
        return False
    network = decoded.network
    if header < 31:
        candidates = {p2pkh_address(public.format(compressed=False), network=network)}
    else:
        compressed = public.format(compressed=True)
        # Some wallets (Electrum) sign segwit addresses with the 31-34 header, so every
        # compressed-key form is tried; all of them prove control of the same key.
        candidates = {
            p2pkh_address(compressed, network=network),
            p2sh_p2wpkh_address(compressed, network=network),
            p2wpkh_address(compressed, network=network),
        }
    claimed = address.lower() if address[:3].lower() in ("bc1", "tb1") else address
    return claimed in candidates


def sign_eth_message(key: coincurve.PrivateKey, message: str) -> str:
    """``personal_sign`` signature as 0x-hex ``r || s || v`` (v = 27 or 28)."""
    raw = key.sign_recoverable(eip191_hash(message), hasher=None)
    return "0x" + (raw[:64] + bytes([raw[64] + 27])).hex()


def recover_eth_address(message: str, signature: str) -> str | None:
    """The EIP-55 address that signed ``message``, or ``None`` for a malformed signature."""
    text = signature[2:] if signature.startswith("0x") else signature
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        return None
    if len(raw) != 65:
        return None
    v = raw[64]
    recid = v - 27 if v >= 27 else v
    if recid not in (0, 1):
        return None
    try:
        public = coincurve.PublicKey.from_signature_and_message(
            raw[:64] + bytes([recid]), eip191_hash(message), hasher=None
        )
    except ValueError:
        return None
    return eth_address_from_public_key(public.format(compressed=False))


def verify_eth_message(address: str, message: str, signature: str) -> bool:
    """True when ``signature`` over ``message`` recovers to ``address``."""
    if not validate_eth_address(address):
        return False
    recovered = recover_eth_address(message, signature)
    return recovered is not None and recovered == to_eip55(address)


__all__ = [
    "bitcoin_message_hash",
    "eip191_hash",
    "recover_eth_address",
    "sign_bitcoin_message",
    "sign_eth_message",
    "verify_bitcoin_message",
    "verify_eth_message",
]
