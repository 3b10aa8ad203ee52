"""ISO 20022 pacs.008 / pain.001 parsing on the real samples in ../shared/data/messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from tamiz.screen.messages import parse_messages

PAIN = "iso20022_pain001"
PACS = "iso20022_pacs008"


@pytest.mark.parametrize(
    ("folder", "name", "count"),
    [
        (PAIN, "iso_mdr_example_pain.001.001.03.xml", 3),
        (PAIN, "postfinance_musterfile_pain.001.001.03.ch.02_Nov2020.xml", 8),
        (PAIN, "International_payment_USD_naujas_1.xml", 1),
        (PAIN, "International_payment_RUB_naujas_1.xml", 1),
        (PAIN, "sepa_payment_naujas_1.xml", 1),
        (PACS, "fedwire_CustomerCreditTransfer_Scenario1_Step1_pacs.008.xml", 1),
        (PACS, "fedwire_CustomerCreditTransfer_Scenario5_Step1_pacs.008.xml", 1),
        (PACS, "fedwire_CustomerCreditTransfer_Variation3_pacs.008.xml", 1),
        (PACS, "fedwire_CustomerCreditTransfer_Variation4_pacs.008.xml", 1),
        (PACS, "fedwire_CustomerCreditTransfer_Variation5_pacs.008.xml", 1),
        (PACS, "fedwire_CustomerCreditTransfer_Variation6_pacs.008.xml", 1),
        (PACS, "fedwire_PaymentReturn_Scenario2_Step1_pacs.008.xml", 1),
    ],
)
def test_transaction_counts(messages_dir: Path, folder, name, count):
    msgs = parse_messages(messages_dir / folder / name)
    assert len(msgs) == count
    assert {m.format for m in msgs} == {"pain.001" if folder == PAIN else "pacs.008"}
    assert [m.index for m in msgs] == list(range(1, count + 1))
    assert all(m.source == name and m.ok for m in msgs)


def _by_role(msg):
    return {p.role: p for p in msg.parties}


def test_postfinance_ignores_nbofTxs_and_reads_swiss_namespace(messages_dir: Path):
    msgs = parse_messages(messages_dir / PAIN / "postfinance_musterfile_pain.001.001.03.ch.02_Nov2020.xml")
    assert len(msgs) == 8  # GrpHdr/NbOfTxs says 7
    assert "NbOfTxs says 7" in msgs[0].warnings[0]
    assert msgs[0].headers["namespace"] == "http://www.six-interbank-clearing.com/de/pain.001.001.03.ch.02.xsd"
    assert [m.message_id for m in msgs] == [
        "MsgId-001/EndToEndId-01-01",
        "MsgId-001/EndToEndId-02-01",
        "MsgId-001/EndToEndId-02-02",
        "MsgId-001/EndToEndId-03-01",
        "MsgId-001/EndToEndId-03-02",
        "MsgId-001/EndToEndId-04-01",
        "MsgId-001/EEndToEndId-05-01",
        "MsgId-001/EEndToEndId-06-01",
    ]
    assert [m.party("creditor").name for m in msgs] == [
        "Maria Bernasconi",
        "Robert Schneider SA",
        "Robert Schneider",
        "Maria Bernasconi",
        "Maria Bernasconi",
        "Maria Bernasconi",
        "Robert Schneider SA",
        "Maria Bernasconi",
    ]
    assert [m.party("debtor").name for m in msgs][-3:] == ["Robert Schneider SA", "Maria Bernasconi", "Maria Bernasconi"]
    first = _by_role(msgs[0])
    assert first["initiating_party"].name == "Robert Schneider"
    assert first["initiating_party"].path == "pain.001/GrpHdr/InitgPty/Nm"
    assert first["debtor"].path == "pain.001/PmtInf[1]/Dbtr/Nm"
    assert first["debtor"].ids("iban") == ["CH0309000000250090342"]
    assert first["debtor_agent"].bic == "POFICHBEXXX" and first["debtor_agent"].country == "ch"
    assert first["creditor"].path == "pain.001/PmtInf[1]/CdtTrfTxInf[1]/Cdtr/Nm"
    assert first["creditor"].address == ["Musterstrasse 15", "2500 Biel"]
    assert first["creditor"].country is None
    assert msgs[3].party("creditor").country == "ch"
    italian = msgs[5]
    assert italian.party("creditor").country == "it"
    assert italian.party("creditor").address == ["Via 10", "Florenz"]
    assert (italian.amount, italian.currency) == ("1", "CHF")  # EqvtAmt
    assert italian.party("creditor_agent").bic == "AABBCCDDXXX"
    assert [(t.path, t.text) for t in msgs[0].texts] == [
        ("pain.001/PmtInf[1]/CdtTrfTxInf[1]/RmtInf/Ustrd[1]", "Rechnung 1122")
    ]
    assert msgs[1].texts == []  # structured creditor reference only


def test_iso_mdr_example(messages_dir: Path):
    msgs = parse_messages(messages_dir / PAIN / "iso_mdr_example_pain.001.001.03.xml")
    assert [m.message_id for m in msgs] == [
        "ABC/090928/CCT001/ABC/4562/2009-09-08",
        "ABC/090928/CCT001/ABC/ABC-13679/2009-09-15",
        "ABC/090928/CCT001/ABC/987-AC/2009-09-27",
    ]
    assert [(m.amount, m.currency, m.value_date) for m in msgs] == [
        ("10000000", "JPY", "2009-09-29"),
        ("500000", "EUR", "2009-09-29"),
        ("1000000", "USD", "2009-09-29"),
    ]
    first = _by_role(msgs[0])
    assert first["initiating_party"].name == "ABC Corporation" and first["initiating_party"].country == "us"
    assert first["debtor"].address == ["Times Square 7", "NY 10036 New York"]
    assert first["creditor"].name == "DEF Electronics"
    # An unstructured address whose last line is the ISO code.
    assert (first["creditor"].country, first["creditor"].country_source) == ("gb", "address")
    assert first["creditor_agent"].bic == "AAAAGB2L"
    second = _by_role(msgs[1])
    assert second["creditor"].name == "GHI Semiconductors"
    assert second["creditor"].ids("iban") == ["BE30001216371411"]
    assert [(t.path, t.text, t.label) for t in msgs[1].texts] == [
        ("pain.001/PmtInf[1]/CdtTrfTxInf[2]/InstrForCdtrAgt[1]/InstrInf", "+32/2/2222222", "instruction_for_creditor_agent")
    ]
    third = _by_role(msgs[2])
    assert third["creditor"].address[:2] == ["Bush Street 13", "Treasury department"]
    assert third["creditor"].country == "us"


def test_lithuanian_samples_with_bom(messages_dir: Path):
    (rub,) = parse_messages(messages_dir / PAIN / "International_payment_RUB_naujas_1.xml")
    parties = _by_role(rub)
    assert parties["debtor"].name == "IMONE X" and parties["debtor"].kind == "organization"
    assert parties["debtor"].identifiers[0].type == "org_id"
    assert (parties["debtor"].identifiers[0].value, parties["debtor"].identifiers[0].scheme) == ("123456789", "COID")
    agent = parties["creditor_agent"]
    assert (agent.name, agent.country, agent.kind) == ("UNICREDIT BANK AO", "ru", "institution")
    assert agent.path == "pain.001/PmtInf[1]/CdtTrfTxInf[1]/CdtrAgt/FinInstnId/Nm"
    assert agent.ids("clearing_member") == ["044525593"]
    assert parties["creditor"].name == "COMPANY Z"
    assert [t.text for t in rub.texts] == ["PREPAYMENT RUB 1000,00"]

    (usd,) = parse_messages(messages_dir / PAIN / "International_payment_USD_naujas_1.xml")
    agent = usd.party("creditor_agent")
    assert (agent.name, agent.bic, agent.country) == ("DEUTSCHE BANK TRUST COMPANY AMERICAS", "BKTRUS33", "us")
    assert usd.party("creditor").address == ["Company address"]
    assert [t.text for t in usd.texts] == ["Payment details"]

    (sepa,) = parse_messages(messages_dir / PAIN / "sepa_payment_naujas_1.xml")
    cred = sepa.party("creditor")
    assert (cred.name, cred.country, cred.address) == ("IMONE Z", "lt", ["Adresas 123", "Vilnius"])
    assert cred.ids("iban") == ["LT007400000000000000"]
    assert [t.text for t in sepa.texts] == ["Apmokama saskaita-faktura Nr. 1"]


def test_fedwire_scenario1(messages_dir: Path):
    (m,) = parse_messages(messages_dir / PACS / "fedwire_CustomerCreditTransfer_Scenario1_Step1_pacs.008.xml")
    assert m.message_id == "20250310B1QDRCQR000001/Scenario01EtoEId001"
    assert m.references["UETR"] == "8a562c67-ca16-48ba-b074-65581be6f011"
    assert (m.amount, m.currency, m.value_date) == ("510000.74", "USD", "2025-03-10")
    roles = [(p.role, p.name) for p in m.parties]
    assert ("debtor", "Corporation A") in roles and ("creditor", "Corporation B") in roles
    assert ("debtor_agent", "Bank A") in roles and ("creditor_agent", "Bank B") in roles
    debtor = m.party("debtor")
    assert debtor.path == "pacs.008/CdtTrfTxInf[1]/Dbtr/Nm"
    assert debtor.country == "us" and "85268 Fountain Hills" in debtor.address
    assert m.party("instructing_agent").ids("clearing_member") == ["011104238"]
    assert m.party("instructing_agent").identifiers[0].scheme == "USABA"
    assert m.texts == []


def test_fedwire_variations(messages_dir: Path):
    (v3,) = parse_messages(messages_dir / PACS / "fedwire_CustomerCreditTransfer_Variation3_pacs.008.xml")
    ud = v3.party("ultimate_debtor")
    assert (ud.name, ud.country, ud.path) == ("Corporation Aa", "us", "pacs.008/CdtTrfTxInf[1]/UltmtDbtr/Nm")
    (v4,) = parse_messages(messages_dir / PACS / "fedwire_CustomerCreditTransfer_Variation4_pacs.008.xml")
    uc = v4.party("ultimate_creditor")
    assert (uc.name, uc.country) == ("Corporation Bb", "us")
    (v6,) = parse_messages(messages_dir / PACS / "fedwire_CustomerCreditTransfer_Variation6_pacs.008.xml")
    assert (v6.party("debtor").name, v6.party("debtor").country) == ("Corporation Z", "be")
    assert (v6.party("creditor").name, v6.party("creditor").country) == ("Individual X", "br")
    assert v6.party("intermediary_agent").bic == "BANYBRRJ"
    assert v6.party("creditor_agent").bic == "BANXBRRJ" and v6.party("creditor_agent").country == "br"
    assert v6.party("debtor_agent").name is None and v6.party("debtor_agent").country == "be"
    assert [(t.path, t.text) for t in v6.texts] == [
        ("pacs.008/CdtTrfTxInf[1]/RmtInf/Ustrd[1]", "Insurance Benefit/Policy XXAB9876/$500000.00")
    ]
    (s5,) = parse_messages(messages_dir / PACS / "fedwire_CustomerCreditTransfer_Scenario5_Step1_pacs.008.xml")
    assert s5.party("creditor").ids("iban") == ["BR9700360305000010009795493P1"]
    (ret,) = parse_messages(messages_dir / PACS / "fedwire_PaymentReturn_Scenario2_Step1_pacs.008.xml")
    assert ret.party("debtor").name == "Corporation C"


def test_private_id_and_structured_remittance_parties():
    xml = b"""<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.10"><FIToFICstmrCdtTrf>
