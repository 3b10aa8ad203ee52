"""ISO 20022 customer credit transfers (pacs.008, pain.001) into PaymentMessage.

One PaymentMessage per CdtTrfTxInf, carrying the group and payment-information
level parties (InitgPty, the pain.001 Dbtr) too, since each transaction is
screened on its own. Namespaces differ by version and by community (SIX's
pain.001.001.03.ch.02), so elements are matched on local names. GrpHdr/NbOfTxs
is not trusted: the transactions are counted as found. The XML is parsed with
entities, DTDs and network access off, and a DOCTYPE is refused outright.
"""

from __future__ import annotations

import re

from lxml import etree

from tamiz.screen.messages.derive import bic_country, iso_country, name_kind
from tamiz.screen.messages.model import Party, PartyId, PaymentMessage, TextField


class ISOError(ValueError):
    """The XML is not a usable customer credit transfer; the message says why."""


_ROOTS = {"FIToFICstmrCdtTrf": "pacs.008", "CstmrCdtTrfInitn": "pain.001"}

# (element, role) at transaction level, in the order a reader expects them.
_TX_PARTIES: tuple[tuple[str, str], ...] = (
    ("InitgPty", "initiating_party"),
    ("UltmtDbtr", "ultimate_debtor"),
    ("Dbtr", "debtor"),
    ("DbtrAgt", "debtor_agent"),
    ("PrvsInstgAgt1", "previous_instructing_agent"),
    ("PrvsInstgAgt2", "previous_instructing_agent"),
    ("PrvsInstgAgt3", "previous_instructing_agent"),
    ("InstgAgt", "instructing_agent"),
    ("InstdAgt", "instructed_agent"),
    ("IntrmyAgt1", "intermediary_agent"),
    ("IntrmyAgt2", "intermediary_agent"),
    ("IntrmyAgt3", "intermediary_agent"),
    ("CdtrAgt", "creditor_agent"),
    ("Cdtr", "creditor"),
    ("UltmtCdtr", "ultimate_creditor"),
)
_ACCOUNTS = {"Dbtr": "DbtrAcct", "Cdtr": "CdtrAcct", "DbtrAgt": "DbtrAgtAcct", "CdtrAgt": "CdtrAgtAcct"}
_AGENT_SUFFIX = "Agt"
# Settlement amount first (pacs.008), then the instructed amount (pain.001).
_AMOUNT_PATHS = (("IntrBkSttlmAmt",), ("Amt", "InstdAmt"), ("InstdAmt",), ("Amt", "EqvtAmt", "Amt"))


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False, remove_comments=True
    )


def load_xml(data: bytes) -> etree._Element:
    """Parse untrusted XML: no DTD, no entities, no network."""
    if re.search(rb"<!(DOCTYPE|ENTITY)", data[:65536], re.I):
        raise ISOError("XML with a DOCTYPE or entity declarations is refused (entity expansion / external entity risk)")
    try:
        tree = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise ISOError(f"XML is malformed or truncated: {exc}") from None
    if tree.getroottree().docinfo.doctype:
        raise ISOError("XML with a DOCTYPE is refused (entity expansion / external entity risk)")
    return tree


def parse_iso(data: bytes, source: str) -> list[PaymentMessage]:
    root = load_xml(data)
    body = next((el for el in root.iter() if _local(el) in _ROOTS), None)
    if body is None:
        raise ISOError(f"no pacs.008 FIToFICstmrCdtTrf or pain.001 CstmrCdtTrfInitn element (root is <{_local(root)}>)")
    fmt = _ROOTS[_local(body)]
    namespace = etree.QName(body).namespace or ""
    grp = _child(body, "GrpHdr")
    msg_id = _text(grp, "MsgId")
    headers = {"namespace": namespace, "MsgId": msg_id, "CreDtTm": _text(grp, "CreDtTm"), "NbOfTxs": _text(grp, "NbOfTxs")}
    headers = {k: v for k, v in headers.items() if v}
    group_parties = _parties(grp, f"{fmt}/GrpHdr", ("InitgPty", "InstgAgt", "InstdAgt"))
    out: list[PaymentMessage] = []
    if fmt == "pacs.008":
        for i, tx in enumerate(_children(body, "CdtTrfTxInf"), 1):
            out.append(_message(tx, f"{fmt}/CdtTrfTxInf[{i}]", fmt, source, len(out) + 1, msg_id, headers, group_parties, None))
    else:
        for p, pmt in enumerate(_children(body, "PmtInf"), 1):
            pmt_path = f"{fmt}/PmtInf[{p}]"
            pmt_parties = _parties(pmt, pmt_path, ("UltmtDbtr", "Dbtr", "DbtrAgt"))
            for i, tx in enumerate(_children(pmt, "CdtTrfTxInf"), 1):
                msg = _message(tx, f"{pmt_path}/CdtTrfTxInf[{i}]", fmt, source, len(out) + 1, msg_id, headers, group_parties + pmt_parties, pmt)
                out.append(msg)
    if not out:
        raise ISOError(f"{fmt} file has no CdtTrfTxInf transaction")
    declared = headers.get("NbOfTxs")
    if declared and declared.isdigit() and int(declared) != len(out):
        for msg in out:
            msg.warnings.append(f"GrpHdr/NbOfTxs says {declared} but the file has {len(out)} transactions")
    return out


