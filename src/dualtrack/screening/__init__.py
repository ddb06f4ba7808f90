"""Sanctions and name screening for Hong Kong names (issue 7).

A party's name is compared with the names on sanctions lists (OFAC SDN, UN Security Council,
OpenSanctions, wallet lists) in the forms Hong Kong actually uses: Chinese characters
(Traditional or Simplified), HK Government romanisation derived from Cantonese Jyutping
(陳大文 = ``CHAN Tai Man``), Hanyu Pinyin (``Chen Dawen``), surname-first and comma forms,
hyphenated given names, Western + Chinese names, plus transliteration variants of Arabic- and
Russian-origin names. Scores are graded and each hit carries a readable reason.

Layers: ``loaders`` (official formats -> :class:`ListEntry`, versioned
:class:`ListSnapshot`), ``names`` and ``chinese`` (normalising and reading names),
``matching`` (scorer and blocking index), ``service`` (:class:`ScreeningService`: list
versions, screening, clearances, audit), ``synthetic`` (seeded list and pair generators) and
``fetch`` (the real UN list snapshot from PyPI).
"""

from dualtrack.screening.domain import (
    Clearance,
    ListEntry,
    ListLoaded,
    ListLoadFailed,
    ListName,
    ListSnapshot,
    ListVersion,
    ScreeningHit,
    ScreeningResult,
    WalletAddress,
)
from dualtrack.screening.errors import ListFormatError, ListNotLoaded, NameRejected, WalletRejected
from dualtrack.screening.fetch import fetch_un_list
from dualtrack.screening.loaders import build_snapshot, detect_format, parse_list, read_snapshot
from dualtrack.screening.matching import NameIndex, compare
from dualtrack.screening.memory import InMemoryClearanceRepository
from dualtrack.screening.names import PreparedName, prepare
from dualtrack.screening.ports import ClearanceRepository
from dualtrack.screening.service import ScreeningConfig, ScreeningService

__all__ = [
    "Clearance",
    "ClearanceRepository",
    "InMemoryClearanceRepository",
    "ListEntry",
    "ListFormatError",
    "ListLoadFailed",
    "ListLoaded",
    "ListName",
    "ListNotLoaded",
    "ListSnapshot",
    "ListVersion",
    "NameIndex",
    "NameRejected",
    "PreparedName",
    "ScreeningConfig",
    "ScreeningHit",
    "ScreeningResult",
    "ScreeningService",
    "WalletAddress",
    "WalletRejected",
    "build_snapshot",
    "compare",
    "detect_format",
    "fetch_un_list",
    "parse_list",
    "prepare",
    "read_snapshot",
]