<GrpHdr><MsgId>M1</MsgId><NbOfTxs>2</NbOfTxs></GrpHdr>
<CdtTrfTxInf><PmtId><EndToEndId>E1</EndToEndId></PmtId>
<IntrBkSttlmAmt Ccy="EUR">10.00</IntrBkSttlmAmt>
<Dbtr><Nm>Ivan Petrov</Nm><Id><PrvtId><DtAndPlcOfBirth><BirthDt>1970-01-02</BirthDt><CityOfBirth>Omsk</CityOfBirth><CtryOfBirth>RU</CtryOfBirth></DtAndPlcOfBirth>
<Othr><Id>4509123456</Id><SchmeNm><Cd>NIDN</Cd></SchmeNm></Othr></PrvtId></Id></Dbtr>
<Cdtr><Nm>Acme GmbH</Nm></Cdtr>
<RmtInf><Ustrd>first line</Ustrd><Ustrd>second line</Ustrd><Strd><Invcr><Nm>Supplier Ltd</Nm></Invcr><AddtlRmtInf>extra words</AddtlRmtInf></Strd></RmtInf>
</CdtTrfTxInf>
<CdtTrfTxInf><PmtId><EndToEndId>E2</EndToEndId></PmtId><Cdtr><Nm>Second</Nm></Cdtr></CdtTrfTxInf>
</FIToFICstmrCdtTrf></Document>"""
    first, second = parse_messages(xml, source="x.xml")
    d = first.party("debtor")
    assert (d.kind, d.birth_date, d.birth_place) == ("person", "1970-01-02", "Omsk, RU")
    assert d.identifiers[0].type == "private_id" and d.identifiers[0].scheme == "NIDN"
    assert first.party("creditor").kind == "organization"
    assert first.party("invoicer").path == "pacs.008/CdtTrfTxInf[1]/RmtInf/Strd[1]/Invcr/Nm"
    assert [t.path for t in first.texts] == [
        "pacs.008/CdtTrfTxInf[1]/RmtInf/Ustrd[1]",
        "pacs.008/CdtTrfTxInf[1]/RmtInf/Ustrd[2]",
        "pacs.008/CdtTrfTxInf[1]/RmtInf/Strd[1]/AddtlRmtInf[1]",
    ]
    assert second.message_id == "M1/E2" and second.index == 2
