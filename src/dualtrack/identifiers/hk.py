"""Validators for Hong Kong (and nearby) identity numbers and generic financial checksums.

Rules follow ``shared/reference/hk-identifiers.md``:

* HKID: 1-2 letters, 6 digits, check character ``0-9``/``A`` (weights 9..2 over an 8-char
  body left-padded with a space worth 36; sum plus check divisible by 11).
* Mainland resident ID: 17 digits plus check ``0-9``/``X`` by ISO 7064 MOD 11-2, with a real
  birth date in positions 7-14.
* Macao BIR: 7 digits plus a check digit whose rule is not public (shape only).
* Home Return Permit: ``H``/``M`` + 8 or 10 digits, or ``HA``/``MA`` + 7 digits (shape only).
* HK phone: 8 digits whose first digit is 2-9 (leading-digit classes of the numbering plan).
* Luhn for payment cards, ISO 13616 mod-97 for IBAN, ICAO 9303 7-3-1 for MRZ fields.

All functions take a string and return a plain value; none raises on malformed input.
"""

from __future__ import annotations

import datetime as _dt
import re

_HKID_RE = re.compile(r"([A-Z]{1,2})(\d{6})([0-9A])")
_HKID_CLEAN_RE = re.compile(r"[\s()（）\-]")
_MAINLAND_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_MAINLAND_CHECK = "10X98765432"

# Lengths of IBANs by country (ISO 13616 registry, common countries only; others accepted
# when 15-34 characters and mod-97 holds).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AT": 20, "BE": 16, "BG": 22, "BH": 22, "CH": 21, "CY": 28, "CZ": 24,
    "DE": 22, "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21,
    "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "KW": 30, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PT": 25,
    "QA": 29, "RO": 24, "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TR": 26, "VG": 24,
}  # fmt: skip


def _char_value(char: str) -> int:
    if char == " ":
        return 36
    if char.isdigit():
        return int(char)
    return ord(char) - ord("A") + 10


def normalise_hkid(text: str) -> str:
    """Return ``text`` with brackets, hyphens and spaces removed, upper-cased.

    ``"a123456 (3)"`` becomes ``"A1234563"``; the result is not validated.
    """
    return _HKID_CLEAN_RE.sub("", text).upper()


def hkid_check_digit(body: str) -> str:
    """Return the check character (``"0"``-``"9"`` or ``"A"``) for an HKID body.

    ``body`` is the prefix letters plus six digits, e.g. ``"A123456"`` -> ``"3"``.
    Raises ``ValueError`` when ``body`` does not have that shape.
    """
    body = body.upper()
    if not re.fullmatch(r"[A-Z]{1,2}\d{6}", body):
        raise ValueError("HKID body must be 1-2 letters followed by 6 digits")
    padded = body.rjust(8)
    total = sum(w * _char_value(c) for w, c in zip(range(9, 1, -1), padded, strict=True))
    check = (11 - total % 11) % 11
    return "A" if check == 10 else str(check)


def is_valid_hkid(text: str) -> bool:
    """True when ``text`` (any written form: ``A123456(3)``, ``A1234563``...) is a valid HKID."""
    compact = normalise_hkid(text)
    match = _HKID_RE.fullmatch(compact)
    if match is None:
        return False
    return hkid_check_digit(match.group(1) + match.group(2)) == match.group(3)


def mainland_id_check_char(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character for 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("expected 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, _MAINLAND_WEIGHTS, strict=True))
    return _MAINLAND_CHECK[total % 11]


def is_valid_mainland_id(text: str) -> bool:
    """True for an 18-character Mainland resident ID with valid check and birth date."""
    value = text.strip().upper()
    if len(value) != 18 or not value[:17].isdigit() or value[17] not in "0123456789X":
        return False
    if mainland_id_check_char(value[:17]) != value[17]:
        return False
    return _real_date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def _real_date(year: int, month: int, day: int) -> bool:
    try:
        born = _dt.date(year, month, day)
    except ValueError:
        return False
    return _dt.date(1900, 1, 1) <= born <= _dt.date(2100, 1, 1)


def is_valid_date_of_birth(year: int, month: int, day: int) -> bool:
    """True when the date exists and lies in a plausible birth range (1900-2100)."""
    return _real_date(year, month, day)


def is_valid_macau_id(text: str) -> bool:
    """Shape check for a Macao BIR number: first digit 1, 5 or 7, 7 digits + check digit."""
    compact = _HKID_CLEAN_RE.sub("", text)
    return bool(re.fullmatch(r"[157]\d{7}", compact))


def is_valid_home_return_permit(text: str) -> bool:
    """Shape check: ``H``/``M`` + 8 or 10 digits, or ``HA``/``MA`` + 7 digits."""
    value = text.strip().upper()
    return bool(re.fullmatch(r"[HM](?:\d{8}|\d{10})|[HM]A\d{7}", value))


def is_valid_hk_passport(text: str) -> bool:
    """Shape check for an HKSAR passport number (``K``/``H`` + 8 digits, ``KJ`` + 7)."""
    value = text.strip().upper()
    return bool(re.fullmatch(r"[KH]\d{8}|KJ\d{7}", value))


def is_valid_hk_phone(text: str) -> bool:
    """True for an HK subscriber number: optional +852, then 8 digits starting 2-9.

    Numbers starting ``999`` (emergency) or ``1`` (short codes) are rejected.
    """
    digits = re.sub(r"[\s\-()+.]", "", text)
    if digits.startswith("852") and len(digits) == 11:
        digits = digits[3:]
    if len(digits) != 8 or not digits.isdigit():
        return False
    return digits[0] in "23456789" and not digits.startswith("999")


def luhn_is_valid(number: str) -> bool:
    """Luhn (mod 10) check over the digits of ``number``; separators are ignored."""
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) < 2:
        return False
    total = 0
    for index, digit in enumerate(reversed(digits)):
        value = digit * 2 if index % 2 == 1 else digit
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def iban_is_valid(text: str) -> bool:
    """ISO 13616 check: country length (when known) and mod-97 == 1; spaces ignored."""
    value = re.sub(r"\s", "", text).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", value):
        return False
    expected = IBAN_LENGTHS.get(value[:2])
    if expected is not None and len(value) != expected:
        return False
    rearranged = value[4:] + value[:4]
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    return int(numeric) % 97 == 1


def icao_check_digit(field: str) -> str:
    """ICAO 9303 check digit (weights 7, 3, 1) over an MRZ field; ``<`` counts as 0."""
    total = 0
    for index, char in enumerate(field.upper()):
        if char.isdigit():
            value = int(char)
        elif "A" <= char <= "Z":
            value = ord(char) - ord("A") + 10
        elif char == "<":
            value = 0
        else:
            raise ValueError("MRZ fields hold only A-Z, 0-9 and '<'")
        total += value * (7, 3, 1)[index % 3]
    return str(total % 10)


__all__ = [
    "IBAN_LENGTHS",
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
