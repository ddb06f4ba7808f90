"""Checksummed crypto-asset addresses: Bitcoin (Base58Check, bech32, bech32m) and Ethereum.

Contract used by detectors and by the VA-dealing engine:

* ``validate_btc_address(address) -> bool``: Base58Check P2PKH/P2SH (mainnet and testnet)
  and segwit addresses (BIP-173 bech32 for witness v0, BIP-350 bech32m for v1+), with the
  checksum verified.
* ``validate_eth_address(address) -> bool``: ``0x`` plus 40 hex digits; a mixed-case address
  must carry a correct EIP-55 checksum (all-lower and all-upper carry none).
* ``to_eip55(address) -> str`` and ``keccak256(data) -> bytes``.

Keccak-256 here is the original Keccak padding used by Ethereum, not NIST SHA3-256: the two
differ in one padding byte and give different digests, so ``hashlib.sha3_256`` is wrong.

The helpers that build addresses from keys (``p2pkh_address``, ``segwit_address``,
``eth_address_from_public_key``) exist so that wallet-ownership proofs can compare a key
recovered from a signature with the address a client claims.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from Crypto.Hash import RIPEMD160, keccak

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {ch: i for i, ch in enumerate(_B58_ALPHABET)}

_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_INDEX = {ch: i for i, ch in enumerate(_BECH32_CHARSET)}
_BECH32_CONST = 1
_BECH32M_CONST = 0x2BC830A3
_BECH32_GENERATORS = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)

BtcNetwork = Literal["mainnet", "testnet"]
BtcKind = Literal["p2pkh", "p2sh", "segwit"]

# Version byte -> (network, kind) for the legacy Base58Check forms we accept.
_BASE58_VERSIONS: dict[int, tuple[BtcNetwork, BtcKind]] = {
    0x00: ("mainnet", "p2pkh"),
    0x05: ("mainnet", "p2sh"),
    0x6F: ("testnet", "p2pkh"),
    0xC4: ("testnet", "p2sh"),
}
_SEGWIT_HRPS: dict[str, BtcNetwork] = {"bc": "mainnet", "tb": "testnet"}


@dataclass(frozen=True, slots=True)
class BtcAddress:
    """A decoded Bitcoin address.

    ``payload`` is the 20-byte hash for Base58Check forms and the witness program for segwit.
    """

    network: BtcNetwork
    kind: BtcKind
    payload: bytes
    witness_version: int | None = None


# --------------------------------------------------------------------------- hashes


def keccak256(data: bytes) -> bytes:
    """Keccak-256 digest as used by Ethereum (not SHA3-256)."""
    return keccak.new(digest_bits=256, data=data).digest()


def sha256d(data: bytes) -> bytes:
    """SHA-256 applied twice (Bitcoin's checksum and message hash)."""
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def hash160(data: bytes) -> bytes:
    """RIPEMD-160 of SHA-256 (Bitcoin public-key and script hash).

    pycryptodome supplies RIPEMD-160 because OpenSSL 3 builds may leave it out of hashlib.
    """
    return RIPEMD160.new(hashlib.sha256(data).digest()).digest()


# --------------------------------------------------------------------------- Base58Check


def base58_encode(data: bytes) -> str:
    """Encode bytes in Bitcoin's Base58 (each leading zero byte becomes ``1``)."""
    number = int.from_bytes(data, "big")
    chars: list[str] = []
    while number:
        number, rem = divmod(number, 58)
        chars.append(_B58_ALPHABET[rem])
    leading = len(data) - len(data.lstrip(b"\x00"))
    return "1" * leading + "".join(reversed(chars))


def base58_decode(text: str) -> bytes | None:
    """Decode Base58; ``None`` when a character is outside the alphabet."""
    number = 0
    for ch in text:
        digit = _B58_INDEX.get(ch)
        if digit is None:
            return None
        number = number * 58 + digit
    leading = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\x00" * leading + body


def base58check_encode(version: int, payload: bytes) -> str:
    """Base58Check: version byte + payload + first 4 bytes of SHA-256d."""
    raw = bytes([version]) + payload
    return base58_encode(raw + sha256d(raw)[:4])


def _decode_base58check(address: str) -> BtcAddress | None:
    if not 25 <= len(address) <= 35:
        return None
    raw = base58_decode(address)
    if raw is None or len(raw) != 25:
        return None
    body, checksum = raw[:-4], raw[-4:]
    if sha256d(body)[:4] != checksum:
        return None
    version = _BASE58_VERSIONS.get(body[0])
    if version is None:
        return None
    network, kind = version
    return BtcAddress(network=network, kind=kind, payload=body[1:])


# --------------------------------------------------------------------------- bech32 / bech32m


def _polymod(values: list[int]) -> int:
    check = 1
    for value in values:
        top = check >> 25
        check = ((check & 0x1FFFFFF) << 5) ^ value
        for i, gen in enumerate(_BECH32_GENERATORS):
            if (top >> i) & 1:
                check ^= gen
    return check


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert_bits(data: list[int], from_bits: int, to_bits: int, *, pad: bool) -> list[int] | None:
    """Regroup bit strings; ``None`` on out-of-range input or bad padding (BIP-173 rules)."""
    acc = 0
    bits = 0
    out: list[int] = []
    max_value = (1 << to_bits) - 1
    for value in data:
        if value < 0 or value >> from_bits:
            return None
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & max_value)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & max_value)
    elif bits >= from_bits or ((acc << (to_bits - bits)) & max_value):
        return None
    return out


