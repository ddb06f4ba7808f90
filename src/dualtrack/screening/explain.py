"""Human-readable reasons for a hit, e.g.

``surname CHAN = 陳 (Jyutping can4); given name Tai Man = 大文 (Jyutping daai6 man4)``.

Reasons are shown to the reviewer next to the hit. They quote the listed name (public
data) and the parts of the query that matched, so they are never written to logs or to the
audit ledger.
"""

from __future__ import annotations

from dualtrack.screening.matching import MatchDetail
from dualtrack.screening.names import PreparedName, Reading

_SCHEME_LABEL = {"hk": "HK romanisation of", "pinyin": "Pinyin of", "latin": "as written"}


def _chars_side(name: PreparedName, reading: Reading) -> tuple[str, str, str, str] | None:
    if reading.scheme == "latin" or not name.han:
        return None
    n_sur = len(name.han_surname)
    jp = name.jyutping
    if reading.scheme == "hk":
        sur_note = "Jyutping " + " ".join(jp[:n_sur])
        given_note = "Jyutping " + " ".join(jp[n_sur:])
    else:
        sur_note = "Pinyin " + reading.surname_shown.lower()
        given_note = "Pinyin " + reading.given_shown.lower()
    shown = name.han_shown or name.han
    return shown[:n_sur], shown[n_sur:], sur_note, given_note


def _reading_reason(q: PreparedName, c: PreparedName, rq: Reading, rc: Reading) -> str:
    latin, han_name, han_reading = (rq, c, rc) if rq.scheme == "latin" else (rc, q, rq)
    chars = _chars_side(han_name, han_reading)
    if chars is not None:
        sur_c, given_c, sur_note, given_note = chars
        text = (
            f"surname {latin.surname_shown} = {sur_c} ({sur_note}); "
            f"given name {latin.given_shown} = {given_c} ({given_note})"
        )
    else:
        sur_rel = "=" if rq.surname == rc.surname else "~"
        given_rel = "=" if rq.given == rc.given else "~"
        text = (
            f"surname {rq.surname_shown} {sur_rel} {rc.surname_shown}; "
            f"given name {rq.given_shown} {given_rel} {rc.given_shown}"
        )
        if sur_rel == "~" or given_rel == "~":
            text += " (spelling variants or HK/Pinyin spellings of the same characters)"
    extras = sorted({*rq.extras, *rc.extras})
    if extras:
        text += "; Western given name(s) " + ", ".join(e.capitalize() for e in extras)
    return text


def explain(q: PreparedName, c: PreparedName, detail: MatchDetail) -> str:
    """Reason text for ``detail`` (the result of ``compare(q, c)``)."""
    if detail.method == "characters":
        same = "same characters" if q.han == c.han else "characters differ in part"
        return (
            f"Chinese name {c.han_shown or c.han}: {same} "
            f"(Traditional/Simplified folded; Jyutping {' '.join(c.jyutping)})"
        )
    if detail.method == "reading" and detail.query_reading and detail.list_reading:
        return _reading_reason(q, c, detail.query_reading, detail.list_reading)
    if detail.token_pairs:
        parts = []
        for a, b, s in detail.token_pairs:
            rel = "=" if a == b else ("~ (transliteration)" if s >= 0.95 else f"~ ({s:.2f})")
            parts.append(f"{a} {rel} {b}")
        return "words: " + "; ".join(parts)
    if detail.score >= 1.0 and q.other_script:
        return "same name in original script"
    return "weak similarity"
