"""Built-in recognizers for Hong Kong identifiers and common personal data.

Each recognizer is data (patterns, scores, context words) plus at most a small validation
function from :mod:`dualtrack.identifiers`. Scores are tuned so that the engine's default
threshold (0.5) needs either a passed checksum, a distinctive shape, or supporting context:
a bare 8-digit number is not reported as a phone number unless phone words are near it.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable

from dualtrack.identifiers.hk import (
    iban_is_valid,
    is_valid_date_of_birth,
    is_valid_hk_phone,
    is_valid_hkid,
    is_valid_mainland_id,
    luhn_is_valid,
)
from dualtrack.privacy.domain import EntityType
from dualtrack.privacy.recognizers import Pattern, PatternRecognizer, RecognizerRegistry

logger = logging.getLogger(__name__)

_L = r"(?<![A-Za-z0-9])"  # left boundary (ASCII: CJK text may touch an identifier)
_R = r"(?![A-Za-z0-9])"  # right boundary

HK_BANK_CODES: frozenset[str] = frozenset(
    [
        "003",
        "004",
        "006",
        "007",
        "009",
        "012",
        "014",
        "015",
        "016",
        "018",
        "019",
        "020",
        "024",
        "025",
        "027",
        "028",
        "035",
        "038",
        "039",
        "040",
        "041",
        "043",
        "061",
        "072",
        "128",
        "250",
        "387",
        "388",
        "389",
        "390",
        "391",
        "392",
        "393",
        "395",
    ]
)

_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for m in names
}  # fmt: skip
_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))


def _phone_shape(value: str) -> bool | None:
    return None if is_valid_hk_phone(value) else False


def _confirm(check: Callable[[str], bool]) -> Callable[[str], bool | None]:
    def validate(value: str) -> bool | None:
        return bool(check(value))

    return validate


def _card_ok(value: str) -> bool:
    digits = re.sub(r"\D", "", value)
    if not (13 <= len(digits) <= 16 or len(digits) == 19):
        return False
    if not re.match(r"4|5[1-5]|2[2-7]|3[47]|3[068]|35|6", digits):
        return False
    return luhn_is_valid(digits)


def _bank_account(value: str) -> bool | None:
    parts = re.split(r"[- ]", value)
    if len(parts) >= 3 and len(parts[0]) == 3 and parts[0] in HK_BANK_CODES:
        return True
    return None


def parse_date(value: str) -> tuple[int, int, int] | None:
    """Parse the date forms the DOB recognizer matches into (year, month, day)."""
    text = value.strip().lower()
    m = re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", text)
    if m:
        return int(m[1]), int(m[2]), int(m[3])
    m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", text)
    if m:
        return int(m[1]), int(m[2]), int(m[3])
    m = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", text)
    if m:  # HK writes day first
        return int(m[3]), int(m[2]), int(m[1])
    m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)? ([a-z]+)\.?,? (\d{4})", text)
    if m and m[2] in _MONTHS:
        return int(m[3]), _MONTHS[m[2]], int(m[1])
    m = re.fullmatch(r"([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})", text)
    if m and m[1] in _MONTHS:
        return int(m[3]), _MONTHS[m[1]], int(m[2])
    return None


def _dob(value: str) -> bool | None:
    parsed = parse_date(value)
    if parsed is None or not is_valid_date_of_birth(*parsed):
        return False
    return None


def _ipv6(value: str) -> bool | None:
    if value.count(":") < 2:
        return False
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return True


def _crypto(value: str) -> bool | None:
    # Imported lazily: the checks live in dualtrack.identifiers.crypto, maintained separately.
    from dualtrack.identifiers import crypto

    if value.startswith(("0x", "0X")):
        return bool(crypto.validate_eth_address(value))
    return bool(crypto.validate_btc_address(value))


_PHONE_CONTEXT = (
    "phone", "tel", "mobile", "call", "whatsapp", "contact", "sms", "text me", "cell", "fax",
    "signal", "wechat", "reach me", "電話", "电话", "手機", "手机", "致電", "致电", "聯絡",
    "联络", "联系", "打俾", "打給", "短訊", "傳真", "微信",
)  # fmt: skip
_PHONE_NEGATIVE = (
    "$", "hkd", "usd", "rmb", "amount", "ref", "order", "invoice", "txn", "transaction",
    "account", "a/c", "acct", "金額", "金额", "參考", "参考", "編號", "编号", "訂單", "订单",
    "br no", "br number", "business registration", "商業登記", "商业登记", "fps",
    "轉數快", "转数快", "policy", "case no", "id no", "membership", "會員", "帳戶", "賬戶",
    "戶口", "账户", "passport", "護照", "macau", "澳門", "permit", "回鄉證",
)  # fmt: skip
_ACCOUNT_CONTEXT = (
    "account", "a/c", "acct", "戶口", "帳戶", "賬戶", "账户", "帐户", "bank", "銀行", "银行",
)  # fmt: skip


def builtin_recognizers() -> list[PatternRecognizer]:
    """The pattern recognizers shipped with dualtrack, in registration order."""
    recognizers = [
        PatternRecognizer(
            name="hkid",
            entity_type=EntityType.HKID,
            patterns=(
                Pattern(
                    "hkid",
                    _L
                    + r"[A-Z]{1,2}(?:\d{6}(?: ?\( ?[0-9A] ?\)| ?（[0-9A]）|-?[0-9A])"
                    + r"| \d{6} ?(?:\([0-9A]\)|（[0-9A]）))"
                    + _R,
                    0.3,
                ),
            ),
            context=("hkid", "hkic", "i.d.", "id card", "identity", "身份證", "身份证"),
            negative_context=("passport", "護照", "护照", "permit", "回鄉證"),
            validate=_confirm(is_valid_hkid),
            needs=frozenset({"digit", "upper"}),
            validated_score=0.95,
        ),
        PatternRecognizer(
            name="cn_resident_id",
            entity_type=EntityType.CN_RESIDENT_ID,
            patterns=(Pattern("ric18", _L + r"\d{17}[\dXx]" + _R, 0.3),),
            context=("身份證", "身份证", "resident id", "mainland id", "居民", "prc id"),
            validate=_confirm(is_valid_mainland_id),
            needs=frozenset({"digit"}),
            validated_score=0.97,
        ),
        PatternRecognizer(
            name="hk_passport",
            isolate_context=True,
            entity_type=EntityType.HK_PASSPORT,
            patterns=(
                Pattern("k8", _L + r"(?:K\d{8}|KJ\d{7})" + _R, 0.5),
                Pattern("h8", _L + r"H\d{8}" + _R, 0.2),
            ),
            context=("passport", "護照", "护照", "travel document", "旅行證件", "hksar pass"),
            negative_context=("回鄉", "回乡", "home return", "mainland travel", "通行證", "permit"),
            needs=frozenset({"digit", "upper"}),
            context_boost=0.4,
        ),
        PatternRecognizer(
            name="home_return_permit",
            isolate_context=True,
            entity_type=EntityType.HOME_RETURN_PERMIT,
            patterns=(
                Pattern("hm10", _L + r"[HM]\d{10}" + _R, 0.55),
                Pattern("hm8", _L + r"[HM]\d{8}" + _R, 0.2),
                Pattern("hma7", _L + r"[HM]A\d{7}" + _R, 0.45),
            ),
            context=(
                "回鄉證",
                "回乡证",
                "home return",
                "mainland travel permit",
                "來往內地",
                "来往内地",
                "通行證",
                "通行证",
                "permit no",
            ),
            negative_context=("passport", "護照", "护照"),
            needs=frozenset({"digit", "upper"}),
            context_boost=0.4,
        ),
        PatternRecognizer(
            name="macau_id",
            isolate_context=True,
            entity_type=EntityType.MACAU_ID,
            patterns=(
                Pattern("bir_bracket", _L + r"[157]\d{6} ?(?:\(\d\)|（\d）)", 0.45),
                Pattern("bir_plain", _L + r"[157]\d{6}-?\d" + _R, 0.1),
            ),
            context=("macau", "macao", "澳門", "澳门", "bir", "澳居"),
            needs=frozenset({"digit"}),
            context_boost=0.45,
            context_before=40,
        ),
        PatternRecognizer(
            name="hk_phone",
            entity_type=EntityType.HK_PHONE,
            patterns=(
                Pattern(
                    "intl",
                    r"(?<![\d+])(?:\+852|\(852\)|852)[ -]?[2-9]\d{3}[ -]?\d{4}(?![\d])",
                    0.75,
                ),
                Pattern(
                    "grouped", r"(?<![\dA-Za-z$.,/-])[2-9]\d{3}[ -]\d{4}(?![\d]|[.,/-]\d)", 0.45
                ),
                Pattern("plain", r"(?<![\dA-Za-z$.,/-])[2-9]\d{7}(?![\dA-Za-z]|[.,/-]\d)", 0.25),
            ),
            context=_PHONE_CONTEXT,
            negative_context=_PHONE_NEGATIVE,
            negative_suffix=("元", "hkd", "usd", "rmb", "蚊", "港幣"),
            validate=_phone_shape,
            needs=frozenset({"digit"}),
            context_before=30,
            context_after=8,
        ),
        PatternRecognizer(
            name="hk_br_number",
            isolate_context=True,
            entity_type=EntityType.HK_BR_NUMBER,
            patterns=(
                Pattern("br_cert", _L + r"\d{8}-[0-9A-Z]{3}-\d{2}-\d{2}-[0-9A-Z]" + _R, 0.7),
                Pattern("br_branch", _L + r"\d{8}-[0-9A-Z]{3}" + r"(?![A-Za-z0-9-])", 0.3),
                Pattern("br8", r"(?<![A-Za-z0-9-])\d{8}(?![A-Za-z0-9-])", 0.1),
            ),
            context=(
                "br no",
                "br number",
                "brn",
                "br:",
                "br.",
                "business registration",
                "商業登記",
                "商业登记",
                "登記證",
                "ubi",
                "商登",
            ),
            needs=frozenset({"digit"}),
            context_boost=0.6,
            context_before=35,
        ),
        PatternRecognizer(
            name="hk_bank_account",
            isolate_context=True,
            entity_type=EntityType.HK_BANK_ACCOUNT,
            patterns=(
                Pattern(
                    "bank_branch_account",
                    r"(?<![\d-])\d{3}[- ]\d{3}[- ]\d{6,9}(?:[- ]\d{3})?(?![\d-])",
                    0.35,
                ),
                Pattern("branch_6_3", r"(?<![\d-])\d{3}-\d{6}-\d{3}(?![\d-])", 0.4),
                Pattern("plain", r"(?<![\d-])\d{9,12}(?![\d-])", 0.1),
            ),
            context=_ACCOUNT_CONTEXT,
            negative_context=("fps", "轉數快", "转数快", "phone", "電話"),
            validate=_bank_account,
            needs=frozenset({"digit"}),
            validated_score=0.9,
            context_boost=0.45,
            context_before=35,
        ),
        PatternRecognizer(
            name="fps_id",
            isolate_context=True,
            entity_type=EntityType.FPS_ID,
            patterns=(Pattern("fps", r"(?<![A-Za-z0-9-])(?:\d{7}|\d{9})(?![A-Za-z0-9-])", 0.1),),
            context=("fps", "轉數快", "转数快"),
            needs=frozenset({"digit"}),
            context_boost=0.65,
            context_before=30,
        ),
        PatternRecognizer(
            name="credit_card",
            entity_type=EntityType.CREDIT_CARD,
            patterns=(
                Pattern("grouped", r"(?<![\d-])\d{4}(?:[ -]\d{4}){2}[ -]\d{1,7}(?![\d-])", 0.3),
                Pattern("amex", r"(?<![\d-])3[47]\d{2}[ -]\d{6}[ -]\d{5}(?![\d-])", 0.3),
                Pattern("plain", r"(?<![\d-])\d{13,19}(?![\d-])", 0.2),
            ),
            context=("card", "visa", "mastercard", "信用卡", "卡號", "卡号", "amex", "unionpay"),
            validate=_confirm(_card_ok),
            needs=frozenset({"digit"}),
        ),
        PatternRecognizer(
            name="iban",
            entity_type=EntityType.IBAN,
            patterns=(
                Pattern(
                    "iban",
                    _L + r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?" + _R,
                    0.3,
                ),
            ),
            context=("iban",),
            validate=_confirm(iban_is_valid),
            needs=frozenset({"digit", "upper"}),
        ),
        PatternRecognizer(
            name="email",
            entity_type=EntityType.EMAIL,
            patterns=(
                Pattern(
                    "email",
                    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
                    r"\.[A-Za-z]{2,}(?![A-Za-z0-9-])",
                    0.9,
                ),
            ),
            needs=frozenset({"at"}),
        ),
        PatternRecognizer(
            name="ip_address",
            entity_type=EntityType.IP_ADDRESS,
            patterns=(
                Pattern(
                    "ipv4",
                    r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}"
                    r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\.?\d)",
                    0.7,
                ),
            ),
            context=("ip", "login", "登入", "address", "地址", "server"),
            negative_context=("version", "v.", "版本"),
            needs=frozenset({"digit"}),
            context_boost=0.15,
        ),
        PatternRecognizer(
            name="ipv6_address",
            entity_type=EntityType.IP_ADDRESS,
            patterns=(
                Pattern("ipv6", r"(?<![0-9A-Za-z:])[0-9A-Fa-f:]{2,39}(?![0-9A-Za-z:])", 0.3),
            ),
            validate=_ipv6,
            needs=frozenset({"colon"}),
            validated_score=0.85,
        ),
        PatternRecognizer(
            name="date_of_birth",
            isolate_context=True,
            entity_type=EntityType.DATE_OF_BIRTH,
            patterns=(
                Pattern("ymd_zh", r"\d{4}年\d{1,2}月\d{1,2}日", 0.2),
                Pattern("iso", r"(?<![\d/.-])\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?![\d/.-])", 0.2),
                Pattern("dmy", r"(?<![\d/.-])\d{1,2}[-/.]\d{1,2}[-/.]\d{4}(?![\d/.-])", 0.2),
                Pattern(
                    "d_month_y",
                    r"(?<![\dA-Za-z])\d{1,2}(?:st|nd|rd|th)? (?:"
                    + _MONTH_ALT
                    + r")\.?,? \d{4}"
                    + _R,
                    0.2,
                    flags=re.IGNORECASE,
                ),
                Pattern(
                    "month_d_y",
                    r"(?<![A-Za-z])(?:" + _MONTH_ALT + r")\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}" + _R,
                    0.2,
                    flags=re.IGNORECASE,
                ),
            ),
            context=(
                "dob",
                "d.o.b",
                "date of birth",
                "born",
                "birth",
                "birthday",
                "出生",
                "生日",
                "出世",
            ),
            validate=_dob,
            needs=frozenset({"digit"}),
            context_boost=0.6,
            context_before=20,
            context_after=0,
        ),
    ]
    return recognizers


def crypto_recognizer() -> PatternRecognizer | None:
    """BTC/ETH recognizer, or ``None`` when the checksum module is not installed."""
    try:
        from dualtrack.identifiers import crypto  # noqa: F401
    except ImportError:
        logger.warning("dualtrack.identifiers.crypto missing: crypto wallet recognizer disabled")
        return None
    return PatternRecognizer(
        name="crypto_wallet",
        entity_type=EntityType.CRYPTO_WALLET,
        patterns=(
            Pattern("eth", _L + r"0x[0-9a-fA-F]{40}" + _R, 0.3),
            Pattern("btc_base58", _L + r"[13][1-9A-HJ-NP-Za-km-z]{25,34}" + _R, 0.2),
            Pattern(
                "btc_bech32", _L + r"(?:bc1|BC1|tb1|TB1)[02-9ac-hj-np-zAC-HJ-NP-Z]{11,71}" + _R, 0.2
            ),
        ),
        context=("wallet", "btc", "eth", "bitcoin", "ethereum", "錢包", "钱包", "usdt"),
        validate=_crypto,
        needs=frozenset({"digit"}),
    )


def register_builtins(registry: RecognizerRegistry) -> RecognizerRegistry:
    """Register every built-in recognizer (patterns, names, addresses) into ``registry``."""
    from dualtrack.privacy.addresses import AddressRecognizer
    from dualtrack.privacy.names import ChineseNameRecognizer, EnglishNameRecognizer

    for recognizer in builtin_recognizers():
        registry.register(recognizer)
    crypto = crypto_recognizer()
    if crypto is not None:
        registry.register(crypto)
    registry.register(EnglishNameRecognizer())
    registry.register(ChineseNameRecognizer())
    registry.register(AddressRecognizer())
    return registry