def _bech32_decode(text: str) -> tuple[str, list[int], int] | None:
    """Split and checksum-verify a bech32/bech32m string: (hrp, data, constant)."""
    if len(text) > 90 or (text.lower() != text and text.upper() != text):
        return None
    if any(ord(c) < 33 or ord(c) > 126 for c in text):
        return None
    text = text.lower()
    sep = text.rfind("1")
    if sep < 1 or sep + 7 > len(text):
        return None
    hrp = text[:sep]
    data: list[int] = []
    for ch in text[sep + 1 :]:
        digit = _BECH32_INDEX.get(ch)
        if digit is None:
            return None
        data.append(digit)
    constant = _polymod(_hrp_expand(hrp) + data)
    if constant not in (_BECH32_CONST, _BECH32M_CONST):
        return None
    return hrp, data[:-6], constant


def _bech32_encode(hrp: str, data: list[int], constant: int) -> str:
    values = _hrp_expand(hrp) + data
    poly = _polymod([*values, 0, 0, 0, 0, 0, 0]) ^ constant
    checksum = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32_CHARSET[d] for d in data + checksum)


def _decode_segwit(address: str) -> BtcAddress | None:
    decoded = _bech32_decode(address)
    if decoded is None:
        return None
    hrp, data, constant = decoded
    network = _SEGWIT_HRPS.get(hrp)
    if network is None or not data:
        return None
    version = data[0]
    if version > 16:
        return None
    program = _convert_bits(data[1:], 5, 8, pad=False)
    if program is None or not 2 <= len(program) <= 40:
        return None
    if version == 0 and len(program) not in (20, 32):
        return None
    # BIP-350: v0 must use bech32, v1+ must use bech32m; anything else is a checksum error.
    expected = _BECH32_CONST if version == 0 else _BECH32M_CONST
    if constant != expected:
        return None
    return BtcAddress(
        network=network, kind="segwit", payload=bytes(program), witness_version=version
    )


def segwit_address(program: bytes, *, version: int = 0, network: BtcNetwork = "mainnet") -> str:
    """Encode a witness program as a segwit address (bech32 for v0, bech32m for v1+)."""
    hrp = "bc" if network == "mainnet" else "tb"
    data = [version, *(_convert_bits(list(program), 8, 5, pad=True) or [])]
    constant = _BECH32_CONST if version == 0 else _BECH32M_CONST
    return _bech32_encode(hrp, data, constant)


