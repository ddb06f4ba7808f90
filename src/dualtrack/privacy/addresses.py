"""Hong Kong postal-address recognizer (English and Chinese).

An address is a run of at least two components separated by commas or spaces, where the
components follow the government structured-address elements: unit (``Flat B``, ``A室``),
floor (``12/F``, ``12樓``), block (``Block 2``, ``第2座``), building or estate names ending in a
keyword (``Mansion``, ``Estate``, ``大廈``, ``邨``), street number + name (``8 Taikoo Wan Road``,
``彌敦道100號``), one of the 18 districts or a well-known locality, and the region. At least one
numbered component (unit, floor, block, street number) is required so that ``Kowloon, Hong
Kong`` alone is not flagged. Chinese addresses run largest-first, so they must start with a
region or district; that anchor keeps the greedy character classes from eating prose.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from dualtrack.privacy.domain import EntityType, Finding
from dualtrack.privacy.lexicon import (
    DISTRICTS_EN,
    DISTRICTS_ZH,
    LOCALITIES_EN,
    LOCALITIES_ZH,
    REGIONS_ZH,
)
from dualtrack.privacy.recognizers import Document


def _alt(words: tuple[str, ...] | list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


_WORD = r"[A-Z][a-z]+(?:['’][a-z]+)?"
_NAMED_KW = (
    r"(?:Estate|Gardens?|Court|Mansions?|Building|Bldg|Towers?|Centre|Center|Plaza|House|"
    r"Villas?|Terrace|Heights|Place|Square|City|Park|Lodge|Hall|Garden)"
)
_DIR = r"(?: ?\((?:East|West|North|South|Central)\))?"
_EN_COMPONENTS = (
    r"(?:Flat|Room|Rm|Unit|Shop|Flt|Suite)\.? ?[A-Z0-9]{1,5}(?![A-Za-z0-9])",
    r"(?:\d{1,3}|G|UG|LG|M|B\d)/F",
    r"(?:\d{1,2}(?:st|nd|rd|th)|Ground) Floor",
    r"(?:Block|Blk|Tower|House)\.? ?[A-Z0-9]{1,3}(?![A-Za-z0-9])",
    rf"\d{{1,4}}(?:-\d{{1,4}})?[A-Z]? (?:{_WORD} ){{1,4}}"
    rf"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Path|Drive|Circuit|Crescent)\.?{_DIR}",
    rf"(?:{_WORD} ){{1,4}}{_NAMED_KW}{_DIR}(?:,? Phase \d{{1,2}})?",
    "(?:" + _alt([*DISTRICTS_EN, *LOCALITIES_EN]) + ")(?: District)?",
    r"Hong Kong Island|Hong Kong|Kowloon|New Territories|N\.T\.",
)
_EN_COMPONENT = "(?:" + "|".join(_EN_COMPONENTS) + ")"
_EN_ADDRESS_RE = re.compile(rf"(?<![A-Za-z0-9]){_EN_COMPONENT}(?:,? {_EN_COMPONENT})+")

_HAN = r"[\u4e00-\u9fff]"
_ZH_ANCHOR = "(?:" + _alt(REGIONS_ZH) + "|(?:" + _alt([*DISTRICTS_ZH, *LOCALITIES_ZH]) + ")[區区]?)"
_ZH_COMPONENTS = (
    rf"{_HAN}{{1,5}}?(?:道|街|路|里|徑|径)\d{{1,4}}(?:[-至]\d{{1,4}})?[號号]",
    rf"{_HAN}{{1,8}}?(?:大廈|大厦|中心|花園|花园|廣場|广场|邨|苑|閣|阁|大樓|大楼|樓|楼|城|山莊|豪庭|村)",
    r"第?[\dA-Z一二三四五六七八九十]{1,3}座",
    r"(?:\d{1,3}|地下|[一二三四五六七八九十]{1,3})[樓楼]",
    r"[A-Z\d]{1,5}室|\d{1,4}[號号]舖",
    _ZH_ANCHOR,  # last, so "荃灣中心" is read as a building before "荃灣" as a district
)
_ZH_COMPONENT = "(?:" + "|".join(_ZH_COMPONENTS) + ")"
_ZH_ADDRESS_RE = re.compile(rf"{_ZH_ANCHOR}(?:[ ，,]?{_ZH_COMPONENT})+")
_ZH_NUMBERED_RE = re.compile(r"[樓楼室座號号]")
_DIGIT_RE = re.compile(r"\d")
_PHASE_ONLY_RE = re.compile(r"Phase \d{1,2}")


class AddressRecognizer:
    """Structured Hong Kong addresses in English or Chinese."""

    name = "hk_address"
    entity_types = frozenset({EntityType.ADDRESS.value})
    needs: frozenset[str] = frozenset()

    def analyze(self, doc: Document) -> Iterator[Finding]:
        text = doc.text
        if "digit" in doc.flags and "upper" in doc.flags:
            for match in _EN_ADDRESS_RE.finditer(text):
                value = match.group()
                if _DIGIT_RE.search(_PHASE_ONLY_RE.sub("", value)):
                    yield Finding(*match.span(), EntityType.ADDRESS.value, 0.85, self.name)
        if "cjk" in doc.flags:
            for match in _ZH_ADDRESS_RE.finditer(text):
                if _ZH_NUMBERED_RE.search(match.group()):
                    yield Finding(*match.span(), EntityType.ADDRESS.value, 0.85, self.name)
