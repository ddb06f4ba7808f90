"""Seeded generators of synthetic sanctions lists and of a labelled name-pair set.

Everything is derived from a ``random.Random(seed)``, so the same seed gives the same list
and the same pairs. Chinese persons are drawn from the surname table and common given-name
characters; their Latin forms come from our Jyutping -> HK rules and from Pinyin, written in
the forms seen in Hong Kong (``CHAN, Tai Man``, ``CHAN Tai Man``, ``Chan Tai-man``,
``Tai Man Chan``, ``Peter CHAN Tai-man``, ``CHAN Tai Man, Peter``, ``Chen Dawen``,
Traditional and Simplified characters, surname spelling variants such as Tsoi/Choi).
Arabic- and Russian-origin names get transliteration variants (Mohammed/Muhammad,
Aleksandr/Alexander, Cyrillic originals).

How pair labels are made: every rendered name belongs to a generated person; a pair is a
*match* exactly when both sides render the same person. Hard non-matches are built on
purpose (same surname with different given name, one given syllable changed to a
similar-sounding one, given syllables swapped, different surname with the same given name,
a Chinese character replaced by a homophone when both sides are in characters, a different
first name with the same family name for other scripts) and are kept only if the two
persons differ in the rendered form (a pair whose two sides read the same in the chosen
romanisation would be unknowable and is dropped).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from dualtrack.screening import chinese
from dualtrack.screening.domain import ListEntry, ListName, WalletAddress

_WESTERN = (
    "Peter",
    "John",
    "David",
    "Michael",
    "Eric",
    "Kevin",
    "Raymond",
    "Alan",
    "Tony",
    "Mary",
    "Grace",
    "Karen",
    "Winnie",
    "Jackie",
    "Vincent",
    "Kelvin",
    "Joyce",
    "Vivian",
)

_ARABIC_FIRST = {
    "mohammed": ("Mohammed", "Muhammad", "Mohamed", "Mohammad", "Mohamad"),
    "ahmad": ("Ahmad", "Ahmed"),
    "abdullah": ("Abdullah", "Abdallah", "Abdulla"),
    "hassan": ("Hassan", "Hasan"),
    "hussein": ("Hussein", "Husain", "Hussain"),
    "omar": ("Omar", "Umar"),
    "yusuf": ("Yusuf", "Youssef", "Yousef"),
    "khalid": ("Khalid", "Khaled"),
    "ibrahim": ("Ibrahim", "Ebrahim"),
    "mustafa": ("Mustafa", "Mostafa", "Moustafa"),
    "tariq": ("Tariq", "Tarek", "Tareq"),
    "karim": ("Karim", "Kareem"),
    "jamal": ("Jamal", "Gamal"),
    "faisal": ("Faisal", "Faysal"),
    "mahmoud": ("Mahmoud", "Mahmud"),
    "salim": ("Salim", "Saleem"),
}
_ARABIC_FAMILY = {
    "rashid": ("Al-Rashid", "Al Rashid", "Alrashid", "Al-Rasheed"),
    "hashimi": ("Al-Hashimi", "Al Hashemi", "Hashimi"),
    "haddad": ("Haddad", "Hadad"),
    "khalil": ("Khalil", "Khaleel"),
    "mansour": ("Mansour", "Mansur"),
    "saleh": ("Saleh", "Salih"),
    "qureshi": ("Qureshi", "Qurashi", "Kureshi"),
    "rahman": ("Rahman", "Rehman"),
    "nasser": ("Nasser", "Nasir", "Naser"),
    "zaidi": ("Zaidi", "Zaydi"),
}
_RUSSIAN_FIRST = {
    "aleksandr": ("Aleksandr", "Alexander", "Alexandr", "Александр"),
    "sergei": ("Sergei", "Sergey", "Serguei", "Сергей"),
    "dmitri": ("Dmitri", "Dmitry", "Dmitriy", "Дмитрий"),
    "yuri": ("Yuri", "Yury", "Iurii", "Юрий"),
    "nikolai": ("Nikolai", "Nikolay", "Николай"),
    "andrei": ("Andrei", "Andrey", "Андрей"),
    "aleksei": ("Aleksei", "Alexey", "Alexei", "Алексей"),
    "vladimir": ("Vladimir", "Wladimir", "Владимир"),
    "mikhail": ("Mikhail", "Mikhael", "Михаил"),
    "yevgeny": ("Yevgeny", "Evgeny", "Evgeniy", "Евгений"),
}
_RUSSIAN_FAMILY = {
    "petrov": ("Petrov", "Petroff", "Петров"),
    "ivanov": ("Ivanov", "Ivanoff", "Иванов"),
    "smirnov": ("Smirnov", "Smirnoff", "Смирнов"),
    "kuznetsov": ("Kuznetsov", "Kouznetsov", "Кузнецов"),
    "sokolov": ("Sokolov", "Sokoloff", "Соколов"),
    "volkov": ("Volkov", "Wolkow", "Волков"),
    "fedorov": ("Fedorov", "Fyodorov", "Федоров"),
    "morozov": ("Morozov", "Morosov", "Морозов"),
    "novikov": ("Novikov", "Novikoff", "Новиков"),
    "lebedev": ("Lebedev", "Lebedeff", "Лебедев"),
}


@dataclass(frozen=True, slots=True)
class ChinesePerson:
    """A generated Chinese-named person (Traditional characters)."""

    surname: str
    given: str
    western: str = ""

    @property
    def han(self) -> str:
        """Full name in Traditional characters."""
        return self.surname + self.given


@dataclass(frozen=True, slots=True)
class OtherPerson:
    """A generated Arabic- or Russian-origin person: canonical first and family keys."""

    origin: str  # "arabic" | "russian"
    first: str
    family: str


def _given_pool() -> list[str]:
    pool = [c for c in chinese.name_characters() if c not in {s.chars for s in chinese.surnames()}]
    return [c for c in pool if chinese.hk_romanisation(c) is not None]


class _Pools:
    def __init__(self) -> None:
        rows = list(chinese.surnames())
        self.surnames = [s.chars for s in rows]
        self.weights = [s.weight for s in rows]
        self.given = _given_pool()
        by_sound: dict[str, list[str]] = {}
        for c in self.given:
            jp = chinese.jyutping(c)[0]
            if jp:
                by_sound.setdefault(jp, []).append(c)
        self.homophones = {
            c: [o for o in group if o != c] for group in by_sound.values() for c in group
        }


def random_chinese(rng: random.Random, pools: _Pools, western_rate: float = 0.25) -> ChinesePerson:
    """One random Chinese-named person."""
    surname = rng.choices(pools.surnames, pools.weights)[0]
    n_given = 2 if rng.random() < 0.85 else 1
    given = "".join(rng.sample(pools.given, n_given))
    western = rng.choice(_WESTERN) if rng.random() < western_rate else ""
    return ChinesePerson(surname, given, western)


def _hk_parts(p: ChinesePerson) -> tuple[list[str], list[str]]:
    hk = chinese.hk_romanisation(p.han) or []
    n = len(p.surname)
    return hk[:n], hk[n:]


def _surname_variant(rng: random.Random, p: ChinesePerson) -> str | None:
    for s in chinese.surnames():
        if s.chars == p.surname and len(s.hk) > 1:
            return rng.choice(s.hk[1:])
    return None


def render_chinese(p: ChinesePerson, form: str, rng: random.Random) -> str:
    """Write ``p`` in one of the forms listed in the module docstring."""
    sur, given = _hk_parts(p)
    sur_cap = " ".join(sur).upper()
    given_words = [g.capitalize() for g in given]
    hyph = "-".join([given[0].capitalize(), *given[1:]]) if given else ""
    py = chinese.pinyin(p.han)
    n = len(p.surname)
    py_sur, py_given = "".join(py[:n]).capitalize(), "".join(py[n:]).capitalize()
    w = p.western
    if form == "han":
        return p.han
    if form == "han_simplified":
        return chinese.to_simplified(p.han)
    if form == "hk_comma":
        return f"{sur_cap}, {' '.join(given_words)}"
    if form == "hk_plain":
        return f"{sur_cap} {' '.join(given_words)}"
    if form == "hk_hyphen":
        return f"{' '.join(sur).title()} {hyph}"
    if form == "hk_joined":
        return f"{sur_cap} {''.join(given).capitalize()}"
    if form == "western_order":
        return f"{' '.join(given_words)} {' '.join(sur).title()}"
    if form == "western_plus":
        return f"{w or 'Peter'} {sur_cap} {hyph}" if w else f"{sur_cap} {hyph}"
    if form == "court":
        return (
            f"{sur_cap} {' '.join(given_words)}, {w}" if w else f"{sur_cap} {' '.join(given_words)}"
        )
    if form == "pinyin":
        return f"{py_sur} {py_given}"
    if form == "pinyin_caps":
        return f"{py_sur.upper()} {' '.join(x.capitalize() for x in py[n:])}"
    if form == "hk_variant":
        alt = _surname_variant(rng, p)
        return f"{(alt or ' '.join(sur)).upper()} {' '.join(given_words)}"
    if form == "mixed":
        return f"{p.han} {sur_cap} {' '.join(given_words)}"
    raise ValueError(form)


CHINESE_FORMS = (
    "han",
    "han_simplified",
    "hk_comma",
    "hk_plain",
    "hk_hyphen",
    "hk_joined",
    "western_order",
    "western_plus",
    "court",
    "pinyin",
    "pinyin_caps",
    "hk_variant",
    "mixed",
)
_LATIN_FORMS = tuple(f for f in CHINESE_FORMS if not f.startswith("han") and f != "mixed")


def random_other(rng: random.Random) -> OtherPerson:
    """One random Arabic- or Russian-origin person."""
    if rng.random() < 0.5:
        return OtherPerson(
            "arabic", rng.choice(list(_ARABIC_FIRST)), rng.choice(list(_ARABIC_FAMILY))
        )
    return OtherPerson(
        "russian", rng.choice(list(_RUSSIAN_FIRST)), rng.choice(list(_RUSSIAN_FAMILY))
    )


def render_other(p: OtherPerson, rng: random.Random, *, latin_only: bool = False) -> str:
    """A random transliteration variant of ``p`` (maybe Cyrillic, maybe family name first)."""
    firsts = _ARABIC_FIRST if p.origin == "arabic" else _RUSSIAN_FIRST
    families = _ARABIC_FAMILY if p.origin == "arabic" else _RUSSIAN_FAMILY
    first_opts = list(firsts[p.first])
    fam_opts = list(families[p.family])
    cyr = rng.random() < 0.2 and not latin_only and p.origin == "russian"
    if cyr:
        first, fam = first_opts[-1], fam_opts[-1]
    else:
        first = rng.choice([f for f in first_opts if f.isascii()])
        fam = rng.choice([f for f in fam_opts if f.isascii()])
    if rng.random() < 0.25:
        return f"{fam.upper()}, {first}"
    return f"{first} {fam}"


# --------------------------------------------------------------------------------------
# Lists
# --------------------------------------------------------------------------------------


def generate_list(
    n_entries: int, *, seed: int, list_id: str = "synthetic"
) -> tuple[ListEntry, ...]:
    """A synthetic list: ~70 % Chinese-named persons (with character aliases), the rest
    Arabic/Russian-origin persons, a few with wallet addresses."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not security
    pools = _Pools()
    entries = []
    for i in range(n_entries):
        names: list[ListName] = []
        if rng.random() < 0.7:
            p = random_chinese(rng, pools, western_rate=0.15)
            names.append(ListName(render_chinese(p, "hk_comma", rng)))
            if rng.random() < 0.7:
                names.append(ListName(p.han, "alias", "han"))
            if rng.random() < 0.3:
                names.append(ListName(render_chinese(p, "pinyin", rng), "alias"))
        else:
            o = random_other(rng)
            names.append(ListName(render_other(o, rng, latin_only=True)))
            if rng.random() < 0.4:
                names.append(ListName(render_other(o, rng), "alias"))
        wallets: tuple[WalletAddress, ...] = ()
        if rng.random() < 0.02:
            wallets = (
                WalletAddress(
                    "0x" + "".join(rng.choice("0123456789abcdef") for _ in range(40)), "ETH"
                ),
            )
        entries.append(
            ListEntry(
                list_id=list_id,
                entry_id=f"SYN-{i:06d}",
                entity_type="individual",
                names=tuple(names),
                birth_dates=(str(rng.randint(1940, 2000)),),
                wallets=wallets,
            )
        )
    return tuple(entries)


