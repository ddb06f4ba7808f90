"""Chinese-name knowledge: scripts, readings and romanisations.

Everything here is deterministic and driven by the data files in ``data/``:

* Traditional <-> Simplified for name characters (``ts_pairs.txt``, our own table);
* Jyutping (from ``pycantonese``) -> Hong Kong Government spelling (``jyutping_hk.json``,
  our own rules: ``can4`` -> ``chan``, ``wong4`` -> ``wong``, ``zoeng1`` -> ``cheung``);
* Hanyu Pinyin (from ``pypinyin``);
* a *fuzzy key* that merges the HK spelling variants (Tsoi/Choi, Shum/Sum, Poon/Pun,
  Yip/Ip, Lee/Li, Cheong/Cheung...), so the matcher compares keys rather than spellings;
* a syllable segmenter for given names written joined (``Taiman``, ``Dawen``).

``pycantonese`` takes a few seconds to load its corpus; it is imported lazily and each
character's reading is cached.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

_DATA = "dualtrack.screening.data"

# Unified CJK ideographs plus extension A and the compatibility block.
_HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _read_text(name: str) -> str:
    return resources.files(_DATA).joinpath(name).read_text(encoding="utf-8")


def _data_lines(name: str) -> list[str]:
    return [
        line for line in _read_text(name).splitlines() if line.strip() and not line.startswith("#")
    ]


def is_han(char: str) -> bool:
    """Whether ``char`` is a CJK ideograph."""
    return bool(_HAN_RE.fullmatch(char))


# --------------------------------------------------------------------------------------
# Traditional / Simplified
# --------------------------------------------------------------------------------------


@cache
def _ts_tables() -> tuple[dict[str, str], dict[str, str]]:
    t2s: dict[str, str] = {}
    s2t: dict[str, str] = {}
    for line in _data_lines("ts_pairs.txt"):
        for pair in line.split():
            if len(pair) != 2:
                continue
            trad, simp = pair[0], pair[1]
            t2s[trad] = simp
            # The first Traditional form listed wins for an ambiguous Simplified one (钟 -> 鍾).
            s2t.setdefault(simp, trad)
    return t2s, s2t


def to_simplified(text: str) -> str:
    """Map the name characters of ``text`` to Simplified (many-to-one, so safe to compare)."""
    t2s = _ts_tables()[0]
    return "".join(t2s.get(c, c) for c in text)


def to_traditional(text: str) -> str:
    """Map Simplified name characters back to the usual Traditional form (for Jyutping)."""
    s2t = _ts_tables()[1]
    return "".join(s2t.get(c, c) for c in text)


# --------------------------------------------------------------------------------------
# Surnames
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Surname:
    """One row of ``surnames.txt``."""

    chars: str
    jyutping: tuple[str, ...]
    hk: tuple[str, ...]
    pinyin: str
    weight: int


@cache
def surnames() -> tuple[Surname, ...]:
    """The surname table (Traditional characters)."""
    rows = []
    for line in _data_lines("surnames.txt"):
        chars, jyut, hk, pinyin, weight = line.split("\t")
        rows.append(
            Surname(
                chars=chars,
                jyutping=tuple(jyut.split()),
                hk=tuple(s.strip() for s in hk.split(";")),
                pinyin=pinyin,
                weight=int(weight),
            )
        )
    return tuple(rows)


@cache
def _surname_by_chars() -> dict[str, Surname]:
    return {to_simplified(s.chars): s for s in surnames()}


@cache
def compound_surnames_simplified() -> frozenset[str]:
    """Two-character surnames (歐陽, 司徒...), in Simplified form."""
    return frozenset(to_simplified(s.chars) for s in surnames() if len(s.chars) > 1)


@cache
def surname_keys() -> frozenset[str]:
    """Fuzzy keys of every known surname spelling (HK and Pinyin), joined without spaces."""
    keys: set[str] = set()
    for s in surnames():
        for spelling in (*s.hk, s.pinyin):
            keys.add(fuzzy_key(spelling.replace(" ", "")))
    return frozenset(keys)


def split_han_name(han: str) -> tuple[str, str]:
    """Split a Chinese name into (surname, given name); ``han`` in any script."""
    simp = to_simplified(han)
    if len(simp) >= 3 and simp[:2] in compound_surnames_simplified():
        return han[:2], han[2:]
    return han[:1], han[1:]


# --------------------------------------------------------------------------------------
# Readings
# --------------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _char_jyutping(char: str) -> str | None:
    import pycantonese

    result = pycantonese.characters_to_jyutping(char)
    if not result or result[0][1] is None:
        return None
    return str(result[0][1]).split()[0]


def jyutping(han: str) -> list[str | None]:
    """Jyutping (with tone digit) per character; ``None`` where pycantonese has no reading.

    Surname characters use the reading in our surname table (曾 is zang1 as a surname).
    """
    trad = to_traditional(han)
    out: list[str | None] = []
    sur, _ = split_han_name(trad)
    known = _surname_by_chars().get(to_simplified(sur))
    start = 0
    if known is not None:
        out.extend(known.jyutping)
        start = len(sur)
    out.extend(_char_jyutping(c) for c in trad[start:])
    return out


_TONE_RE = re.compile(r"[1-6]$")


@cache
def _rules() -> dict[str, Any]:
    rules: dict[str, Any] = json.loads(_read_text("jyutping_hk.json"))
    return rules


def _split_jyutping(syllable: str) -> tuple[str, str]:
    initials = _rules()["initials"]
    for size in (2, 1):
        head = syllable[:size]
        if len(syllable) > size and head in initials and head != "":
            rest = syllable[size:]
            if rest in _rules()["finals"]:
                return head, rest
    return "", syllable


@lru_cache(maxsize=4096)
def jyutping_to_hk(syllable: str) -> str:
    """HK Government spelling (lower case) of one Jyutping syllable, tone ignored.

    >>> jyutping_to_hk("can4"), jyutping_to_hk("wong4"), jyutping_to_hk("zoeng1")
    ('chan', 'wong', 'cheung')
    """
    bare = _TONE_RE.sub("", syllable.lower())
    special = _rules()["special"]
    if bare in special:
        return str(special[bare])
    initial, final = _split_jyutping(bare)
    finals = _rules()["finals"]
    if final not in finals:
        return bare
    spelled_initial = str(_rules()["initials"][initial])
    spelled_final = str(finals[final])
    if initial == "j" and spelled_final.startswith("y"):
        return spelled_final
    if initial == "" and final in {"yu", "yun", "yut"}:
        return "y" + spelled_final
    return spelled_initial + spelled_final


def hk_romanisation(han: str) -> list[str] | None:
    """HK spelling per character of ``han``, or ``None`` if a reading is missing."""
    readings = jyutping(han)
    if any(r is None for r in readings):
        return None
    return [jyutping_to_hk(r) for r in readings if r is not None]


def pinyin(han: str) -> list[str]:
    """Toneless Pinyin per character (u-umlaut as ``v``)."""
    from pypinyin import Style, lazy_pinyin

    sur, given = split_han_name(han)
    out: list[str] = []
    known = _surname_by_chars().get(to_simplified(sur))
    if known is not None:
        out.extend(_split_pinyin_word(known.pinyin, len(sur)))
        rest = given
    else:
        rest = han
    out.extend(str(p) for p in lazy_pinyin(rest, style=Style.NORMAL, v_to_u=False))
    return out


def _split_pinyin_word(word: str, count: int) -> list[str]:
    if count == 1:
        return [word]
    parts = segment_syllables(word)
    return parts if parts and len(parts) == count else [word]


# --------------------------------------------------------------------------------------
# Fuzzy key and syllables
# --------------------------------------------------------------------------------------

# Ordered rewrite rules merging HK spelling variants (hk-identifiers.md 7.4 consequences).
_FUZZY_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"^tsz$", "chi"),
        (r"^sze$", "si"),
        (r"^see$", "si"),
        (r"ts", "ch"),
        (r"sh", "s"),
        (r"oo", "u"),
        (r"eong", "eung"),
        (r"eok$", "euk"),
        (r"oh$", "o"),
        (r"or$", "o"),
        (r"aw$", "o"),
        (r"ow$", "au"),
        (r"oy$", "oi"),
        (r"ee$", "i"),
        (r"ei$", "i"),
        (r"ah$", "a"),
        (r"^yue$", "yu"),
        (r"^y(?=i)", ""),
        (r"^chum$", "cham"),
        (r"^sum$", "sam"),
    )
)


@lru_cache(maxsize=65536)
def fuzzy_key(token: str) -> str:
    """Spelling-variant-insensitive key of a lower-case romanised syllable or word."""
    key = token
    for pattern, repl in _FUZZY_RULES:
        key = pattern.sub(repl, key)
    return key


@cache
def pinyin_syllables() -> frozenset[str]:
    """Toneless Pinyin syllables (generated data file)."""
    return frozenset(_data_lines("pinyin_syllables.txt"))


@cache
def hk_syllables() -> frozenset[str]:
    """Every HK spelling our rules can produce (and common variants of the surnames)."""
    rules = _rules()
    out: set[str] = set()
    for initial in rules["initials"]:
        for final in rules["finals"]:
            out.add(jyutping_to_hk(initial + final))
    for value in rules["special"].values():
        if isinstance(value, str):
            out.add(value)
    for s in surnames():
        for spelling in s.hk:
            out.update(spelling.split())
    return frozenset(out)


@cache
def western_given_names() -> frozenset[str]:
    """English given names that must never be read as Chinese syllables."""
    return frozenset(w for line in _data_lines("western_given_names.txt") for w in line.split())


@cache
def _all_syllables() -> frozenset[str]:
    return hk_syllables() | pinyin_syllables()


def is_syllable(token: str) -> bool:
    """Whether ``token`` is a single HK-spelled or Pinyin syllable."""
    return token in _all_syllables()


@lru_cache(maxsize=65536)
def _segment(word: str) -> tuple[str, ...] | None:
    if not word:
        return ()
    if len(word) > 24:
        return None
    syllables = _all_syllables()
    best: tuple[str, ...] | None = None
    best_cost = (99, 99)
    # Prefer the fewest syllables, then the fewest vowel-initial syllables after the first:
    # "taiman" -> tai+man, "chiming" -> chi+ming (not chim+ing).
    for size in range(min(7, len(word)), 0, -1):
        head = word[:size]
        if head not in syllables:
            continue
        rest = _segment(word[size:])
        if rest is None:
            continue
        candidate = (head, *rest)
        cost = (len(candidate), sum(1 for s in candidate[1:] if s[0] in "aeiou"))
        if cost < best_cost:
            best, best_cost = candidate, cost
    return best


def segment_syllables(word: str) -> list[str] | None:
    """Split a joined romanised given name into syllables, or ``None`` if impossible."""
    if word in western_given_names():
        return None
    result = _segment(word)
    return list(result) if result is not None else None


# --------------------------------------------------------------------------------------
# Cross-scheme equivalence (HK key <-> Pinyin) learnt from name characters
# --------------------------------------------------------------------------------------


@cache
def name_characters() -> str:
    """Traditional characters of common given names and surnames (no duplicates)."""
    chars = "".join(_data_lines("given_chars.txt")) + "".join(s.chars for s in surnames())
    seen: dict[str, None] = {}
    for c in chars:
        if is_han(c):
            seen.setdefault(c, None)
    return "".join(seen)


@cache
def hk_pinyin_pairs() -> frozenset[tuple[str, str]]:
    """Pairs (HK fuzzy key, Pinyin) that spell the same name character.

    Built from the surname table (no pycantonese needed) and from ``equivalence.txt`` when
    present (generated from ``given_chars.txt`` by :func:`build_equivalence_rows`).
    """
    pairs: set[tuple[str, str]] = set()
    for s in surnames():
        hk_parts = [fuzzy_key(p) for p in s.hk[0].split()]
        if len(s.chars) == 1:
            for spelling in s.hk:
                pairs.add((fuzzy_key(spelling), fuzzy_key(s.pinyin)))
        py_parts = _split_pinyin_word(s.pinyin, len(s.chars))
        if len(s.chars) > 1 and len(py_parts) == len(s.chars):
            readings = [fuzzy_key(jyutping_to_hk(j)) for j in s.jyutping]
            pairs.update(zip(readings, map(fuzzy_key, py_parts), strict=True))
        pairs.add((fuzzy_key("".join(hk_parts)), fuzzy_key(s.pinyin)))
    try:
        lines = _data_lines("equivalence.txt")
    except FileNotFoundError:
        lines = []
    for line in lines:
        _char, _jyut, hk, py = line.split("\t")
        pairs.add((hk, py))
    return frozenset(pairs)


def build_equivalence_rows(chars: Iterable[str]) -> list[str]:
    """Rows ``char, jyutping, hk key, pinyin`` for ``equivalence.txt`` (needs pycantonese)."""
    from pypinyin import Style, lazy_pinyin

    rows = []
    for c in chars:
        jp = _char_jyutping(c)
        if jp is None:
            continue
        py = lazy_pinyin(c, style=Style.NORMAL, v_to_u=False)[0]
        rows.append(f"{c}\t{jp}\t{fuzzy_key(jyutping_to_hk(jp))}\t{fuzzy_key(py)}")
    return rows
