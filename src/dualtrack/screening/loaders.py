"""Readers for official sanctions-list formats into :class:`~.domain.ListEntry` records.

Supported formats (``ListFormat``):

``ofac-xml``    OFAC SDN XML (``sdnList`` / ``sdnEntry``, any namespace)
``ofac-csv``    OFAC ``sdn.csv`` with optional ``alt.csv`` and ``add.csv`` companions
``un-xml``      UN Security Council consolidated list (``CONSOLIDATED_LIST``)
``ftm-jsonl``   OpenSanctions FollowTheMoney entities, one JSON object per line
``wallet-csv``  our wallet list: header ``address,chain,list,reason``

A reader either returns every entry or raises :class:`~.errors.ListFormatError` naming the
line or element at fault: never a partial list. XML with a DOCTYPE or entity declarations is
refused outright (no entity expansion on untrusted files; ``defusedxml`` is not installed).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from dualtrack.screening import chinese
from dualtrack.screening.domain import (
    EntityType,
    ListEntry,
    ListFormat,
    ListName,
    ListSnapshot,
    ListVersion,
    WalletAddress,
)
from dualtrack.screening.errors import ListFormatError

MAX_LIST_BYTES = 512 * 1024 * 1024

_DTD_RE = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_OFAC_NULL = "-0-"
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
        start=1,
    )
}


def script_of(name: str) -> str:
    """Dominant script of a name (``han``, ``latin``, ``cyrillic``, ``arabic``, ``other``)."""
    counts: dict[str, int] = {}
    for ch in name:
        if not ch.isalpha():
            continue
        if chinese.is_han(ch):
            s = "han"
        elif ch.isascii() or "\u00c0" <= ch <= "\u024f":
            s = "latin"
        elif "\u0400" <= ch <= "\u04ff":
            s = "cyrillic"
        elif "\u0600" <= ch <= "\u06ff":
            s = "arabic"
        else:
            s = "other"
        counts[s] = counts.get(s, 0) + 1
    return max(counts, key=lambda k: counts[k]) if counts else "latin"


def _name(text: str, kind: Any = "primary") -> ListName:
    clean = " ".join(text.split())
    return ListName(name=clean, kind=kind, script=script_of(clean))


def _parse_date(text: str) -> str:
    """OFAC ``01 Jan 1960`` / ``Jan 1960`` / ``1960`` / ISO -> ISO date or year."""
    t = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t) or re.fullmatch(r"\d{4}", t):
        return t
    m = re.fullmatch(r"(?:(\d{1,2}) )?([A-Za-z]{3})[a-z]* (\d{4})", t)
    if m and m.group(2).lower() in _MONTHS:
        month = _MONTHS[m.group(2).lower()]
        if m.group(1):
            return f"{m.group(3)}-{month:02d}-{int(m.group(1)):02d}"
        return f"{m.group(3)}-{month:02d}"
    m = re.search(r"\b(1[89]\d{2}|20\d{2})\b", t)
    return m.group(1) if m else t


# --------------------------------------------------------------------------------------
# XML helpers
# --------------------------------------------------------------------------------------


def _parse_xml(data: bytes) -> ET.Element:
    if _DTD_RE.search(data[:65536]) or _DTD_RE.search(data):
        raise ListFormatError(
            "XML with DOCTYPE or ENTITY declarations is refused", element="!DOCTYPE"
        )
    try:
        return ET.fromstring(data)  # noqa: S314 - no DTD possible, checked above
    except ET.ParseError as exc:
        line, column = exc.position
        raise ListFormatError(
            f"malformed XML at line {line}, column {column}", line=line, column=column
        ) from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(el: ET.Element, name: str) -> ET.Element | None:
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _children(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if _local(c.tag) == name]


def _text(el: ET.Element | None, name: str | None = None) -> str:
    node = el if name is None or el is None else _child(el, name)
    if node is None or node.text is None:
        return ""
    return " ".join(node.text.split())


# --------------------------------------------------------------------------------------
# OFAC
# --------------------------------------------------------------------------------------

_OFAC_TYPES: dict[str, EntityType] = {
    "individual": "individual",
    "entity": "entity",
    "vessel": "vessel",
    "aircraft": "aircraft",
}
_WALLET_RE = re.compile(r"Digital Currency Address - ([A-Z0-9]+)\s+([A-Za-z0-9]+)")


def _ofac_person_name(last: str, first: str) -> str:
    return f"{last}, {first}" if first else last


def parse_ofac_xml(data: bytes, *, list_id: str) -> tuple[ListEntry, ...]:
    """Entries of an OFAC SDN XML file."""
    root = _parse_xml(data)
    if _local(root.tag) != "sdnList":
        raise ListFormatError("root element is not sdnList", element=_local(root.tag))
    entries = []
    for index, el in enumerate(_children(root, "sdnEntry"), start=1):
        uid = _text(el, "uid")
        last = _text(el, "lastName")
        if not uid or not last:
            missing = "uid" if not uid else "lastName"
            raise ListFormatError(
                f"sdnEntry #{index} lacks {missing}", element=f"sdnEntry[{index}]/{missing}"
            )
        names = [_name(_ofac_person_name(last, _text(el, "firstName")))]
        for aka in _children(_child(el, "akaList") or ET.Element("x"), "aka"):
            aka_last = _text(aka, "lastName")
            if aka_last:
                weak = _text(aka, "category").lower() == "weak"
                names.append(
                    _name(
                        _ofac_person_name(aka_last, _text(aka, "firstName")),
                        "weak-alias" if weak else "alias",
                    )
                )
        dobs = [
            _parse_date(_text(d, "dateOfBirth"))
            for d in _children(_child(el, "dateOfBirthList") or ET.Element("x"), "dateOfBirthItem")
            if _text(d, "dateOfBirth")
        ]
        nats = [
            _text(n, "country")
            for n in _children(_child(el, "nationalityList") or ET.Element("x"), "nationality")
        ]
        addresses = []
        for a in _children(_child(el, "addressList") or ET.Element("x"), "address"):
            parts = [_text(a, k) for k in ("address1", "city", "stateOrProvince", "country")]
            joined = ", ".join(p for p in parts if p)
            if joined:
                addresses.append(joined)
        wallets = []
        for i in _children(_child(el, "idList") or ET.Element("x"), "id"):
            id_type = _text(i, "idType")
            if id_type.startswith("Digital Currency Address"):
                chain = id_type.rsplit("-", 1)[-1].strip()
                wallets.append(WalletAddress(_text(i, "idNumber"), chain))
        programs = [
            _text(p) for p in _children(_child(el, "programList") or ET.Element("x"), "program")
        ]
        entries.append(
            ListEntry(
                list_id=list_id,
                entry_id=uid,
                entity_type=_OFAC_TYPES.get(_text(el, "sdnType").lower(), "unknown"),
                names=tuple(names),
                birth_dates=tuple(dobs),
                nationalities=tuple(n for n in nats if n),
                addresses=tuple(addresses),
                wallets=tuple(wallets),
                programs=tuple(p for p in programs if p),
                remarks=_text(el, "remarks"),
            )
        )
    return tuple(entries)


def _csv_rows(data: bytes, what: str, min_columns: int) -> list[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    rows = []
    reader = csv.reader(io.StringIO(text))
    try:
        for row in reader:
            if not row or all(not c.strip() for c in row) or row[0].strip() == "\x1a":
                continue
            if len(row) < min_columns:
                raise ListFormatError(
                    f"{what} line {reader.line_num} has {len(row)} columns, expected {min_columns}",
                    line=reader.line_num,
                    file=what,
                )
            rows.append(
                (reader.line_num, ["" if c.strip() == _OFAC_NULL else c.strip() for c in row])
            )
    except csv.Error as exc:
        raise ListFormatError(
            f"{what} line {reader.line_num} is not valid CSV", line=reader.line_num, file=what
        ) from exc
    return rows


def parse_ofac_csv(
    sdn: bytes, *, list_id: str, alt: bytes | None = None, add: bytes | None = None
) -> tuple[ListEntry, ...]:
    """Entries of OFAC's legacy CSV files (``sdn.csv`` plus ``alt.csv`` / ``add.csv``)."""
    aliases: dict[str, list[ListName]] = {}
    for line, row in _csv_rows(alt or b"", "alt.csv", 4):
        if not row[0].isdigit():
            raise ListFormatError(f"alt.csv line {line}: ent_num is not a number", line=line)
        if row[3]:
            kind = "weak-alias" if row[2].lower().startswith("weak") else "alias"
            aliases.setdefault(row[0], []).append(_name(row[3], kind))
    addresses: dict[str, list[str]] = {}
    for line, row in _csv_rows(add or b"", "add.csv", 5):
        if not row[0].isdigit():
            raise ListFormatError(f"add.csv line {line}: ent_num is not a number", line=line)
        joined = ", ".join(p for p in row[2:5] if p)
        if joined:
            addresses.setdefault(row[0], []).append(joined)
    entries = []
    for line, row in _csv_rows(sdn, "sdn.csv", 12):
        ent, name, sdn_type, program = row[0], row[1], row[2], row[3]
        if not ent.isdigit():
            raise ListFormatError(f"sdn.csv line {line}: ent_num is not a number", line=line)
        if not name:
            raise ListFormatError(f"sdn.csv line {line}: empty SDN_Name", line=line)
        remarks = row[11]
        dobs = [_parse_date(m) for m in re.findall(r"DOB ([^;]+?)(?:;|\.$|$)", remarks)]
        nats = re.findall(r"nationality ([^;]+?)(?:;|\.$|$)", remarks)
        wallets = [WalletAddress(addr, chain) for chain, addr in _WALLET_RE.findall(remarks)]
        entries.append(
            ListEntry(
                list_id=list_id,
                entry_id=ent,
                entity_type=_OFAC_TYPES.get(sdn_type.lower(), "entity"),
                names=(_name(name), *aliases.get(ent, [])),
                birth_dates=tuple(dobs),
                nationalities=tuple(n.strip() for n in nats),
                addresses=tuple(addresses.get(ent, [])),
                wallets=tuple(wallets),
                programs=tuple(p.strip() for p in program.split(";") if p.strip()),
                remarks=remarks,
            )
        )
    return tuple(entries)