# --------------------------------------------------------------------------------------
# Pairs
# --------------------------------------------------------------------------------------


def _differs(a: ChinesePerson, b: ChinesePerson) -> bool:
    ka = (chinese.hk_romanisation(a.han), chinese.pinyin(a.han))
    kb = (chinese.hk_romanisation(b.han), chinese.pinyin(b.han))
    if ka[0] is None or kb[0] is None:
        return False
    fa = [chinese.fuzzy_key(x) for x in ka[0]]
    fb = [chinese.fuzzy_key(x) for x in kb[0]]
    return fa != fb and ka[1] != kb[1]


def _negative_person(
    kind: str, p: ChinesePerson, rng: random.Random, pools: _Pools
) -> ChinesePerson | None:
    if kind == "same_surname":
        return ChinesePerson(p.surname, "".join(rng.sample(pools.given, len(p.given))), p.western)
    if kind == "similar_sound":
        # Change one given character for one whose HK spelling is close (man/min, ming/wing).
        i = rng.randrange(len(p.given))
        own = (chinese.hk_romanisation(p.given[i]) or [""])[0]
        close = [
            c
            for c in pools.given
            if c != p.given[i]
            and (h := (chinese.hk_romanisation(c) or [""])[0]) != own
            and len(h) == len(own)
            and sum(x != y for x, y in zip(h, own, strict=True)) == 1
        ]
        if not close:
            return None
        g = p.given[:i] + rng.choice(close) + p.given[i + 1 :]
        return ChinesePerson(p.surname, g, p.western)
    if kind == "swapped":
        if len(p.given) < 2:
            return None
        return ChinesePerson(p.surname, p.given[::-1], p.western)
    if kind == "other_surname":
        s = rng.choices(pools.surnames, pools.weights)[0]
        return ChinesePerson(s, p.given, p.western)
    raise ValueError(kind)


