"""Pure validation functions for identifiers that appear in Hong Kong financial data.

Every function here is side-effect free and works on a single string: it answers "is this a
well-formed X" (shape plus check digit where a public rule exists) and never looks at context.
Context-aware detection in free text lives in :mod:`dualtrack.privacy`, which builds on these.

``hk`` holds Hong Kong and nearby identity numbers plus generic financial checksums (Luhn,
IBAN mod-97); ``crypto`` (maintained separately) holds Bitcoin and Ethereum address checks.
"""

from dualtrack.identifiers.hk import (
    hkid_check_digit,
    iban_is_valid,
    icao_check_digit,
    is_valid_date_of_birth,
    is_valid_hk_passport,
    is_valid_hk_phone,
    is_valid_hkid,
    is_valid_home_return_permit,
    is_valid_macau_id,
    is_valid_mainland_id,
    luhn_is_valid,
    mainland_id_check_char,
    normalise_hkid,
)

__all__ = [
    "hkid_check_digit",
    "iban_is_valid",
    "icao_check_digit",
    "is_valid_date_of_birth",
    "is_valid_hk_passport",
    "is_valid_hk_phone",
    "is_valid_hkid",
    "is_valid_home_return_permit",
    "is_valid_macau_id",
    "is_valid_mainland_id",
    "luhn_is_valid",
    "mainland_id_check_char",
    "normalise_hkid",
]