# --------------------------------------------------------------------------------------
# UN consolidated list
# --------------------------------------------------------------------------------------


def _un_entry(el: ET.Element, index: int, list_id: str, kind: EntityType) -> ListEntry:
    tag = "INDIVIDUAL" if kind == "individual" else "ENTITY"
    data_id = _text(el, "DATAID")
    if not data_id:
        raise ListFormatError(f"{tag} #{index} lacks DATAID", element=f"{tag}[{index}]/DATAID")
    parts = [_text(el, k) for k in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
    primary = " ".join(p for p in parts if p)
    if not primary:
        raise ListFormatError(f"{tag} #{index} has no name", element=f"{tag}[{index}]/FIRST_NAME")
    names = [_name(primary)]
    original = _text(el, "NAME_ORIGINAL_SCRIPT")
    if original:
        names.append(_name(original, "original-script"))
    for alias in _children(el, f"{tag}_ALIAS"):
        alias_name = _text(alias, "ALIAS_NAME")
        if alias_name:
            weak = _text(alias, "QUALITY").lower() in {"low", "weak"}
            names.append(_name(alias_name, "weak-alias" if weak else "alias"))
    dobs = []
    for dob in _children(el, "INDIVIDUAL_DATE_OF_BIRTH"):
        for key in ("DATE", "YEAR", "FROM_YEAR", "TO_YEAR"):
            value = _text(dob, key)
            if value:
                dobs.append(_parse_date(value))
    nats = [_text(v) for n in _children(el, "NATIONALITY") for v in _children(n, "VALUE")]
    addresses = []
    for a in _children(el, f"{tag}_ADDRESS"):
        joined = ", ".join(
            p for p in (_text(a, k) for k in ("STREET", "CITY", "STATE_PROVINCE", "COUNTRY")) if p
        )
        if joined:
            addresses.append(joined)
    return ListEntry(
        list_id=list_id,
        entry_id=data_id,
        entity_type=kind,
        names=tuple(names),
        birth_dates=tuple(dobs),
        nationalities=tuple(n for n in nats if n),
        addresses=tuple(addresses),
        programs=tuple(p for p in (_text(el, "UN_LIST_TYPE"),) if p),
        remarks=_text(el, "REFERENCE_NUMBER"),
    )


def parse_un_xml(data: bytes, *, list_id: str) -> tuple[ListEntry, ...]:
    """Entries of the UN Security Council consolidated list XML."""
    root = _parse_xml(data)
    if _local(root.tag) != "CONSOLIDATED_LIST":
        raise ListFormatError("root element is not CONSOLIDATED_LIST", element=_local(root.tag))
    entries: list[ListEntry] = []
    for group, tag, kind in (
        ("INDIVIDUALS", "INDIVIDUAL", "individual"),
        ("ENTITIES", "ENTITY", "entity"),
    ):
        container = _child(root, group)
        if container is None:
            continue
        for index, el in enumerate(_children(container, tag), start=1):
            entries.append(_un_entry(el, index, list_id, kind))  # type: ignore[arg-type]
    return tuple(entries)


# --------------------------------------------------------------------------------------
# OpenSanctions FollowTheMoney JSON lines
# --------------------------------------------------------------------------------------

_FTM_TYPES: dict[str, EntityType] = {
    "Person": "individual",
    "Organization": "entity",
    "Company": "entity",
    "LegalEntity": "entity",
    "PublicBody": "entity",
    "Vessel": "vessel",
    "Airplane": "aircraft",
    "CryptoWallet": "wallet",
}


def parse_ftm_jsonl(data: bytes, *, list_id: str) -> tuple[ListEntry, ...]:
    """Entries of an OpenSanctions FollowTheMoney export (one entity per line)."""
    raw: list[tuple[int, dict[str, Any]]] = []
    for line_no, line in enumerate(data.decode("utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            raise ListFormatError(f"line {line_no} is not valid JSON", line=line_no) from None
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            raise ListFormatError(f"line {line_no} is not an entity with an id", line=line_no)
        if not isinstance(obj.get("schema"), str) or not isinstance(obj.get("properties"), dict):
            raise ListFormatError(f"line {line_no} lacks schema or properties", line=line_no)
        raw.append((line_no, obj))
    wallets_by_holder: dict[str, list[WalletAddress]] = {}
    for _line_no, obj in raw:
        if obj["schema"] == "CryptoWallet":
            wprops = obj["properties"]
            for holder in wprops.get("holder", []):
                for key in wprops.get("publicKey", []):
                    chain = (wprops.get("currency") or [""])[0]
                    wallets_by_holder.setdefault(holder, []).append(WalletAddress(key, chain))
    entries = []
    for line_no, obj in raw:
        schema = obj["schema"]
        props: dict[str, Any] = obj["properties"]
        for key, values in props.items():
            if not isinstance(values, list):
                raise ListFormatError(
                    f"line {line_no}: property {key} is not a list", line=line_no, element=key
                )
        if schema == "CryptoWallet":
            if props.get("holder"):
                continue  # attached to its holder
            wallets = [
                WalletAddress(k, (props.get("currency") or [""])[0])
                for k in props.get("publicKey", [])
            ]
            names: list[ListName] = []
        else:
            if schema not in _FTM_TYPES:
                continue  # relations (Sanction, Ownership...) are not screened
            names = [_name(n) for n in props.get("name", [])]
            names += [_name(n, "alias") for n in props.get("alias", [])]
            names += [_name(n, "weak-alias") for n in props.get("weakAlias", [])]
            if not names:
                raise ListFormatError(f"line {line_no}: {schema} has no name", line=line_no)
            wallets = wallets_by_holder.get(obj["id"], [])
        entries.append(
            ListEntry(
                list_id=list_id,
                entry_id=obj["id"],
                entity_type=_FTM_TYPES.get(schema, "unknown"),
                names=tuple(names),
                birth_dates=tuple(_parse_date(d) for d in props.get("birthDate", [])),
                nationalities=tuple(props.get("nationality", []) + props.get("citizenship", [])),
                addresses=tuple(props.get("address", [])),
                wallets=tuple(wallets),
                programs=tuple(props.get("program", [])),
                remarks="; ".join(props.get("notes", [])),
            )
        )
    return tuple(entries)


# --------------------------------------------------------------------------------------
# Wallet CSV
# --------------------------------------------------------------------------------------

WALLET_COLUMNS = ("address", "chain", "list", "reason")
_ADDRESS_RE = re.compile(r"[A-Za-z0-9:]{10,128}")


def parse_wallet_csv(data: bytes, *, list_id: str) -> tuple[ListEntry, ...]:
    """Entries of a wallet-address list (CSV header ``address,chain,list,reason``)."""
    rows = _csv_rows(data, "wallet csv", 4)
    if not rows:
        raise ListFormatError("wallet csv is empty", line=1)
    header_line, header = rows[0]
    if tuple(h.lower() for h in header[:4]) != WALLET_COLUMNS:
        raise ListFormatError(
            "wallet csv header must be address,chain,list,reason", line=header_line
        )
    entries = []
    for line, row in rows[1:]:
        address, chain = row[0], row[1]
        if not _ADDRESS_RE.fullmatch(address):
            raise ListFormatError(f"wallet csv line {line}: implausible address", line=line)
        entries.append(
            ListEntry(
                list_id=list_id,
                entry_id=f"{chain.upper()}:{address}",
                entity_type="wallet",
                names=(),
                wallets=(WalletAddress(address, chain.upper()),),
                programs=tuple(p for p in (row[2],) if p),
                remarks=row[3],
            )
        )
    return tuple(entries)


# --------------------------------------------------------------------------------------
# Detection and snapshots
# --------------------------------------------------------------------------------------


def detect_format(data: bytes, filename: str = "") -> ListFormat:
    """Guess the format from the first bytes (and the file name for CSVs)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    lower_name = filename.lower()
    if head.startswith(b"<"):
        if b"<sdnList" in data[:4096] or b"sdnList" in head:
            return "ofac-xml"
        if b"CONSOLIDATED_LIST" in head:
            return "un-xml"
        raise ListFormatError("unknown XML list format", element="root")
    if head.startswith(b"{"):
        return "ftm-jsonl"
    first_line = head.split(b"\n", 1)[0].strip().lower()
    if first_line.replace(b" ", b"").startswith(b"address,chain,list,reason"):
        return "wallet-csv"
    if lower_name.endswith(".csv") and re.match(rb"\d+,", head):
        return "ofac-csv"
    raise ListFormatError("unknown list format", file=Path(filename).name if filename else "")


Parser = Callable[..., tuple[ListEntry, ...]]

PARSERS: Mapping[ListFormat, Parser] = {
    "ofac-xml": parse_ofac_xml,
    "ofac-csv": parse_ofac_csv,
    "un-xml": parse_un_xml,
    "ftm-jsonl": parse_ftm_jsonl,
    "wallet-csv": parse_wallet_csv,
}


def parse_list(
    data: bytes,
    *,
    list_id: str,
    fmt: ListFormat | None = None,
    filename: str = "",
    companions: Mapping[str, bytes] | None = None,
) -> tuple[ListEntry, ...]:
    """Parse a whole list; raises :class:`ListFormatError` rather than return part of one."""
    if len(data) > MAX_LIST_BYTES:
        raise ListFormatError("list file is too large", limit=MAX_LIST_BYTES)
    chosen = fmt or detect_format(data, filename)
    if chosen not in PARSERS:
        raise ListFormatError("unknown list format", format=str(chosen))
    try:
        if chosen == "ofac-csv":
            extra = dict(companions or {})
            entries = parse_ofac_csv(
                data, list_id=list_id, alt=extra.get("alt"), add=extra.get("add")
            )
        else:
            entries = PARSERS[chosen](data, list_id=list_id)
    except UnicodeDecodeError as exc:
        raise ListFormatError("list file is not valid UTF-8", byte=exc.start) from None
    if not entries:
        raise ListFormatError("list has no entries", format=chosen)
    seen: set[str] = set()
    for entry in entries:
        if entry.entry_id in seen:
            raise ListFormatError(
                "duplicate entry id in list", format=chosen, entry_id=entry.entry_id
            )
        seen.add(entry.entry_id)
    return entries


def content_hash(data: bytes, companions: Mapping[str, bytes] | None = None) -> str:
    """SHA-256 over the list bytes and any companion files (in name order)."""
    h = hashlib.sha256(data)
    for name in sorted(companions or {}):
        h.update(name.encode())
        h.update((companions or {})[name])
    return h.hexdigest()


def build_snapshot(
    data: bytes,
    *,
    list_id: str,
    source: str,
    loaded_at: datetime,
    fmt: ListFormat | None = None,
    filename: str = "",
    companions: Mapping[str, bytes] | None = None,
) -> ListSnapshot:
    """Parse ``data`` into a versioned snapshot (content hash + load time + source)."""
    chosen = fmt or detect_format(data, filename or source)
    entries = parse_list(
        data, list_id=list_id, fmt=chosen, filename=filename or source, companions=companions
    )
    version = ListVersion(
        list_id=list_id,
        content_hash=content_hash(data, companions),
        loaded_at=loaded_at,
        source=source,
        format=chosen,
        entry_count=len(entries),
    )
    return ListSnapshot(version=version, entries=entries)


def read_snapshot(
    path: Path,
    *,
    list_id: str,
    loaded_at: datetime,
    fmt: ListFormat | None = None,
    companions: Mapping[str, Path] | None = None,
) -> ListSnapshot:
    """Read a list file (and companions such as ``alt``/``add`` for OFAC CSV) from disk."""
    try:
        data = path.read_bytes()
        extra = {k: p.read_bytes() for k, p in (companions or {}).items()}
    except OSError as exc:
        raise ListFormatError("list file cannot be read", file=path.name, errno=exc.errno) from None
    return build_snapshot(
        data,
        list_id=list_id,
        source=str(path),
        loaded_at=loaded_at,
        fmt=fmt,
        filename=path.name,
        companions=extra,
    )


def entry_names(entries: Iterable[ListEntry]) -> int:
    """Total number of names over ``entries`` (for sizing and reports)."""
    return sum(len(e.names) for e in entries)