# --------------------------------------------------------------------------- Bitcoin API


def decode_btc_address(address: str) -> BtcAddress | None:
    """Decode and checksum-verify a Bitcoin address; ``None`` when it is not valid."""
    if not isinstance(address, str) or not address or address != address.strip():
        return None
    head = address[:3].lower()
    if head in ("bc1", "tb1"):
        return _decode_segwit(address)
    return _decode_base58check(address)


def validate_btc_address(address: str) -> bool:
    """True for a well-formed Bitcoin address whose checksum verifies."""
    return decode_btc_address(address) is not None


def p2pkh_address(public_key: bytes, *, network: BtcNetwork = "mainnet") -> str:
    """Legacy pay-to-public-key-hash address of a serialised secp256k1 public key."""
    return base58check_encode(0x00 if network == "mainnet" else 0x6F, hash160(public_key))


def p2sh_p2wpkh_address(public_key: bytes, *, network: BtcNetwork = "mainnet") -> str:
    """Nested segwit (P2SH-wrapped P2WPKH) address of a compressed public key."""
    redeem_script = b"\x00\x14" + hash160(public_key)
    return base58check_encode(0x05 if network == "mainnet" else 0xC4, hash160(redeem_script))


def p2wpkh_address(public_key: bytes, *, network: BtcNetwork = "mainnet") -> str:
    """Native segwit v0 address of a compressed public key."""
    return segwit_address(hash160(public_key), version=0, network=network)


# --------------------------------------------------------------------------- Ethereum


def _is_hex40(body: str) -> bool:
    return len(body) == 40 and all(c in "0123456789abcdefABCDEF" for c in body)


def to_eip55(address: str) -> str:
    """Return the EIP-55 mixed-case form of a ``0x`` + 40-hex address.

    Raises ``ValueError`` when the input is not 0x plus 40 hex digits (the case of the input
    is ignored, so this also repairs a wrongly-cased address; use ``validate_eth_address``
    to check one).
    """
    if not isinstance(address, str) or len(address) != 42 or address[:2] not in ("0x", "0X"):
        raise ValueError("not an 0x-prefixed 40-hex-digit address")
    body = address[2:]
    if not _is_hex40(body):
        raise ValueError("not an 0x-prefixed 40-hex-digit address")
    lower = body.lower()
    digest = keccak256(lower.encode("ascii")).hex()
    return "0x" + "".join(
        ch.upper() if ch.isalpha() and int(digest[i], 16) >= 8 else ch for i, ch in enumerate(lower)
    )


def validate_eth_address(address: str) -> bool:
    """True for ``0x`` + 40 hex digits; mixed case must match the EIP-55 checksum."""
    if not isinstance(address, str) or len(address) != 42 or not address.startswith("0x"):
        return False
    body = address[2:]
    if not _is_hex40(body):
        return False
    if body == body.lower() or body == body.upper():
        return True
    return to_eip55(address) == address


def eth_address_from_public_key(public_key: bytes) -> str:
    """EIP-55 address of an uncompressed (65-byte, 0x04-prefixed) secp256k1 public key."""
    if len(public_key) != 65 or public_key[0] != 4:
        raise ValueError("expected a 65-byte uncompressed public key")
    return to_eip55("0x" + keccak256(public_key[1:])[-20:].hex())


__all__ = [
    "BtcAddress",
    "base58_decode",
    "base58_encode",
    "base58check_encode",
    "decode_btc_address",
    "eth_address_from_public_key",
    "hash160",
    "keccak256",
    "p2pkh_address",
    "p2sh_p2wpkh_address",
    "p2wpkh_address",
    "segwit_address",
    "sha256d",
    "to_eip55",
    "validate_btc_address",
    "validate_eth_address",
]