def generate_pairs(n_pairs: int, *, seed: int) -> list[dict[str, str | int]]:
    """Labelled pairs ``{"a", "b", "label" (1 match / 0 non-match), "kind"}``."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not security
    pools = _Pools()
    out: list[dict[str, str | int]] = []
    seen: set[tuple[str, str]] = set()

    def add(a: str, b: str, label: int, kind: str) -> None:
        if a == b and label == 0:
            return
        if (a, b) in seen:
            return
        seen.add((a, b))
        out.append({"a": a, "b": b, "label": label, "kind": kind})

    makers: list[tuple[float, Callable[[], None]]] = []

    def chinese_positive() -> None:
        p = random_chinese(rng, pools)
        fa, fb = rng.sample(CHINESE_FORMS, 2)
        add(render_chinese(p, fa, rng), render_chinese(p, fb, rng), 1, f"cn-match:{fa}/{fb}")

    def chinese_negative() -> None:
        p = random_chinese(rng, pools)
        kind = rng.choice(["same_surname", "similar_sound", "swapped", "other_surname"])
        q = _negative_person(kind, p, rng, pools)
        if q is None or not _differs(p, q):
            return
        fa, fb = rng.choice(CHINESE_FORMS), rng.choice(CHINESE_FORMS)
        add(render_chinese(p, fa, rng), render_chinese(q, fb, rng), 0, f"cn-{kind}:{fa}/{fb}")

    def homophone_negative() -> None:
        p = random_chinese(rng, pools)
        i = rng.randrange(len(p.given))
        options = pools.homophones.get(p.given[i], [])
        if not options:
            return
        q = ChinesePerson(p.surname, p.given[:i] + rng.choice(options) + p.given[i + 1 :])
        if chinese.to_simplified(q.han) == chinese.to_simplified(p.han):
            return
        fb = rng.choice(["han", "han_simplified"])
        add(p.han, render_chinese(q, fb, rng), 0, f"cn-homophone:han/{fb}")

    def other_positive() -> None:
        o = random_other(rng)
        add(render_other(o, rng), render_other(o, rng), 1, f"{o.origin}-match")

    def other_negative() -> None:
        o = random_other(rng)
        firsts = _ARABIC_FIRST if o.origin == "arabic" else _RUSSIAN_FIRST
        families = _ARABIC_FAMILY if o.origin == "arabic" else _RUSSIAN_FAMILY
        if rng.random() < 0.6:
            q = OtherPerson(o.origin, rng.choice([f for f in firsts if f != o.first]), o.family)
            kind = "same-family"
        else:
            q = OtherPerson(o.origin, o.first, rng.choice([f for f in families if f != o.family]))
            kind = "same-first"
        add(render_other(o, rng), render_other(q, rng), 0, f"{o.origin}-{kind}")

    makers = [
        (0.34, chinese_positive),
        (0.34, chinese_negative),
        (0.07, homophone_negative),
        (0.12, other_positive),
        (0.13, other_negative),
    ]
    weights = [w for w, _ in makers]
    funcs = [f for _, f in makers]
    guard = 0
    while len(out) < n_pairs and guard < n_pairs * 20:
        guard += 1
        rng.choices(funcs, weights)[0]()
    return out
