"""Screening parsed messages against the real OFAC SDN snapshot.

Real hits are made by putting a real SDN name into a copy of a real message
file, then checking that the hit is reported on exactly that field.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tamiz.screen.messages import parse_messages

screener_mod = pytest.importorskip("tamiz.screen.screener")
from tamiz.screen.message_screening import messages_to_json, screen_messages, text_mentions  # noqa: E402

SDN_PERSON = "GUZMAN SALAZAR, Ivan Archivaldo"
SDN_ORG = "CARTEL DE JALISCO NUEVA GENERACION"


@pytest.fixture(scope="module")
def screener(tmp_path_factory):
    home = tmp_path_factory.mktemp("screen_home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TAMIZ_HOME", str(home))
        mp.delenv("TAMIZ_DB", raising=False)
        yield screener_mod.Screener.open(db=str(home / "tamiz.db"))


def _copy_with(src: Path, dst: Path, old: bytes, new: bytes) -> Path:
    data = src.read_bytes()
    assert data.count(old) >= 1
    dst.write_bytes(data.replace(old, new, 1))
    return dst


def _paths(result, source=None):
    return {h.path for h in result.hits if source is None or h.source == source}


def test_sdn_beneficiary_in_mt103_is_hit_on_field_59(messages_dir: Path, tmp_path: Path, screener):
    src = messages_dir / "swift_mt103" / "MT103-out-ack.rje"
    before = screen_messages(parse_messages(src), screener)
    copy = _copy_with(src, tmp_path / "out.rje", b"MERCADOS Y GESTION DE VALORES SA", SDN_PERSON.encode())
    after = screen_messages(parse_messages(copy), screener)
    assert len(after) == 13
    assert "MT103/4/:59:" not in _paths(before[0])
    hits = [h for h in after[0].hits if h.path == "MT103/4/:59:"]
    assert hits and after[0].hit and after[0].status == "hit"
    top = hits[0]
    assert (top.role, top.source, top.query) == ("beneficiary", "party", SDN_PERSON)
    assert top.caption == SDN_PERSON and top.entity_id.startswith("us_ofac_sdn:")
    assert top.score >= 0.9 and top.explanation
    # The other twelve messages are untouched: their results do not change.
    assert [_paths(r) for r in after[1:]] == [_paths(r) for r in before[1:]]


def test_sdn_name_in_remittance_text_is_hit_on_field_70(messages_dir: Path, tmp_path: Path, screener):
    src = messages_dir / "swift_mt103" / "MT103-bulk-with-ack.rje"
    copy = _copy_with(src, tmp_path / "bulk.rje", b":70:TITHE", f":70:TITHE FOR {SDN_ORG}".encode())
    before = screen_messages(parse_messages(src), screener)
    after = screen_messages(parse_messages(copy), screener)
    assert "MT103/4/:70:" not in _paths(before[1])
    text_hits = [h for h in after[1].hits if h.path == "MT103/4/:70:"]
    assert text_hits, after[1].hits
    assert text_hits[0].caption == SDN_ORG
    assert (text_hits[0].role, text_hits[0].source) == ("remittance_information", "text")
    assert text_hits[0].text == f"TITHE FOR {SDN_ORG}"
    assert set(text_hits[0].query.split()) <= set(SDN_ORG.split())


def test_sdn_creditor_in_pain001_is_hit_on_its_path(messages_dir: Path, tmp_path: Path, screener):
    src = messages_dir / "iso20022_pain001" / "sepa_payment_naujas_1.xml"
    copy = _copy_with(src, tmp_path / "sepa.xml", b"<Nm>IMONE Z</Nm>", f"<Nm>{SDN_PERSON}</Nm>".encode())
    (result,) = screen_messages(parse_messages(copy), screener)
    hit = next(h for h in result.hits if h.path == "pain.001/PmtInf[1]/CdtTrfTxInf[1]/Cdtr/Nm")
    assert (hit.role, hit.caption) == ("creditor", SDN_PERSON)


def test_bic_only_institutions_are_not_name_screened(messages_dir: Path, screener):
    msgs = parse_messages(messages_dir / "swift_mt103" / "MT103-out-ack.rje")
    result = screen_messages(msgs[1:2], screener)[0]
    assert "MT103/4/:52A: (no name, BIC FOODESMM)" in result.skipped
    assert "MT103/4/:52A:" not in result.screened
    assert {"MT103/4/:50K:", "MT103/4/:59:"} <= set(result.screened)


def test_broken_message_is_an_error_not_a_clear(tmp_path: Path, screener):
    good = b"{1:F01BANKDEFFAXXX0000000001}{2:I103BANKUS33XXXXN}{4:\n:20:OK\n:32A:240102EUR5,\n:59:/1\n" + SDN_PERSON.encode() + b"\n-}"
    broken = b"{1:F01BANKDEFFAXXX0000000002}{2:I103BANKUS33XXXXN}{4:\n:20:CUT\n"
    path = tmp_path / "mixed.rje"
    path.write_bytes(good + b"$" + broken)
    results = screen_messages(parse_messages(path), screener)
    assert [r.status for r in results] == ["hit", "error"]
    assert results[1].screened == [] and "never closed" in results[1].error


def test_text_windows_skip_connecting_words(screener):
    found = text_mentions(f"PAYMENT OF INVOICE 12 TO {SDN_ORG} VIA BANK", screener)
    assert any(h.caption == SDN_ORG for _, h in found)
    assert all(not words.upper().startswith(("OF ", "DE ", "TO ")) for words, _ in found)


def test_messages_to_json_has_one_entry_per_message(messages_dir: Path, screener):
    files = [
        messages_dir / "swift_mt103" / "MT103-bulk-with-ack.rje",
        messages_dir / "iso20022_pain001" / "postfinance_musterfile_pain.001.001.03.ch.02_Nov2020.xml",
        messages_dir / "iso20022_pacs008" / "fedwire_CustomerCreditTransfer_Variation6_pacs.008.xml",
    ]
    msgs = [m for f in files for m in parse_messages(f)]
    doc = messages_to_json(screen_messages(msgs, screener))
    json.dumps(doc)  # serialisable as is
    assert len(doc["messages"]) == 3 + 8 + 1
    assert doc["summary"]["messages"] == 12
    assert doc["summary"]["hits"] + doc["summary"]["clear"] + doc["summary"]["errors"] == 12
    first = doc["messages"][0]
    assert (first["source"], first["index"], first["format"], first["message_id"]) == (
        "MT103-bulk-with-ack.rje", 1, "mt103", "234234233"
    )
    assert first["ack"] == {"177": "1704260717", "451": "0"}
    assert doc["messages"][3]["warnings"][0].startswith("GrpHdr/NbOfTxs says 7")
    assert doc["messages"][-1]["message_id"] == "20250310B1QDRCQR000001/Variation6EtoEId001"
    for entry in doc["messages"]:
        assert entry["status"] in ("hit", "clear")
        assert entry["hit"] == bool(entry["hits"])
        for h in entry["hits"]:
            assert {"path", "role", "entity_id", "caption", "score", "explanation"} <= set(h)
