"""Table-driven tests for the HK identifier validators, with near misses."""

from __future__ import annotations

import pytest

from dualtrack.identifiers import hk


@pytest.mark.parametrize(
    ("body", "check"),
    [
        ("A123456", "3"),
        ("E364912", "5"),
        ("D288754", "2"),
        ("P131609", "9"),
        ("Z437626", "A"),
        ("AB987654", "3"),
        ("CA182361", "1"),
    ],
)
def test_hkid_check_digit_reference_vectors(body: str, check: str) -> None:
    assert hk.hkid_check_digit(body) == check


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("A123456(3)", True),
        ("A1234563", True),
        ("A123456-3", True),
        ("A123456（3）", True),
        ("a123456 (3)", True),
        ("Z437626(A)", True),
        ("AB987654(3)", True),
        ("A123456(4)", False),  # wrong check digit
        ("AB987654(2)", False),  # the A=1..Z=26 shortcut's answer
        ("A12345(3)", False),
        ("1234567", False),
        ("", False),
    ],
)
def test_is_valid_hkid(text: str, valid: bool) -> None:
    assert hk.is_valid_hkid(text) is valid


def test_hkid_check_digit_rejects_bad_body() -> None:
    with pytest.raises(ValueError):
        hk.hkid_check_digit("A12345")


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("11010519491231002X", True),
        ("11010519491231002x", True),
        ("110105194912310021", False),  # wrong check
        ("110105194913310025", False),  # month 13 (check recomputed below is irrelevant)
        ("1101051949123100", False),
    ],
)
def test_is_valid_mainland_id(text: str, valid: bool) -> None:
    assert hk.is_valid_mainland_id(text) is valid


def test_mainland_id_invalid_date_even_with_valid_check() -> None:
    body = "11010519491332002"  # 32 December
    assert not hk.is_valid_mainland_id(body + hk.mainland_id_check_char(body))


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("4111 1111 1111 1111", True),
        ("4111-1111-1111-1112", False),
        ("79927398713", True),
        ("79927398710", False),
        ("1", False),
    ],
)
def test_luhn(text: str, valid: bool) -> None:
    assert hk.luhn_is_valid(text) is valid


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("GB82 WEST 1234 5698 7654 32", True),
        ("GB82WEST12345698765432", True),
        ("GB83 WEST 1234 5698 7654 32", False),
        ("GB82 WEST 1234 5698 7654 3", False),  # wrong length for GB
        ("DE89 3704 0044 0532 0130 00", True),
    ],
)
def test_iban(text: str, valid: bool) -> None:
    assert hk.iban_is_valid(text) is valid


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("+852 9123 4567", True),
        ("21234567", True),
        ("852 6123 4567", True),
        ("11234567", False),  # short codes start with 1
        ("99912345", False),  # emergency
        ("9123456", False),
    ],
)
def test_hk_phone(text: str, valid: bool) -> None:
    assert hk.is_valid_hk_phone(text) is valid


@pytest.mark.parametrize(
    ("func", "text", "valid"),
    [
        (hk.is_valid_macau_id, "1234567(8)", True),
        (hk.is_valid_macau_id, "2234567(8)", False),
        (hk.is_valid_home_return_permit, "H1234567800", True),
        (hk.is_valid_home_return_permit, "HA1234567", True),
        (hk.is_valid_home_return_permit, "H123456", False),
        (hk.is_valid_hk_passport, "K12345678", True),
        (hk.is_valid_hk_passport, "KJ1234567", True),
        (hk.is_valid_hk_passport, "X12345678", False),
    ],
)
def test_shape_checks(func: object, text: str, valid: bool) -> None:
    assert callable(func)
    assert func(text) is valid


def test_icao_check_digit_spec_example() -> None:
    # ICAO 9303 specimen document number L898902C3 has check digit 6.
    assert hk.icao_check_digit("L898902C3") == "6"
