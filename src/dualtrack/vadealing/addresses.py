"""Wallet-address normalisation per chain (checksum verified before anything is compared)."""

from __future__ import annotations

from dualtrack.identifiers.crypto import to_eip55, validate_btc_address, validate_eth_address
from dualtrack.vadealing.domain import Chain
from dualtrack.vadealing.errors import InvalidAddress


def is_valid_address(chain: Chain, address: str) -> bool:
    """True when ``address`` is well formed for ``chain`` and its checksum verifies."""
    if chain == "bitcoin":
        return validate_btc_address(address)
    if chain == "ethereum":
        return validate_eth_address(address)
    return False


def normalise_address(chain: Chain, address: str) -> str:
    """Canonical form for comparison: EIP-55 for Ethereum, lower case for bech32.

    Base58 addresses are case-sensitive and kept as given. Raises ``InvalidAddress`` (without
    echoing the address) when the checksum does not verify.
    """
    if not isinstance(address, str) or not is_valid_address(chain, address):
        raise InvalidAddress("wallet address is malformed or fails its checksum", chain=chain)
    if chain == "ethereum":
        return to_eip55(address)
    if address[:3].lower() in ("bc1", "tb1"):
        return address.lower()
    return address


__all__ = ["is_valid_address", "normalise_address"]
