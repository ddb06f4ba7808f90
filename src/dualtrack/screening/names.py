"""Turning a raw name string into the comparable forms the matcher uses.

A name such as ``"Peter CHAN Tai-man"``, ``"CHAN, Tai Man"``, ``"陳大文"``, ``"陈大文 Chen Dawen"``
or ``"Muhammad AL-RASHID"`` becomes a :class:`PreparedName` holding

* ``han``: the Chinese characters in Simplified form (many-to-one, so Traditional and
  Simplified spellings compare equal), if there are any;
* ``readings``: interpretations as a Chinese name (surname, given-name syllables in order,
  optional Western given names), each in one romanisation scheme: ``latin`` (as written),
  ``hk`` (HK Government spelling derived from Jyutping) or ``pinyin``. A Latin name whose
  surname position is unknown gets one reading per plausible position;
* ``tokens``: transliteration-tolerant keys of every word, for non-Chinese names;
* ``keys``: blocking keys for the inverted index.

Text is cleaned first: Unicode NFKC, case-folded, accents removed, Cyrillic transliterated,
Cyrillic/Greek look-alike letters inside Latin words mapped to Latin. Control characters,
bidirectional overrides and words mixing scripts in a way we cannot map raise
:class:`~dualtrack.screening.errors.NameRejected` (the message names the problem, never the
name).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from dualtrack.screening import chinese
from dualtrack.screening.errors import NameRejected

MAX_NAME_LENGTH = 300

Scheme = str  # "latin" | "hk" | "pinyin"

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")

# Cyrillic and Greek letters that look like Latin ones (spoofing inside Latin words).
_CONFUSABLES = str.maketrans(
    {
        "а": "a",
        "в": "b",
        "е": "e",
        "к": "k",
        "м": "m",
        "н": "h",
        "о": "o",
        "р": "p",
        "с": "c",
        "т": "t",
        "у": "y",
        "х": "x",
        "і": "i",
        "ј": "j",
        "ѕ": "s",
        "α": "a",
        "ο": "o",
        "ρ": "p",
        "ν": "v",
        "τ": "t",
        "κ": "k",
        "ι": "i",
    }
)

# Simple Russian romanisation (our own, close to the passport/BGN style).
_CYRILLIC = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    "і": "i",
    "ї": "yi",
    "є": "ye",
    "ґ": "g",
}

# Ordered rules for a transliteration-tolerant key of a non-Chinese word (our own):
# Mohammed/Muhammad/Mohamad, Aleksandr/Alexander, Yusuf/Youssef, Khaled/Khalid...
_TRANSLIT_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"x", "ks"),
        (r"ph", "f"),
        (r"ck", "k"),
        (r"q", "k"),
        (r"c(?=[aou]|$)", "k"),
        (r"dzh|dj|zh", "j"),
        (r"sch", "sh"),
        (r"w", "v"),
        (r"ou|oo", "u"),
        (r"ee|ie", "i"),
        (r"^ye", "e"),
        (r"yo", "e"),
        (r"y", "i"),
        (r"(.)\1+", r"\1"),
        (r"f$", "v"),
    )
)

_VOWEL_CLASSES = str.maketrans({"o": "u", "e": "i"})

_JOINED_ARTICLE = re.compile(r"(al|el)([bcdfghjklmnpqrstvwxz][a-z]{4,})")
_PARTICLES = frozenset(
    {
        # name particles
        "al", "el", "ul", "bin", "ibn", "bint", "abu", "van", "von", "de", "der",
        # legal-form and filler words of organisation names
        "limited", "ltd", "co", "company", "corp", "corporation", "inc", "llc", "plc",
        "holdings", "group", "the", "of", "and",
    }
)  # fmt: skip
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Reading:
    """One interpretation of a name as a Chinese name."""

    scheme: Scheme
    surname: str
    given: tuple[str, ...]
    extras: tuple[str, ...] = ()
    surname_shown: str = ""
    given_shown: str = ""


@dataclass(frozen=True, slots=True)
class PreparedName:
    """A cleaned name with everything the matcher needs, computed once."""

    text: str
    han: str = ""
    han_shown: str = ""  # the characters as written (Traditional or Simplified)
    han_surname: str = ""
    han_given: str = ""
    jyutping: tuple[str, ...] = ()
    readings: tuple[Reading, ...] = ()
    tokens: tuple[str, ...] = ()
    skeletons: tuple[str, ...] = ()
    consonant_keys: tuple[str, ...] = ()
    word_keys: tuple[str, ...] = ()  # HK fuzzy key of each Latin word
    other_script: tuple[str, ...] = ()
    keys: frozenset[str] = field(default_factory=frozenset)


def clean(raw: str) -> str:
    """Normalise ``raw`` (NFKC, whitespace) or raise :class:`NameRejected`."""
    if not isinstance(raw, str):
        raise NameRejected("name must be a string", problem="type")
    if len(raw) > MAX_NAME_LENGTH:
        raise NameRejected("name is too long", problem="length", limit=MAX_NAME_LENGTH)
    text = unicodedata.normalize("NFKC", raw)
    out: list[str] = []
    for ch in text:
        if ch in _BIDI_CONTROLS:
            raise NameRejected("name contains bidirectional control characters", problem="bidi")
        cat = unicodedata.category(ch)
        if ch in "\t\n\r":
            out.append(" ")
        elif cat == "Cc":
            raise NameRejected("name contains control characters", problem="control")
        elif cat == "Cf":
            continue  # zero-width joiners, soft hyphens, BOM: invisible, drop them
        else:
            out.append(ch)
    cleaned = " ".join("".join(out).split())
    if not cleaned:
        raise NameRejected("name is empty", problem="empty")
    return cleaned


def _script(ch: str) -> str:
    if chinese.is_han(ch):
        return "han"
    if "a" <= ch <= "z" or ch.isascii():
        return "latin"
    name = unicodedata.name(ch, "")
    if name.startswith("LATIN"):
        return "latin"
    if name.startswith("CYRILLIC"):
        return "cyrillic"
    if name.startswith("GREEK"):
        return "greek"
    if name.startswith("ARABIC"):
        return "arabic"
    return "other"


def _fold_latin(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _latinise_word(word: str) -> tuple[str, bool]:
    """Return (latin lower-case word, is_latin) or raise on unmappable mixed scripts."""
    # Drop stress and accent marks but keep the breve and diaeresis that make й and ё letters.
    decomposed = unicodedata.normalize("NFD", word.lower())
    lower = unicodedata.normalize(
        "NFC",
        "".join(c for c in decomposed if c in "\u0306\u0308" or not unicodedata.combining(c)),
    )
    scripts = {_script(c) for c in lower if c.isalpha()}
    if scripts <= {"latin"}:
        return _fold_latin(lower), True
    if scripts == {"cyrillic"}:
        return "".join(_CYRILLIC.get(c, c) for c in lower), True
    if "latin" in scripts and scripts <= {"latin", "cyrillic", "greek"}:
        mapped = _fold_latin(lower.translate(_CONFUSABLES))
        if all(_script(c) == "latin" for c in mapped if c.isalpha()):
            return mapped, True
        raise NameRejected("a word mixes scripts that cannot be normalised", problem="mixed")
    if len(scripts) > 1:
        raise NameRejected("a word mixes scripts that cannot be normalised", problem="mixed")
    return lower, False


@lru_cache(maxsize=200_000)
def translit_key(word: str) -> str:
    """Transliteration-tolerant key of a lower-case Latin word."""
    key = word
    for pattern, repl in _TRANSLIT_RULES:
        key = pattern.sub(repl, key)
    return key


@lru_cache(maxsize=200_000)
def skeleton(word: str) -> str:
    """``translit_key`` with o/u and e/i merged (Mohammed, Muhammad -> muhamid / muhamad;
    Omar, Umar -> umar; Saleh, Salih -> salih)."""
    return translit_key(word).translate(_VOWEL_CLASSES)


@lru_cache(maxsize=200_000)
def consonants(word: str) -> str:
    """First letter plus the consonants of ``translit_key(word)`` (blocking key only)."""
    key = translit_key(word).replace("z", "s")
    return key[:1] + re.sub(r"[aeiouh]", "", key[1:])


@dataclass(frozen=True, slots=True)
class _Word:
    text: str  # lower-case latin
    caps: bool  # written in capitals in a mixed-case name
    comma_after: bool
    hyphen_group: int


def _latin_words(latin_part: str) -> list[_Word]:
    has_lower = any(c.islower() for c in latin_part)
    words: list[_Word] = []
    group = 0
    for chunk in latin_part.split():
        if chunk.strip(",") == "":
            if words:  # a detached comma: "CHAN , Tai Man"
                last = words[-1]
                words[-1] = _Word(last.text, last.caps, True, last.hyphen_group)
            continue
        comma = chunk.endswith(",")
        pieces = [p for p in re.split(r"[-‐‑–]", chunk) if p]
        group += 1
        for i, piece in enumerate(pieces):
            found = list(_WORD_RE.finditer(piece))
            for j, m in enumerate(found):
                raw = m.group(0)
                text = raw.lower().replace("'", "").replace("’", "")
                caps = has_lower and raw.isupper() and len(raw) > 1
                last_piece = i == len(pieces) - 1 and j == len(found) - 1
                joined = _JOINED_ARTICLE.fullmatch(text)
                if joined and text not in chinese.western_given_names():
                    # "Alrashid" = "Al-Rashid" = "Al Rashid"
                    words.append(_Word(joined.group(1), caps, False, group))
                    text = joined.group(2)
                words.append(_Word(text, caps, comma and last_piece, group))
    return words


def _given_syllables(words: list[_Word]) -> tuple[list[str], list[str]] | None:
    """Split words into (Chinese syllable keys, Western extras); ``None`` if no syllable."""
    syllables: list[str] = []
    extras: list[str] = []
    for w in words:
        if w.text in chinese.western_given_names() or len(w.text) < 1:
            extras.append(w.text)
            continue
        parts = [w.text] if chinese.is_syllable(w.text) else chinese.segment_syllables(w.text)
        if parts is None:
            extras.append(w.text)
        else:
            syllables.extend(parts)
    if not syllables or len(syllables) > 3:
        return None
    return syllables, extras


def _reading(
    surname_words: list[_Word], given_words: list[_Word], scheme: Scheme
) -> Reading | None:
    sur = "".join(w.text for w in surname_words)
    sur_key = chinese.fuzzy_key(sur)
    if sur_key not in chinese.surname_keys() and not chinese.is_syllable(sur):
        return None
    split = _given_syllables(given_words)
    if split is None:
        return None
    syllables, extras = split
    return Reading(
        scheme=scheme,
        surname=sur_key,
        given=tuple(chinese.fuzzy_key(s) for s in syllables),
        extras=tuple(translit_key(e) for e in extras),
        surname_shown=" ".join(w.text.upper() for w in surname_words),
        given_shown=" ".join(s.capitalize() for s in syllables),
    )


def _surname_spans(words: list[_Word]) -> list[tuple[int, int]]:
    """Candidate (start, end) spans for the surname among ``words``."""
    n = len(words)
    caps = [i for i, w in enumerate(words) if w.caps]
    if caps and len(caps) <= 2 and caps == list(range(caps[0], caps[-1] + 1)):
        return [(caps[0], caps[-1] + 1)]
    commas = [i for i, w in enumerate(words) if w.comma_after]
    if commas and commas[0] <= 1:
        return [(0, commas[0] + 1)]
    spans = [(0, 1), (n - 1, n)]
    # "Peter Chan Tai-man": the surname follows leading Western given names.
    lead = next((i for i, w in enumerate(words) if w.text not in chinese.western_given_names()), 0)
    if 0 < lead < n - 1:
        spans.append((lead, lead + 1))
    compounds = chinese.surname_keys()
    if n >= 3:
        if chinese.fuzzy_key(words[0].text + words[1].text) in compounds:
            spans.append((0, 2))
        if chinese.fuzzy_key(words[-2].text + words[-1].text) in compounds:
            spans.append((n - 2, n))
    return spans


def _latin_readings(words: list[_Word]) -> list[Reading]:
    if len(words) < 2:
        return []
    readings: list[Reading] = []
    for start, end in _surname_spans(words):
        reading = _reading(words[start:end], words[:start] + words[end:], "latin")
        if reading is not None and reading not in readings:
            readings.append(reading)
    return readings


def _han_readings(han: str) -> tuple[list[Reading], tuple[str, ...]]:
    sur, given = chinese.split_han_name(han)
    if not given:
        return [], ()
    readings: list[Reading] = []
    jp = chinese.jyutping(han)
    hk = chinese.hk_romanisation(han)
    n_sur = len(sur)
    if hk is not None and len(hk) == len(han):
        readings.append(
            Reading(
                scheme="hk",
                surname=chinese.fuzzy_key("".join(hk[:n_sur])),
                given=tuple(chinese.fuzzy_key(s) for s in hk[n_sur:]),
                surname_shown=" ".join(hk[:n_sur]).upper(),
                given_shown=" ".join(s.capitalize() for s in hk[n_sur:]),
            )
        )
    py = chinese.pinyin(han)
    if len(py) == len(han):
        readings.append(
            Reading(
                scheme="pinyin",
                surname=chinese.fuzzy_key("".join(py[:n_sur])),
                given=tuple(chinese.fuzzy_key(s) for s in py[n_sur:]),
                surname_shown="".join(py[:n_sur]).capitalize(),
                given_shown="".join(py[n_sur:]).capitalize(),
            )
        )
    return readings, tuple(j or "?" for j in jp)


def prepare(raw: str) -> PreparedName:
    """Clean and analyse one name. Raises :class:`NameRejected` for unusable input."""
    text = clean(raw)
    han_chars: list[str] = []
    latin_chunks: list[str] = []
    other: list[str] = []
    for chunk in text.split(" "):
        han_run = "".join(c for c in chunk if chinese.is_han(c))
        if han_run:
            han_chars.append(han_run)
        rest = "".join(" " if chinese.is_han(c) or c == "·" else c for c in chunk)
        for word in rest.split():
            if not any(c.isalpha() for c in word):
                if "," in word:
                    latin_chunks.append(",")
                continue
            latin, is_latin = _latinise_word(word)
            if not is_latin:
                other.append(latin)
            elif word.isupper():
                latin_chunks.append(latin.upper())
            elif word[:1].isupper():
                latin_chunks.append(latin.capitalize())
            else:
                latin_chunks.append(latin)
    han_shown = "".join(han_chars)
    han = chinese.to_simplified(han_shown)
    readings: list[Reading] = []
    jp: tuple[str, ...] = ()
    han_sur = han_given = ""
    if 2 <= len(han) <= 6:
        han_sur, han_given = chinese.split_han_name(han)
        hr, jp = _han_readings(han)
        readings.extend(hr)
    elif han:
        other.append(han)
        han = han_shown = ""
    words = _latin_words(" ".join(latin_chunks))
    readings.extend(_latin_readings(words))
    tokens = tuple(translit_key(w.text) for w in words if w.text)
    skeletons = tuple(skeleton(w.text) for w in words)
    consonant_keys = tuple(consonants(w.text) for w in words)
    word_keys = tuple(chinese.fuzzy_key(w.text) for w in words)
    if not han and not words and not other:
        raise NameRejected("name has no letters", problem="no-letters")
    keys: set[str] = set()
    for r in readings:
        keys.add("l:" + r.surname)
        keys.update("l:" + s for s in r.given)
        keys.add("j:" + "".join(r.given))
    keys.update("l:" + k for k in word_keys)
    keys.update("t:" + t for t in tokens if t not in _PARTICLES)
    keys.update("k:" + c for c in consonant_keys if len(c) >= 3)
    keys.update("v:" + v for v, t in zip(skeletons, tokens, strict=True) if not is_particle(t))
    keys.update("h:" + c for c in han)
    keys.update("o:" + o for o in other)
    return PreparedName(
        text=text,
        han=han,
        han_shown=han_shown,
        han_surname=han_sur,
        han_given=han_given,
        jyutping=jp,
        readings=tuple(readings),
        tokens=tokens,
        skeletons=skeletons,
        consonant_keys=consonant_keys,
        word_keys=word_keys,
        other_script=tuple(other),
        keys=frozenset(keys),
    )


def is_particle(token: str) -> bool:
    """Whether ``token`` is a name particle (al, bin, van...) that carries little weight."""
    return token in _PARTICLES
