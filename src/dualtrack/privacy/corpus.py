"""Seeded generator of the bilingual Hong Kong PII evaluation corpus.

Run ``python -m dualtrack.privacy.corpus [--out data/privacy/corpus.jsonl] [--docs N]``.
Each JSONL line is one document::

    {"id": "doc-00001", "lang": "en|zh|mixed|zh-Hans", "genre": "chat|email|kyc|memo",
     "text": "...", "entities": [{"start": 0, "end": 5, "type": "PERSON"}],
     "near_misses": [{"start": 9, "end": 19, "kind": "hkid_bad_check"}]}

``entities`` are the gold spans. ``near_misses`` mark things that look like identifiers but
are not (HKIDs with a wrong check digit, 8-digit amounts and reference numbers, dates that are
not birth dates, card-like numbers failing Luhn, Mainland IDs with a bad check character,
mixed-case Ethereum addresses with a bad EIP-55 checksum): a detector that reports them
earns false positives. All values are synthetic; any resemblance to real people is chance.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from Crypto.Hash import keccak

from dualtrack.identifiers.hk import hkid_check_digit, luhn_is_valid, mainland_id_check_char

SEED = 20240501
DEFAULT_DOCS = 1800

_SURNAMES = [
    "Chan",
    "Wong",
    "Lee",
    "Cheung",
    "Leung",
    "Lam",
    "Lau",
    "Ng",
    "Ho",
    "Tang",
    "Tsang",
    "Chow",
    "Yip",
    "Kwok",
    "Ma",
    "Cheng",
    "Tse",
    "Yeung",
    "Chu",
    "Hui",
    "Choi",
    "Pang",
    "Poon",
    "Yuen",
    "So",
    "Lo",
    "Yu",
    "Chiu",
    "Tsui",
    "Ko",
    "Mok",
    "Mak",
    "Fong",
    "Lai",
    "Tam",
    "Kwan",
    "Au",
    "Lui",
    "Fung",
    "Kong",
    "Tong",
    "Wan",
    "Ching",
    "Siu",
    "Kam",
    "Ngai",
    "Szeto",
    "Auyeung",
]
_SYLLABLES = [
    "Tai",
    "Man",
    "Siu",
    "Ming",
    "Wai",
    "Kin",
    "Ka",
    "Yan",
    "Wing",
    "Chi",
    "Kwok",
    "Hung",
    "Mei",
    "Ling",
    "Fai",
    "Hoi",
    "Yee",
    "Ying",
    "Kit",
    "Lok",
    "Sze",
    "Hin",
    "Shing",
    "Kai",
    "Pui",
    "San",
    "Yuk",
    "Fung",
    "Chun",
    "Hang",
    "Kam",
    "Wah",
    "Yiu",
    "Ching",
    "Cheuk",
    "Chung",
    "Hei",
    "Nga",
    "Sau",
    "Suet",
    "Tak",
    "Yat",
    "Yung",
    "Shuk",
    "Hiu",
    "Kwan",
    "Lun",
    "Mui",
]
_WESTERN = [
    "Peter",
    "John",
    "Mary",
    "David",
    "Michael",
    "Jennifer",
    "Winnie",
    "Kelvin",
    "Ivy",
    "Tommy",
    "Cherry",
    "Vincent",
    "Karen",
    "Raymond",
    "Alice",
    "Eric",
    "Fanny",
    "Gordon",
    "Stella",
    "Anson",
    "Joyce",
    "Edmond",
    "Queenie",
    "Wilson",
]
_WEST_SURNAMES = [
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Patel",
    "Fernandes",
    "Singh",
    "Walker",
    "Evans",
    "Murphy",
]
_CN_SURNAMES = (
    "陳黃李張梁林劉吳何王鄧曾周葉郭馬羅鄭謝楊朱胡許蔡彭潘袁蘇盧余杜戴趙孫徐高陸麥廖方黎譚關馮江"
)
_CN_SURNAMES_S = (
    "陈黄李张梁林刘吴何王邓曾周叶郭马罗郑谢杨朱胡许蔡彭潘袁苏卢余杜戴赵孙徐高陆麦廖方黎谭关冯江"
)
_CN_GIVEN = "大小文明偉嘉家志俊美玲麗芳國華強建永德榮敏慧婷欣怡穎詩雅琪珊靜秀英傑豪浩輝健安寧子君宇凱晴思佩儀燕鳳蘭梅雪月星海峰"
_CN_GIVEN_S = "大小文明伟嘉家志俊美玲丽芳国华强建永德荣敏慧婷欣怡颖诗雅琪珊静秀英杰豪浩辉健安宁子君宇凯晴思佩仪燕凤兰梅雪月星海峰"
_HKID_PREFIXES = "ACDEGHKMPRSVWYZ"
_HKID_PREFIXES2 = ("WX", "XA", "EC", "CA", "AB")
_BANK_CODES = ("003", "004", "009", "012", "015", "016", "018", "020", "024", "027", "035", "043")
_CN_REGIONS = ("110105", "440305", "310101", "440106", "330106", "810000", "820000", "350203")
_STREETS = (
    "Nathan Road", "Taikoo Wan Road", "Queen's Road Central", "Hennessy Road", "Argyle Street",
    "Tai Po Road", "Castle Peak Road", "King's Road", "Des Voeux Road West", "Canton Road",
    "Sha Tsui Road", "Tung Chau Street", "Yee Kuk Street", "Lockhart Road", "Prince Edward Road West",
)  # fmt: skip
_BUILDINGS = (
    "Begonia Mansion", "Harbour View Gardens", "Wah Fu Estate", "Lok Fu Centre", "Sun Court",
    "Golden Plaza", "Kwong Ming Building", "Mei Foo Court", "Tsui Ping Estate", "Lai Kok Estate",
    "Park Tower", "Garden Terrace",
)  # fmt: skip
_DISTRICTS = (
    "Mong Kok", "Taikoo Shing", "Sham Shui Po", "Causeway Bay", "Wan Chai", "Tsim Sha Tsui",
    "Kwun Tong", "Sha Tin", "Tuen Mun", "Yuen Long", "Tai Po", "Tsuen Wan", "North Point",
)  # fmt: skip
_REGIONS = ("Hong Kong", "Kowloon", "New Territories")
_ZH_ADDR = (
    ("九龍", "旺角", "彌敦道", "信和中心"), ("香港", "東區", "太古灣道", "海景花園"),
    ("九龍", "深水埗", "長沙灣道", "元州邨美映樓"), ("新界", "沙田", "大埔道", "禾輋邨豐和樓"),
    ("香港", "灣仔", "軒尼詩道", "百德大廈"), ("九龍", "觀塘", "協和街", "康寧大廈"),
    ("新界", "荃灣", "青山公路", "荃灣中心"), ("香港", "北角", "英皇道", "和富中心"),
)  # fmt: skip
_DOMAINS = ("example.com", "mail.example.hk", "corp.example.org", "bank.example.com.hk")
_MONTHS = "January February March April May June July August September October November December"


@dataclass
class _Doc:
    rng: random.Random
    parts: list[str] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    near: list[dict[str, Any]] = field(default_factory=list)
    length: int = 0

    def t(self, text: str) -> _Doc:
        self.parts.append(text)
        self.length += len(text)
        return self

    def e(self, entity_type: str, value: str) -> _Doc:
        self.entities.append(
            {"start": self.length, "end": self.length + len(value), "type": entity_type}
        )
        return self.t(value)

    def n(self, kind: str, value: str) -> _Doc:
        self.near.append({"start": self.length, "end": self.length + len(value), "kind": kind})
        return self.t(value)

    @property
    def text(self) -> str:
        return "".join(self.parts)


# ----------------------------------------------------------------------------- values


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def hkid(rng: random.Random, *, valid: bool = True) -> str:
    prefix = rng.choice(_HKID_PREFIXES2) if rng.random() < 0.15 else rng.choice(_HKID_PREFIXES)
    serial = _digits(rng, 6)
    check = hkid_check_digit(prefix + serial)
    if not valid:
        check = rng.choice([c for c in "0123456789A" if c != check])
    style = rng.random()
    if style < 0.45:
        return f"{prefix}{serial}({check})"
    if style < 0.6:
        return f"{prefix}{serial}{check}"
    if style < 0.72:
        return f"{prefix}{serial}-{check}"
    if style < 0.86:
        return f"{prefix}{serial}（{check}）"
    return f"{prefix}{serial} ({check})"


def mainland_id(rng: random.Random, *, valid: bool = True) -> str:
    body = (
        rng.choice(_CN_REGIONS)
        + f"{rng.randint(1950, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        + _digits(rng, 3)
    )
    check = mainland_id_check_char(body)
    if not valid:
        check = rng.choice([c for c in "0123456789X" if c != check])
    return body + check


def phone(rng: random.Random) -> str:
    first = rng.choice("2356699945678")
    number = first + _digits(rng, 7)
    if number.startswith("999"):
        number = "9" + "8" + number[2:]
    style = rng.random()
    if style < 0.25:
        return f"+852 {number[:4]} {number[4:]}"
    if style < 0.35:
        return f"+852-{number}"
    if style < 0.42:
        return f"(852) {number[:4]} {number[4:]}"
    if style < 0.65:
        return f"{number[:4]} {number[4:]}"
    if style < 0.75:
        return f"{number[:4]}-{number[4:]}"
    return number


def card(rng: random.Random, *, valid: bool = True) -> str:
    kind = rng.choice(("visa", "visa", "mc", "amex", "unionpay"))
    prefix = {"visa": "4", "mc": rng.choice(("51", "53", "55")), "amex": "37", "unionpay": "62"}[
        kind
    ]
    length = 15 if kind == "amex" else 16
    body = prefix + _digits(rng, length - len(prefix) - 1)
    check = next(d for d in string.digits if luhn_is_valid(body + d))
    if not valid:
        check = str((int(check) + rng.randint(1, 9)) % 10)
    number = body + check
    if kind == "amex":
        return f"{number[:4]} {number[4:10]} {number[10:]}"
    sep = rng.choice((" ", "-", ""))
    return sep.join(number[i : i + 4] for i in range(0, 16, 4))


def iban(rng: random.Random, *, valid: bool = True) -> str:
    country, bban = rng.choice(
        (
            (
                "GB",
                "".join(rng.choice(string.ascii_uppercase) for _ in range(4)) + _digits(rng, 14),
            ),
            ("DE", _digits(rng, 18)),
            ("FR", _digits(rng, 23)),
            ("CH", _digits(rng, 17)),
        )
    )
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(numeric) % 97
    if not valid:
        check = (check + rng.randint(1, 50)) % 97 + 2
    value = f"{country}{check:02d}{bban}"
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _b58check(payload: bytes) -> str:
    data = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    num = int.from_bytes(data, "big")
    out = ""
    while num:
        num, rem = divmod(num, 58)
        out = _B58[rem] + out
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + out


def _bech32_polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def _bech32(hrp: str, version: int, program: bytes) -> str:
    acc, bits, data = 0, 0, [version]
    for byte in program:
        acc = (acc << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            data.append((acc >> bits) & 31)
    if bits:
        data.append((acc << (5 - bits)) & 31)
    const = 1 if version == 0 else 0x2BC830A3
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    poly = _bech32_polymod([*expanded, *data, 0, 0, 0, 0, 0, 0]) ^ const
    checksum = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH[d] for d in data + checksum)


def _eip55(hex40: str) -> str:
    digest = keccak.new(digest_bits=256, data=hex40.encode()).hexdigest()
    return "0x" + "".join(
        c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c for i, c in enumerate(hex40)
    )


def crypto_address(rng: random.Random, *, valid: bool = True) -> str:
    kind = rng.choice(("p2pkh", "p2sh", "bech32", "taproot", "eth", "eth"))
    raw = bytes(rng.getrandbits(8) for _ in range(32))
    if not valid:
        hex40 = raw[:20].hex()
        good = _eip55(hex40)
        letters = [i for i, c in enumerate(good) if i > 1 and c.isalpha()]
        if not letters or good[2:].lower() == good[2:] or good[2:].upper() == good[2:]:
            return _eip55("ab" + hex40[2:]).replace("A", "a", 1).replace("B", "b", 1)
        i = rng.choice(letters)
        flipped = good[i].swapcase()
        return good[:i] + flipped + good[i + 1 :]
    if kind == "p2pkh":
        return _b58check(b"\x00" + raw[:20])
    if kind == "p2sh":
        return _b58check(b"\x05" + raw[:20])
    if kind == "bech32":
        return _bech32("bc", 0, raw[:20])
    if kind == "taproot":
        return _bech32("bc", 1, raw)
    hex40 = raw[:20].hex()
    return _eip55(hex40) if rng.random() < 0.7 else "0x" + hex40


def dob(rng: random.Random) -> str:
    y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
    style = rng.random()
    if style < 0.35:
        return f"{d:02d}/{m:02d}/{y}"
    if style < 0.55:
        return f"{y}-{m:02d}-{d:02d}"
    if style < 0.8:
        return f"{d} {_MONTHS.split()[m - 1]} {y}"
    return f"{y}年{m}月{d}日"


def other_date(rng: random.Random) -> str:
    y, m, d = rng.randint(2019, 2025), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice((f"{d:02d}/{m:02d}/{y}", f"{y}-{m:02d}-{d:02d}", f"{y}年{m}月{d}日"))


def en_name(rng: random.Random) -> tuple[str, str]:
    """(written name, email local part)."""
    sur = rng.choice(_SURNAMES)
    given = rng.sample(_SYLLABLES, 2)
    west = rng.choice(_WESTERN)
    style = rng.random()
    local = f"{west.lower()}.{sur.lower()}"
    if style < 0.2:
        return f"{sur} {given[0]} {given[1]}", local
    if style < 0.35:
        return f"{sur.upper()}, {given[0]} {given[1]}", local
    if style < 0.5:
        return f"{sur.upper()} {given[0]}-{given[1].lower()}", local
    if style < 0.65:
        return f"{west} {sur.upper()} {given[0]}-{given[1].lower()}", local
    if style < 0.8:
        return f"{west} {sur}", local
    if style < 0.9:
        return f"{sur.upper()} {given[0].upper()} {given[1].upper()}", local
    ws = rng.choice(_WEST_SURNAMES)
    return f"{west} {ws}", f"{west.lower()}.{ws.lower()}"


def zh_name(rng: random.Random, *, simplified: bool = False) -> str:
    surnames, given = (_CN_SURNAMES_S, _CN_GIVEN_S) if simplified else (_CN_SURNAMES, _CN_GIVEN)
    return rng.choice(surnames) + "".join(rng.choice(given) for _ in range(rng.choice((1, 2, 2))))


def en_address(rng: random.Random) -> str:
    parts = []
    if rng.random() < 0.8:
        parts.append(f"{rng.choice(('Flat', 'Room', 'Flat', 'Unit'))} {rng.choice('ABCDEFGH')}")
    parts.append(f"{rng.randint(1, 40)}/F")
    if rng.random() < 0.5:
        parts.append(f"Block {rng.randint(1, 9)}")
    parts.append(rng.choice(_BUILDINGS))
    if rng.random() < 0.7:
        parts.append(f"{rng.randint(1, 300)} {rng.choice(_STREETS)}")
    parts.append(rng.choice(_DISTRICTS))
    parts.append(rng.choice(_REGIONS))
    return ", ".join(parts)


def zh_address(rng: random.Random) -> str:
    region, district, street, building = rng.choice(_ZH_ADDR)
    text = f"{region}{district}{street}{rng.randint(1, 300)}號{building}"
    if rng.random() < 0.4:
        text += f"{rng.randint(1, 6)}座"
    return text + f"{rng.randint(1, 40)}樓{rng.choice('ABCDEFGH')}室"


# ----------------------------------------------------------------------------- templates


def _chat_en(d: _Doc) -> None:
    r = d.rng
    name, _ = en_name(r)
    d.t(rng_pick(r, ("Hi, this is ", "Hello, I am ", "Morning! It's "))).e("PERSON", name)
    d.t(". ")
    choice = r.random()
    if choice < 0.5:
        d.t(rng_pick(r, ("Call me on ", "My mobile is ", "WhatsApp me at ")))
        d.e("HK_PHONE", phone(r)).t(" after 6pm.")
    else:
        d.t("I paid HK$").n("amount_8_digits", f"{r.randint(20, 99)}{_digits(r, 6)}")
        d.t(" yesterday, ref ").n("reference_number", f"{r.randint(2, 9)}{_digits(r, 7)}")
        d.t(", please check.")
    if r.random() < 0.4:
        d.t(" Email: ").e(
            "EMAIL", f"{_digits(r, 2)}{name.split()[0].lower().strip(',')}@{r.choice(_DOMAINS)}"
        )


def rng_pick(rng: random.Random, options: tuple[str, ...]) -> str:
    return rng.choice(options)


def _kyc_en(d: _Doc) -> None:
    r = d.rng
    name, local = en_name(r)
    d.t("KYC form - Name: ").e("PERSON", name).t("; HKID: ").e("HKID", hkid(r))
    d.t("; DOB: ").e("DATE_OF_BIRTH", dob(r))
    d.t("; Mobile: ").e("HK_PHONE", phone(r))
    d.t("; Email: ").e("EMAIL", f"{local}@{r.choice(_DOMAINS)}")
    d.t("; Residential address: ").e("ADDRESS", en_address(r)).t(".")
    extra = r.random()
    if extra < 0.3:
        d.t(" Passport No. ").e(
            "HK_PASSPORT", f"K{_digits(r, 8)}" if r.random() < 0.7 else f"KJ{_digits(r, 7)}"
        )
    elif extra < 0.5:
        d.t(" Mainland ID: ").e("CN_RESIDENT_ID", mainland_id(r))
    elif extra < 0.65:
        d.t(" Macau ID ").e("MACAU_ID", f"{r.choice('157')}{_digits(r, 6)}({r.randint(0, 9)})")
    elif extra < 0.8:
        d.t(" Home Return Permit: ").e(
            "HOME_RETURN_PERMIT",
            r.choice((f"H{_digits(r, 10)}", f"M{_digits(r, 8)}", f"HA{_digits(r, 7)}")),
        )
    d.t(" Form submitted on ").n("non_birth_date", other_date(r)).t(".")


def _email_en(d: _Doc) -> None:
    r = d.rng
    name, _ = en_name(r)
    title = r.choice(("Mr", "Ms", "Dear Mr", "Dear Ms"))
    sur = rng_pick(r, tuple(_SURNAMES))
    d.t(f"{title} ").e("PERSON", sur).t(",\nThank you for your application. ")
    d.t("Our records show account ").e(
        "HK_BANK_ACCOUNT",
        f"{r.choice(_BANK_CODES)}-{_digits(r, 3)}-{_digits(r, 6)}-{_digits(r, 3)}",
    )
    d.t(" held by ").e("PERSON", name).t(". ")
    if r.random() < 0.5:
        d.t("The card ending ").n("card_like_luhn_fail", card(r, valid=False)).t(" was declined. ")
    else:
        d.t("Your Visa card ").e("CREDIT_CARD", card(r)).t(" has been activated. ")
    d.t("Please quote case no. ").n("reference_number", f"{r.randint(2, 9)}{_digits(r, 7)}")
    d.t(" when you call us on ").e("HK_PHONE", phone(r)).t(".\nRegards, ").e(
        "PERSON", en_name(r)[0]
    )


def _memo_en(d: _Doc) -> None:
    r = d.rng
    kind = r.random()
    if kind < 0.25:
        d.t("FPS transfer to FPS ID ").e("FPS_ID", _digits(r, r.choice((7, 9))))
        d.t(" amount HKD ").n("amount_8_digits", f"{r.randint(1, 9)}{_digits(r, 7)}")
    elif kind < 0.45:
        d.t("Wire to IBAN ").e("IBAN", iban(r)).t(" beneficiary ").e("PERSON", en_name(r)[0])
    elif kind < 0.6:
        d.t("Withdrawal to wallet ").e("CRYPTO_WALLET", crypto_address(r)).t(" flagged")
    elif kind < 0.75:
        d.t("Merchant BR No. ").e("HK_BR_NUMBER", _digits(r, 8)).t(" order ").n(
            "reference_number", f"{r.randint(2, 9)}{_digits(r, 7)}"
        )
    else:
        d.t("Login from IP ").e(
            "IP_ADDRESS",
            f"{r.randint(11, 223)}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
        )
        d.t(" on ").n("non_birth_date", other_date(r))
    if r.random() < 0.35:
        d.t("; checked HKID ").n("hkid_bad_check", hkid(r, valid=False)).t(" (invalid)")
    if r.random() < 0.2:
        d.t("; wallet ").n("eth_bad_checksum", crypto_address(r, valid=False)).t(" rejected")
    if r.random() < 0.2:
        d.t("; IBAN ").n("iban_bad_check", iban(r, valid=False)).t(" bounced")


def _chat_zh(d: _Doc, simplified: bool = False) -> None:
    r = d.rng
    name = zh_name(r, simplified=simplified)
    if simplified:
        d.t("你好，我是").e("PERSON", name).t("，电话：").e("HK_PHONE", phone(r)).t("，")
        d.t("身份证号码").e("CN_RESIDENT_ID", mainland_id(r)).t("。")
        if r.random() < 0.5:
            d.t("订单编号").n("reference_number", f"{r.randint(2, 9)}{_digits(r, 7)}").t("已付款。")
        return
    opener = r.random()
    if opener < 0.5:
        d.t("你好，我係").e("PERSON", name).t("，")
    else:
        d.e("PERSON", name).t(r.choice(("先生", "小姐", "女士"))).t("您好，")
    d.t("我嘅手機係").e("HK_PHONE", phone(r)).t("。")
    if r.random() < 0.5:
        d.t("金額HK$").n("amount_8_digits", f"{r.randint(1, 9)}{_digits(r, 7)}").t("已經轉咗。")
    if r.random() < 0.4:
        d.t("轉數快ID：").e("FPS_ID", _digits(r, r.choice((7, 9)))).t("。")


def _kyc_zh(d: _Doc) -> None:
    r = d.rng
    d.t("開戶申請表 姓名：").e("PERSON", zh_name(r)).t("；香港身份證號碼：").e("HKID", hkid(r))
    d.t("；出生日期：").e("DATE_OF_BIRTH", dob(r)).t("；聯絡電話：").e("HK_PHONE", phone(r))
    d.t("；住址：").e("ADDRESS", zh_address(r)).t("。")
    extra = r.random()
    if extra < 0.35:
        d.t("回鄉證號碼：").e("HOME_RETURN_PERMIT", f"H{_digits(r, r.choice((8, 10)))}").t("。")
    elif extra < 0.6:
        d.t("護照號碼：").e("HK_PASSPORT", f"K{_digits(r, 8)}").t("。")
    elif extra < 0.8:
        d.t("澳門身份證：").e("MACAU_ID", f"{r.choice('157')}{_digits(r, 6)}({r.randint(0, 9)})").t(
            "。"
        )
    d.t("申請日期：").n("non_birth_date", other_date(r)).t("。")


def _memo_zh(d: _Doc) -> None:
    r = d.rng
    kind = r.random()
    if kind < 0.4:
        d.t("轉賬俾").e("PERSON", zh_name(r)).t("，戶口號碼").e(
            "HK_BANK_ACCOUNT",
            f"{r.choice(_BANK_CODES)}-{_digits(r, 3)}-{_digits(r, 6)}-{_digits(r, 3)}",
        ).t("，參考編號").n("reference_number", f"{r.randint(2, 9)}{_digits(r, 7)}")
    elif kind < 0.7:
        d.t("商業登記號碼 ").e("HK_BR_NUMBER", _digits(r, 8)).t("，公司電話 ").e(
            "HK_PHONE", phone(r)
        )
    else:
        d.t("信用卡 ").e("CREDIT_CARD", card(r)).t(" 已被凍結；另一張卡 ").n(
            "card_like_luhn_fail", card(r, valid=False)
        ).t(" 無效")
    if r.random() < 0.3:
        d.t("；內地身份證 ").n("cn_id_bad_check", mainland_id(r, valid=False)).t(" 核對失敗")


def _mixed(d: _Doc) -> None:
    r = d.rng
    name, _ = en_name(r)
    d.t("客戶 ").e("PERSON", name).t(" (HKID ").e("HKID", hkid(r)).t(") 話張卡 ")
    d.e("CREDIT_CARD", card(r)).t(" 被盜用，請 call 佢 ").e("HK_PHONE", phone(r)).t("。")
    if r.random() < 0.5:
        d.t(" Wallet: ").e("CRYPTO_WALLET", crypto_address(r))
    if r.random() < 0.5:
        d.t(" 住址 ").e("ADDRESS", en_address(r))
    if r.random() < 0.3:
        d.t(" Ref ").n("reference_number", f"{r.randint(2, 9)}{_digits(r, 7)}")


_TEMPLATES: tuple[tuple[str, str, Callable[[_Doc], None], float], ...] = (
    ("en", "chat", _chat_en, 0.15),
    ("en", "kyc", _kyc_en, 0.15),
    ("en", "email", _email_en, 0.14),
    ("en", "memo", _memo_en, 0.14),
    ("zh", "chat", _chat_zh, 0.1),
    ("zh-Hans", "chat", lambda d: _chat_zh(d, simplified=True), 0.04),
    ("zh", "kyc", _kyc_zh, 0.1),
    ("zh", "memo", _memo_zh, 0.08),
    ("mixed", "chat", _mixed, 0.1),
)


def generate(n_docs: int = DEFAULT_DOCS, seed: int = SEED) -> list[dict[str, Any]]:
    """Build ``n_docs`` labelled documents deterministically from ``seed``."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    weights = [t[3] for t in _TEMPLATES]
    docs: list[dict[str, Any]] = []
    for index in range(n_docs):
        lang, genre, build, _ = rng.choices(_TEMPLATES, weights=weights)[0]
        doc = _Doc(rng)
        build(doc)
        docs.append(
            {
                "id": f"doc-{index + 1:05d}",
                "lang": lang,
                "genre": genre,
                "text": doc.text,
                "entities": doc.entities,
                "near_misses": doc.near,
            }
        )
    return docs


def load(path: str | Path) -> list[dict[str, Any]]:
    """Read a corpus JSONL file."""
    with Path(path).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: write the corpus as JSONL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", default="data/privacy/corpus.jsonl")
    parser.add_argument("--docs", type=int, default=DEFAULT_DOCS)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    docs = generate(args.docs, args.seed)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for doc in docs:
            handle.write(json.dumps(doc, ensure_ascii=False) + "\n")
    n_entities = sum(len(d["entities"]) for d in docs)
    n_near = sum(len(d["near_misses"]) for d in docs)
    print(json.dumps({"docs": len(docs), "entities": n_entities, "near_misses": n_near}))


if __name__ == "__main__":
    main()