def _message(
    tx: etree._Element,
    path: str,
    fmt: str,
    source: str,
    index: int,
    msg_id: str | None,
    headers: dict[str, str],
    outer: list[Party],
    pmt: etree._Element | None,
) -> PaymentMessage:
    pmt_id = _child(tx, "PmtId")
    refs = {k: v for k in ("InstrId", "EndToEndId", "TxId", "UETR") if (v := _text(pmt_id, k))}
    if pmt is not None and (v := _text(pmt, "PmtInfId")):
        refs["PmtInfId"] = v
    if msg_id:
        refs["MsgId"] = msg_id
    tx_ref = refs.get("EndToEndId") or refs.get("InstrId") or refs.get("TxId")
    msg = PaymentMessage(
        source=source,
        index=index,
        format=fmt,
        message_id="/".join(x for x in (msg_id, tx_ref) if x) or None,
        references=refs,
        headers=dict(headers),
    )
    amount = next(
        (el for path in _AMOUNT_PATHS if (el := _find(tx, *path)) is not None and el.text and el.text.strip()), None
    )
    if amount is not None:
        msg.amount, msg.currency = amount.text.strip(), amount.get("Ccy")
    date = _text(tx, "IntrBkSttlmDt")
    if date is None and pmt is not None:
        date = _text(pmt, "ReqdExctnDt") or _text(pmt, "ReqdExctnDt", "Dt") or _text(pmt, "ReqdExctnDt", "DtTm")
    msg.value_date = date[:10] if date else None
    tx_parties = _parties(tx, path, tuple(name for name, _ in _TX_PARTIES))
    # A transaction-level party overrides the same role stated at an outer level.
    tx_roles = {p.role for p in tx_parties if p.role in ("ultimate_debtor", "initiating_party")}
    msg.parties = [p for p in outer if p.role not in tx_roles] + tx_parties
    msg.parties += _remittance_parties(tx, path)
    msg.texts = _texts(tx, path)
    return msg


def _parties(parent: etree._Element | None, path: str, names: tuple[str, ...]) -> list[Party]:
    out: list[Party] = []
    if parent is None:
        return out
    roles = dict(_TX_PARTIES)
    for name in names:
        el = _child(parent, name)
        if el is None:
            continue
        party = _party(el, f"{path}/{name}", roles.get(name, name), _child(parent, _ACCOUNTS.get(name, "")))
        if party is not None:
            out.append(party)
    return out


def _party(el: etree._Element, path: str, role: str, account: etree._Element | None) -> Party | None:
    fin = _child(el, "FinInstnId")
    if fin is not None or _local(el).endswith(_AGENT_SUFFIX):
        node = fin if fin is not None else el
        party = Party(role=role, path=f"{path}/FinInstnId" if fin is not None else path, kind="institution")
        _fill_name_address(party, node)
        if bic := (_text(node, "BICFI") or _text(node, "BIC")):
            party.identifiers.append(PartyId("bic", bic))
        if lei := _text(node, "LEI"):
            party.identifiers.append(PartyId("lei", lei))
        if (mmb := _text(node, "ClrSysMmbId", "MmbId")) is not None:
            scheme = _text(node, "ClrSysMmbId", "ClrSysId", "Cd") or _text(node, "ClrSysMmbId", "ClrSysId", "Prtry")
            party.identifiers.append(PartyId("clearing_member", mmb, scheme))
        if (other := _text(node, "Othr", "Id")) is not None:
            party.identifiers.append(PartyId("party_id", other, _scheme(_child(node, "Othr"))))
        party.path = f"{party.path}/Nm" if party.name else party.path
    else:
        party = Party(role=role, path=path)
        _fill_name_address(party, el)
        _party_ids(party, _child(el, "Id"))
        party.path = f"{path}/Nm" if party.name else path
        if party.kind == "unknown":
            party.kind = name_kind(party.name)
    if account is not None:
        if iban := _text(account, "Id", "IBAN"):
            party.identifiers.append(PartyId("iban", iban))
        elif (other := _text(account, "Id", "Othr", "Id")) is not None:
            party.identifiers.append(PartyId("account", other, _scheme(_find(account, "Id", "Othr"))))
    if party.country is None and party.bic:
        if code := bic_country(party.bic):
            party.country, party.country_source = code, "bic"
    if party.name is None and not party.identifiers and not party.address:
        return None
    return party


