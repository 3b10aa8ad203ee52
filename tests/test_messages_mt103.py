"""MT103 parsing on the real Prowide RJE batches in ../shared/data/messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from tamiz.screen.messages import parse_messages


@pytest.fixture
def out_ack(messages_dir: Path):
    return parse_messages(messages_dir / "swift_mt103" / "MT103-out-ack.rje")


@pytest.fixture
def bulk(messages_dir: Path):
    return parse_messages(messages_dir / "swift_mt103" / "MT103-bulk-with-ack.rje")


def _names(msg, role):
    return [p.name for p in msg.parties if p.role == role]


def test_out_ack_counts_all_13_messages(out_ack):
    assert len(out_ack) == 13
    assert [m.index for m in out_ack] == list(range(1, 14))
    assert all(m.format == "mt103" and m.ok for m in out_ack)
    assert [m.message_id for m in out_ack][:3] == ["22342343", "INGDESMM", "INGDESMM"]
    assert out_ack[-1].message_id == "0061350113089905"


def test_out_ack_first_message_parties_and_texts(out_ack):
    m = out_ack[0]
    assert (m.amount, m.currency, m.value_date) == ("1814.28", "USD", "2019-10-14")
    assert m.sender_bic == "BBBBUS3NXXX" and m.receiver_bic == "BICFOOYYXXX"
    assert m.headers["3"]["121"] == "8579f4a4-a547-463e-ae63-e7c6620d59b4"
    assert m.references["121"] == "8579f4a4-a547-463e-ae63-e7c6620d59b4"

    ordering = m.party("ordering_customer")
    assert ordering.path == "MT103/4/:50K:"
    assert ordering.name == "FOO CAPITAL MARKETS LP"
    assert ordering.address == ["99 WALL ST STE 9999", "NEW YORK, NY 10005-3122"]
    assert ordering.kind == "organization"  # "LP" is a legal form

    bank = m.party("ordering_institution")
    assert (bank.path, bank.name, bank.kind) == ("MT103/4/:52D:", "NORTH FOO BANK", "institution")
    assert bank.address == ["999 BROAD FOO RD", "MELVILLE, NY 11747"]

    ben = m.party("beneficiary")
    assert ben.path == "MT103/4/:59:"
    assert ben.name == "MERCADOS Y GESTION DE VALORES SA"
    assert ben.ids("account") == ["00123456789012345678"]
    assert (ben.country, ben.country_source) == ("es", "address")  # "MADRID SPAIN 28010701.18"

    texts = {t.path: t for t in m.texts}
    assert set(texts) == {"MT103/4/:70:", "MT103/4/:72:"}
    assert texts["MT103/4/:70:"].label == "remittance_information"
    assert texts["MT103/4/:70:"].text.startswith("FINDERS FEES-JULY,2007-  10.00, AUG\nUST,2007")
    assert texts["MT103/4/:70:"].text.endswith("BNY CUST RRN - O/B NORTH FORK B")
    assert texts["MT103/4/:72:"].text == "/ACC/ 00940060752415000231"


def test_out_ack_institutions_by_bic(out_ack):
    m = out_ack[5]  # :20:530165650050
    assert m.message_id == "530165650050"
    bank = m.party("ordering_institution")
    assert bank.path == "MT103/4/:52A:" and bank.name is None
    assert bank.bic == "FOOBESBBXXX" and bank.ids("account") == ["0569"]
    assert (bank.country, bank.country_source) == ("es", "bic")
    assert m.party("senders_correspondent").bic == "FOOBESBBXXX"
    assert m.party("account_with_institution").bic == "BICFOOYYXXX"
    ben = m.party("beneficiary")
    assert ben.name == "FOO SECURITIES SV S.A." and ben.ids("iban") == ["ES0123456789012345671234"]
    assert m.texts == []


def test_out_ack_54a_clearing_code_and_dash_account(out_ack):
    m = out_ack[9]  # CRESLULL sender
    assert m.message_id == "AMLX985338-D4E5E"
    assert m.sender_bic == "CRESLULLXXX"
    corr = m.party("receivers_correspondent")
    assert corr.path == "MT103/4/:54A:"
    assert corr.ids("clearing_member") == ["RT"] and corr.bic == "BICFOOYY"
    assert m.party("senders_correspondent").country == "de"  # DEUTDEFF
    ben = m.party("beneficiary")
    assert ben.name == "FOO SA" and ben.identifiers == []  # "/-" is no account
    assert [t.text for t in m.texts] == ["/CS BD ST EUR B\nREDEMPTION AMLX985338"]


def test_out_ack_stray_brace_is_tolerated(out_ack):
    # Line 198 closes block 4 with "-}{": message 11 still parses, with a warning.
    m = out_ack[10]
    assert m.message_id == "0061350113089903"
    assert m.ok and any("stray" in w for w in m.warnings)
    assert _names(m, "ordering_customer") == ["MORGAN STANLEY FOOOOOO CONSERV"]
    assert _names(m, "beneficiary") == ["MS FOOOOOO CONSERVSDOR FIMF"]
    assert out_ack[11].message_id == "0061350113089904"


def test_out_ack_all_beneficiaries(out_ack):
    assert [_names(m, "beneficiary")[0] for m in out_ack] == [
        "MERCADOS Y GESTION DE VALORES SA",
        "FOO DIRECT EUROSTOXX 99",
        "FOO DIRECT III FONDO DE PENSIONES I",
        "FOO DIRECT IBEX 35",
        "BANKXXXX",
        "FOO SECURITIES SV S.A.",
        "FOO FOOOOOO MODERADO FOO",
        "FOO AGENTES DE BOLSA ASOC",
        "FOO MODERADO FP",
        "FOO SA",
        "MS FOOOOOO CONSERVSDOR FIMF",
        "MS FOOOOOO MODERADO FIMF",
        "MS LATINOAMERICA FIM",
    ]


def test_bulk_skips_acks_and_keeps_their_status(bulk):
    assert len(bulk) == 3
    assert [m.message_id for m in bulk] == ["234234233", "C4772342333", "201904250034434"]
    assert [m.ack for m in bulk] == [
        {"177": "1704260717", "451": "0"},
        {"177": "1904260717", "451": "0"},
        {"177": "1904260717", "451": "0"},
    ]
    assert [m.headers["3"]["433"] for m in bulk] == [
        "/AOK/NO HIT DETECTED",
        "/AOK/NON BLOCKING HIT",
        "/AOK/NO HIT DETECTED",
    ]
    assert bulk[1].headers["3"]["119"] == "STP"


def test_bulk_parties_and_texts(bulk):
    first, second, third = bulk
    assert (first.amount, first.currency, first.value_date) == ("3700", "USD", "2019-04-25")
    assert first.sender_bic == "BBBBUS33XXX" and first.receiver_bic == "AAAAUSLAXXX"
    oc = first.party("ordering_customer")
    assert oc.name == "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    assert oc.address == ["NO. 62/64 FOO ROAD BENIN CITY", "EDO STATE"]
    assert oc.ids("account") == ["0000000000"] and oc.country is None
    assert first.party("ordering_institution").country == "ng"  # CCCCNGLA
    assert first.party("senders_correspondent").path == "MT103/4/:53B:"
    assert [(t.path, t.text) for t in first.texts] == [
        ("MT103/4/:70:", "/RFB/042517477151\nREFERENCE:1500009007\nTRANSFER"),
        ("MT103/4/:72:", "/INS/DEUTSCHE BANK TRUST CO.\n//AMERICAS NEW YORK, NY 10015"),
    ]

    oc2 = second.party("ordering_customer")
    assert oc2.name == "ANANANANANANA" and (oc2.country, oc2.country_source) == ("ng", "address")
    assert _names(second, "beneficiary") == ["VICTORY FOOBAR"]
    assert [t.text for t in second.texts] == ["TITHE", "/INS/CCCCNGLAXXX"]
    assert second.sender_bic == "BKTRUS33XXX"

    assert _names(third, "ordering_customer") == ["OLD MUTUAL GENERAL INSURAN"]
    assert third.party("ordering_customer").country == "ng"
    assert _names(third, "beneficiary") == ["GGGGGGGGGGGGGGGGG"]
    assert "PREMIUM DUE ON FOO COAL MINING" in third.texts[0].text


def test_structured_50f_and_59f():
    data = (
        b"{1:F01BANKDEFFAXXX0000000000}{2:I103BANKUS33XXXXN}{4:\n"
        b":20:REF1\n:23B:CRED\n:32A:240102EUR1000,5\n"
        b":50F:/DE89370400440532013000\n1/DOE JOHN\n2/HAUPTSTRASSE 1\n3/DE/BERLIN\n4/19720830\n5/DE/MUNICH\n"
        b":59F:/GB29NWBK60161331926819\n1/ACME TRADING LTD\n2/1 HIGH STREET\n3/GB/LONDON\n"
        b":71A:SHA\n-}"
    )
    (m,) = parse_messages(data, source="structured.fin")
    assert (m.sender_bic, m.receiver_bic) == ("BANKDEFFXXX", "BANKUS33XXX")
    assert (m.amount, m.currency, m.value_date) == ("1000.5", "EUR", "2024-01-02")
    oc = m.party("ordering_customer")
    assert (oc.path, oc.name, oc.country, oc.country_source) == ("MT103/4/:50F:", "DOE JOHN", "de", "field")
    assert oc.birth_date == "1972-08-30" and oc.kind == "person"
    assert oc.ids("iban") == ["DE89370400440532013000"]
    ben = m.party("beneficiary")
    assert (ben.name, ben.country, ben.kind) == ("ACME TRADING LTD", "gb", "organization")
    assert ben.address == ["1 HIGH STREET", "LONDON GB"]


def test_field_on_repeated_tag_gets_an_index():
    data = b"{1:F01BANKDEFFAXXX0000000000}{2:I103BANKUS33XXXXN}{4:\n:20:R\n:32A:240102EUR1,\n:59:X\n:72:/A/\n:72:/B/\n-}"
    (m,) = parse_messages(data)
    assert [t.path for t in m.texts] == ["MT103/4/:72:", "MT103/4/:72:[2]"]
