"""Wallet-address normalisation per chain (checksum verified before anything is compared)."""

from __future__ import annotations

from functools import lru_cache

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


@lru_cache(maxsize=65536)
def _canonical(chain: Chain, address: str) -> str | None:
    # Pure and hot (every transfer validates two addresses): cached per (chain, address).
    if not is_valid_address(chain, address):
        return None
    if chain == "ethereum":
        return to_eip55(address)
    if address[:3].lower() in ("bc1", "tb1"):
        return address.lower()
    return address


def try_normalise_address(chain: Chain, address: str) -> str | None:
    """Canonical form, or ``None`` when the address is malformed or fails its checksum."""
    if not isinstance(address, str):
        return None
    return _canonical(chain, address)


def normalise_address(chain: Chain, address: str) -> str:
    """Canonical form for comparison: EIP-55 for Ethereum, lower case for bech32.

    Base58 addresses are case-sensitive and kept as given. Raises ``InvalidAddress`` (without
    echoing the address) when the checksum does not verify.
    """
    canonical = try_normalise_address(chain, address)
    if canonical is None:
        raise InvalidAddress("wallet address is malformed or fails its checksum", chain=chain)
    return canonical


__all__ = ["is_valid_address", "normalise_address", "try_normalise_address"]