def _fill_name_address(party: Party, node: etree._Element) -> None:
    party.name = _text(node, "Nm")
    adr = _child(node, "PstlAdr")
    if adr is None:
        return
    structured = [
        " ".join(x for x in (_text(adr, "StrtNm"), _text(adr, "BldgNb")) if x),
        _text(adr, "BldgNm"),
        _text(adr, "Flr"),
        _text(adr, "Room"),
        _text(adr, "PstBx"),
        _text(adr, "Dept"),
        " ".join(x for x in (_text(adr, "PstCd"), _text(adr, "TwnNm")) if x),
        _text(adr, "CtrySubDvsn"),
    ]
    lines = [line for line in structured if line]
    lines += [(el.text or "").strip() for el in _children(adr, "AdrLine") if (el.text or "").strip()]
    party.address = lines
    if code := iso_country(_text(adr, "Ctry")):
        party.country, party.country_source = code, "field"
    elif lines and len(lines[-1]) <= 2 and (code := iso_country(lines[-1])):
        # An unstructured address ending in a bare ISO code ("GB").
        party.country, party.country_source = code, "address"


def _party_ids(party: Party, id_el: etree._Element | None) -> None:
    if id_el is None:
        return
    org, prv = _child(id_el, "OrgId"), _child(id_el, "PrvtId")
    if org is not None:
        party.kind = "organization"
        for tag in ("AnyBIC", "BICOrBEI", "BIC"):
            if bic := _text(org, tag):
                party.identifiers.append(PartyId("bic", bic))
        if lei := _text(org, "LEI"):
            party.identifiers.append(PartyId("lei", lei))
        for other in _children(org, "Othr"):
            if (value := _text(other, "Id")) is not None:
                party.identifiers.append(PartyId("org_id", value, _scheme(other)))
    if prv is not None:
        party.kind = "person"
        birth = _child(prv, "DtAndPlcOfBirth")
        if birth is not None:
            party.birth_date = _text(birth, "BirthDt")
            place = [x for x in (_text(birth, "CityOfBirth"), _text(birth, "CtryOfBirth")) if x]
            party.birth_place = ", ".join(place) or None
        for other in _children(prv, "Othr"):
            if (value := _text(other, "Id")) is not None:
                party.identifiers.append(PartyId("private_id", value, _scheme(other)))


def _remittance_parties(tx: etree._Element, path: str) -> list[Party]:
    out: list[Party] = []
    for r, strd in enumerate(_children(_child(tx, "RmtInf"), "Strd"), 1):
        for tag, role in (("Invcr", "invoicer"), ("Invcee", "invoicee")):
            el = _child(strd, tag)
            if el is not None and (party := _party(el, f"{path}/RmtInf/Strd[{r}]/{tag}", role, None)):
                out.append(party)
    return out


def _texts(tx: etree._Element, path: str) -> list[TextField]:
    out: list[TextField] = []
    rmt = _child(tx, "RmtInf")
    for i, el in enumerate(_children(rmt, "Ustrd"), 1):
        if el.text and el.text.strip():
            out.append(TextField(f"{path}/RmtInf/Ustrd[{i}]", el.text.strip(), "remittance_information"))
    for s, strd in enumerate(_children(rmt, "Strd"), 1):
        for i, el in enumerate(_children(strd, "AddtlRmtInf"), 1):
            if el.text and el.text.strip():
                out.append(TextField(f"{path}/RmtInf/Strd[{s}]/AddtlRmtInf[{i}]", el.text.strip(), "remittance_information"))
    for tag, label in (("InstrForCdtrAgt", "instruction_for_creditor_agent"), ("InstrForNxtAgt", "instruction_for_next_agent")):
        for i, instr in enumerate(_children(tx, tag), 1):
            if text := _text(instr, "InstrInf"):
                out.append(TextField(f"{path}/{tag}[{i}]/InstrInf", text, label))
    for tag in ("RgltryRptg",):
        for i, rep in enumerate(_children(tx, tag), 1):
            for j, el in enumerate(el for el in rep.iter() if _local(el) == "Inf"):
                if el.text and el.text.strip():
                    out.append(TextField(f"{path}/{tag}[{i}]/Dtls/Inf[{j + 1}]", el.text.strip(), "regulatory_reporting"))
    return out


def _local(el: etree._Element) -> str:
    tag = el.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _children(parent: etree._Element | None, name: str) -> list[etree._Element]:
    if parent is None:
        return []
    return [el for el in parent if _local(el) == name]


def _child(parent: etree._Element | None, name: str) -> etree._Element | None:
    if parent is None or not name:
        return None
    for el in parent:
        if _local(el) == name:
            return el
    return None


def _find(parent: etree._Element | None, *names: str) -> etree._Element | None:
    node = parent
    for name in names:
        node = _child(node, name)
        if node is None:
            return None
    return node


def _text(parent: etree._Element | None, *names: str) -> str | None:
    node = _find(parent, *names)
    if node is None or node.text is None:
        return None
    value = " ".join(node.text.split())
    return value or None


def _scheme(other: etree._Element | None) -> str | None:
    return _text(other, "SchmeNm", "Cd") or _text(other, "SchmeNm", "Prtry") or _text(other, "Issr")
