"""Crypto address checksums against the published BIP-350 / EIP-55 vectors, plus near misses."""

from __future__ import annotations

import hashlib

import coincurve
import pytest

from dualtrack.identifiers.crypto import (
    base58_decode,
    base58check_encode,
    decode_btc_address,
    eth_address_from_public_key,
    hash160,
    keccak256,
    p2pkh_address,
    p2sh_p2wpkh_address,
    p2wpkh_address,
    segwit_address,
    to_eip55,
    validate_btc_address,
    validate_eth_address,
)

# BIP-350 "Test vectors for v0-v16 native segregated witness addresses": address and the
# scriptPubKey it maps to (OP_n, push length, witness program).
SEGWIT_VALID = [
    ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "0014751e76e8199196d454941c45d1b3a323f1433bd6"),
    (
        "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
        "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262",
    ),
    (
        "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
        "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6",
    ),
    ("BC1SW50QGDZ25J", "6002751e"),
    ("bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "5210751e76e8199196d454941c45d1b3a323"),
    (
        "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
        "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433",
    ),
    (
        "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
        "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433",
    ),
    (
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
    ),
]

# BIP-350 invalid segwit addresses (each with the reason given in the BIP).
SEGWIT_INVALID = [
    "tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut",  # bad hrp
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",  # bech32 for v1
    "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",  # bech32 for v2
    "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",  # bech32 for v16
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",  # bech32m for v0
    "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",  # bech32m for v0
    "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",  # bad char
    "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",  # version 17
    "bc1pw5dgrnzv",  # program 1 byte
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",  # 41 bytes
    "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",  # v0 program of 16 bytes
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",  # mixed case
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",  # >4 bits of padding
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",  # non-zero padding
    "bc1gmk9yu",  # empty data
]

# EIP-55 specification test cases.
EIP55_VALID = [
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]


@pytest.mark.parametrize(("address", "script_hex"), SEGWIT_VALID)
def test_bip350_valid_addresses_decode_to_their_script(address: str, script_hex: str) -> None:
    decoded = decode_btc_address(address)
    assert decoded is not None
    assert decoded.witness_version is not None
    op = 0 if decoded.witness_version == 0 else 0x50 + decoded.witness_version
    script = bytes([op, len(decoded.payload)]) + decoded.payload
    assert script.hex() == script_hex
    assert validate_btc_address(address)


@pytest.mark.parametrize("address", SEGWIT_INVALID)
def test_bip350_invalid_addresses_are_rejected(address: str) -> None:
    assert not validate_btc_address(address)


@pytest.mark.parametrize(("address", "_script"), SEGWIT_VALID)
def test_segwit_encoding_round_trips(address: str, _script: str) -> None:
    decoded = decode_btc_address(address)
    assert decoded is not None and decoded.witness_version is not None
    again = segwit_address(
        decoded.payload, version=decoded.witness_version, network=decoded.network
    )
    assert again == address.lower()


@pytest.mark.parametrize(
    ("address", "network", "kind"),
    [
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "mainnet", "p2pkh"),
        ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "mainnet", "p2sh"),
    ],
)
def test_known_base58_addresses(address: str, network: str, kind: str) -> None:
    decoded = decode_btc_address(address)
    assert decoded is not None
    assert (decoded.network, decoded.kind) == (network, kind)


def test_genesis_address_hash() -> None:
    decoded = decode_btc_address("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
    assert decoded is not None
    assert decoded.payload.hex() == "62e907b15cbf27d5425399ebf6f0fb50ebb88f18"
    assert base58check_encode(0, decoded.payload) == "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"


@pytest.mark.parametrize(
    ("version", "first_chars"), [(0x00, "1"), (0x05, "3"), (0x6F, "mn"), (0xC4, "2")]
)
def test_base58_version_prefixes(version: int, first_chars: str) -> None:
    payload = hashlib.sha256(b"prefix-test").digest()[:20]
    address = base58check_encode(version, payload)
    assert address[0] in first_chars
    assert validate_btc_address(address)


@pytest.mark.parametrize(
    "address",
    [
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb",  # last char changed: checksum fails
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN",  # truncated
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa ",  # trailing space
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7Div0Na",  # '0' is not Base58
        "",
        base58check_encode(0x30, bytes(20)),  # Litecoin-style version byte
    ],
)
def test_base58_near_misses(address: str) -> None:
    assert not validate_btc_address(address)


def test_base58_leading_zero_bytes_become_ones() -> None:
    assert base58_decode("11") == b"\x00\x00"
    assert base58_decode("1O") is None


def test_keccak256_is_not_sha3() -> None:
    # Well-known digest of the empty string under Keccak-256 (Ethereum's "empty code hash").
    assert keccak256(b"").hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )
    assert keccak256(b"") != hashlib.sha3_256(b"").digest()


@pytest.mark.parametrize("address", EIP55_VALID)
def test_eip55_vectors(address: str) -> None:
    assert validate_eth_address(address)
    body = address[2:]
    if body != body.lower() and body != body.upper():
        assert to_eip55(address.lower()) == address


@pytest.mark.parametrize(
    "address",
    [
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",  # one letter's case flipped
        "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",  # no 0x
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe",  # 39 hex digits
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAedd",  # 41
        "0xg2908400098527886e0f7030069857d2e4169ee7",  # non-hex
        "0X52908400098527886E0F7030069857D2E4169EE7",  # upper-case prefix
    ],
)
def test_eth_near_misses(address: str) -> None:
    assert not validate_eth_address(address)


def test_to_eip55_rejects_non_addresses() -> None:
    with pytest.raises(ValueError, match="40-hex"):
        to_eip55("0x1234")


def test_addresses_derived_from_a_generated_key_validate() -> None:
    key = coincurve.PrivateKey()
    compressed = key.public_key.format(compressed=True)
    for address in (
        p2pkh_address(compressed),
        p2pkh_address(compressed, network="testnet"),
        p2sh_p2wpkh_address(compressed),
        p2wpkh_address(compressed),
        p2wpkh_address(compressed, network="testnet"),
    ):
        assert validate_btc_address(address), address
    decoded = decode_btc_address(p2wpkh_address(compressed))
    assert decoded is not None and decoded.payload == hash160(compressed)
    eth = eth_address_from_public_key(key.public_key.format(compressed=False))
    assert validate_eth_address(eth)
    assert eth == to_eip55(eth.lower())


@pytest.mark.parametrize(
    ("secret_hex", "eth", "btc_compressed", "btc_uncompressed"),
    [
        # Private key 1: widely published reference addresses for the generator point.
        (
            "01".rjust(64, "0"),
            "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf",
            "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH",
            "1EHNa6Q4Jz2uvNExL497mE43ikXhwF6kZm",
        ),
    ],
)
def test_known_key_to_address_vectors(
    secret_hex: str, eth: str, btc_compressed: str, btc_uncompressed: str
) -> None:
    key = coincurve.PrivateKey(bytes.fromhex(secret_hex))
    assert eth_address_from_public_key(key.public_key.format(compressed=False)) == eth
    assert p2pkh_address(key.public_key.format(compressed=True)) == btc_compressed
    assert p2pkh_address(key.public_key.format(compressed=False)) == btc_uncompressed


def test_hardhat_account_zero_address() -> None:
    # The public, well-known development key of Hardhat/Anvil account #0 (not a secret).
    key = coincurve.PrivateKey(
        bytes.fromhex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
    )
    address = eth_address_from_public_key(key.public_key.format(compressed=False))
    assert address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
