"""SWIFT FIN MT103 (and its RJE batch form) into PaymentMessage records.

A FIN message is a run of blocks {1:basic header}{2:application header}
{3:user header}{4:text -}{5:trailer}. RJE batches join messages with "$".
Real batches carry quirks we accept: a FIN ACK ({1:F21...}{4:{177:}{451:}})
right before the message it acknowledges, messages joined by "-}$" without a
newline, and a stray "{" after a closing "-}". An ACK is not a payment: it is
attached to the message it acknowledges. One broken message in a batch is
returned with its `error` set so the rest of the batch is still screened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tamiz.screen.messages.derive import address_country, bic_country, iso_country, is_bic, name_kind
from tamiz.screen.messages.model import Party, PartyId, PaymentMessage, TextField

_FIELD = re.compile(r"^:(\d{2}[A-Z]?):(.*)$")
_TAG_BLOCK = re.compile(r"\{([A-Za-z0-9]+):")

# Party fields: tag (without option letter) -> (role, kind by default).
_PARTY_TAGS: dict[str, tuple[str, str]] = {
    "50": ("ordering_customer", "unknown"),
    "51": ("sending_institution", "institution"),
    "52": ("ordering_institution", "institution"),
    "53": ("senders_correspondent", "institution"),
    "54": ("receivers_correspondent", "institution"),
    "55": ("third_reimbursement_institution", "institution"),
    "56": ("intermediary", "institution"),
    "57": ("account_with_institution", "institution"),
    "58": ("beneficiary_institution", "institution"),
    "59": ("beneficiary", "unknown"),
}

_TEXT_TAGS: dict[str, str] = {
    "70": "remittance_information",
    "72": "sender_to_receiver_information",
    "77B": "regulatory_reporting",
    "77T": "envelope_contents",
}


class MTError(ValueError):
    """One message of a batch is malformed; the message says how."""


@dataclass(slots=True)
class RawMessage:
    blocks: dict[str, str | dict[str, str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def block1(self) -> str:
        value = self.blocks.get("1", "")
        return value if isinstance(value, str) else ""

    @property
    def is_ack(self) -> bool:
        """FIN ACK/NAK: service id 21 in block 1, and a tag block 4 with 451."""
        b4 = self.blocks.get("4")
        return self.block1.startswith("F21") or (isinstance(b4, dict) and "451" in b4)


def split_batch(text: str) -> list[str]:
    """RJE: messages are separated by "$"; blank chunks are no messages."""
    return [chunk for chunk in text.split("$") if chunk.strip()]


def split_messages(chunk: str) -> list[str]:
    """Cut an RJE chunk at each basic header "{1:" (an ACK and its message share one)."""
    starts = [m.start() for m in re.finditer(r"\{1:", chunk)]
    if not starts or chunk[: starts[0]].strip():
        starts.insert(0, 0)
    return [chunk[a:b] for a, b in zip(starts, starts[1:] + [len(chunk)]) if chunk[a:b].strip()]


def parse_blocks(text: str) -> RawMessage:
    """One message's blocks; raises MTError naming what is broken."""
    raw = RawMessage()
    pos, n = 0, len(text)
    while pos < n:
        if text[pos].isspace():
            pos += 1
            continue
        m = _TAG_BLOCK.match(text, pos)
        if not m:
            rest = text[pos:].strip()
            if rest in ("{", "}") and "4" in raw.blocks:
                raw.warnings.append(f"stray {rest!r} after the end of the message ignored")
                break
            if not raw.blocks and _FIELD.match(rest.splitlines()[0]):
                # Bare block-4 text (":20:..." with no headers): take it as block 4.
                raw.blocks["4"] = rest.removesuffix("-}").rstrip()
                raw.warnings.append("no FIN headers: text block only")
                break
            raise MTError(f"unexpected text {rest[:30]!r} where a block '{{n:' should start")
        name = m.group(1)
        if name in raw.blocks:
            raise MTError(f"block {{{name}:}} appears twice in one message")
        start = m.end()
        if name == "4" and not text.startswith("{", start):
            raw.blocks[name], pos = _text_block(text, start)
        elif text.startswith("{", start):
            raw.blocks[name], pos = _tag_blocks(text, start, name)
        else:
            end = text.find("}", start)
            if end < 0 or "{" in text[start:end]:
                raise MTError(f"block {{{name}:}} is never closed")
            raw.blocks[name] = text[start:end]
            pos = end + 1
    return raw


def _text_block(chunk: str, start: int) -> tuple[str, int]:
    """Block 4 text runs to a line "-}"; a new "{1:" before it means it never closed."""
    end = re.compile(r"(?:\r?\n|^)-\}").search(chunk, start)
    if end is None:
        raise MTError("block {4:} is never closed (no closing '-}')")
    return chunk[start : end.start()].strip("\r\n"), end.end()


def _tag_blocks(chunk: str, start: int, name: str) -> tuple[dict[str, str], int]:
    """{3:{108:X}{433:Y}} style: a sequence of {tag:value} up to the closing "}"."""
    out: dict[str, str] = {}
    pos = start
    while True:
        if pos >= len(chunk):
            raise MTError(f"block {{{name}:}} is never closed")
        if chunk[pos] == "}":
            return out, pos + 1
        m = _TAG_BLOCK.match(chunk, pos)
        if not m:
            raise MTError(f"block {{{name}:}} is malformed at {chunk[pos:pos + 20]!r}")
        end = chunk.find("}", m.end())
        if end < 0:
            raise MTError(f"block {{{name}:}} is never closed")
        out[m.group(1)] = chunk[m.end() : end]
        pos = end + 1


def parse_fields(text: str) -> list[tuple[str, str]]:
    """Block 4 text into (tag, value) pairs; continuation lines join their field."""
    fields: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        m = _FIELD.match(line)
        if m:
            fields.append((m.group(1), [m.group(2)]))
        elif fields:
            fields[-1][1].append(line)
        elif line.strip():
            raise MTError(f"text before the first field: {line[:30]!r}")
    return [(tag, "\n".join(lines).rstrip()) for tag, lines in fields]


def parse_mt(text: str, source: str) -> list[PaymentMessage]:
    """All payment messages of an MT file; ACKs attach to the message they acknowledge.

    An ACK names its message by the logical terminal, session and sequence
    number of block 1, so it is matched on those whether it comes before or after.
    """
    out: list[PaymentMessage] = []
    acks: dict[str, dict[str, str]] = {}
    keys: list[str] = []
    for chunk in split_batch(text):
        for segment in split_messages(chunk):
            index = len(out) + 1
            try:
                raw = parse_blocks(segment)
                if raw.is_ack:
                    b4 = raw.blocks.get("4")
                    acks[raw.block1[3:]] = dict(b4) if isinstance(b4, dict) else {}
                    continue
                msg = _to_message(raw, source, index)
                key = raw.block1[3:]
            except MTError as exc:
                msg, key = PaymentMessage(source=source, index=index, format="mt103", error=str(exc)), ""
            out.append(msg)
            keys.append(key)
    for msg, key in zip(out, keys):
        if key and key in acks:
            msg.ack = acks[key]
    return out


def _to_message(raw: RawMessage, source: str, index: int) -> PaymentMessage:
    b2 = raw.blocks.get("2", "")
    b2 = b2 if isinstance(b2, str) else ""
    mt_type = b2[1:4] if len(b2) >= 4 and b2[1:4].isdigit() else "103"
    text = raw.blocks.get("4")
    if text is None:
        raise MTError("no text block {4:}")
    if isinstance(text, dict):
        raise MTError("block {4:} holds system tags, not a payment")
    fmt = f"mt{mt_type}"
    prefix = f"MT{mt_type}/4"
    msg = PaymentMessage(source=source, index=index, format=fmt, warnings=list(raw.warnings))
    msg.sender_bic, msg.receiver_bic = _header_bics(raw.block1, b2)
    msg.headers = {k: v for k, v in raw.blocks.items() if k != "4"}
    for key, tag in (("108", "108"), ("121", "121"), ("119", "119")):
        b3 = raw.blocks.get("3")
        if isinstance(b3, dict) and tag in b3:
            msg.references[key] = b3[tag]
    seen: dict[str, int] = {}
    for tag, value in parse_fields(text):
        seen[tag] = seen.get(tag, 0) + 1
        path = f"{prefix}/:{tag}:" + (f"[{seen[tag]}]" if seen[tag] > 1 else "")
        if tag == "20":
            msg.message_id = value.strip()
            msg.references["20"] = value.strip()
        elif tag in ("21", "23B", "26T", "71A", "13C", "23E"):
            msg.references[tag] = value.strip() if tag not in msg.references else f"{msg.references[tag]}; {value.strip()}"
        elif tag == "32A":
            _value_date_amount(msg, value)
        elif tag == "33B" and msg.amount is None:
            msg.currency, msg.amount = value[:3], _decimal(value[3:])
        elif tag[:2] in _PARTY_TAGS:
            party = _party(tag, value, path)
            if party is not None:
                msg.parties.append(party)
        elif tag in _TEXT_TAGS and value.strip():
            msg.texts.append(TextField(path=path, text=value.strip(), label=_TEXT_TAGS[tag]))
    if msg.message_id is None:
        msg.warnings.append("no field :20: (sender's reference)")
    return msg


def _header_bics(block1: str, block2: str) -> tuple[str | None, str | None]:
    """Sender and receiver BIC from the logical terminals of blocks 1 and 2."""
    own = _lt_bic(block1[3:15]) if len(block1) >= 15 else None
    if block2.startswith("O") and len(block2) >= 30:
        return _lt_bic(block2[14:26]), own  # output: sender is in the MIR
    if block2.startswith("I") and len(block2) >= 16:
        return own, _lt_bic(block2[4:16])
    return own, None


def _lt_bic(lt: str) -> str | None:
    """A 12-character logical terminal is BIC8 + terminal code + branch."""
    if len(lt) != 12:
        return None
    bic = lt[:8] + lt[9:]
    return bic if is_bic(bic) else None


def _value_date_amount(msg: PaymentMessage, value: str) -> None:
    m = re.match(r"^(\d{2})(\d{2})(\d{2})([A-Z]{3})([\d,]+)", value.strip())
    if not m:
        msg.warnings.append(f"field :32A: is malformed: {value!r}")
        return
    yy, mm, dd, ccy, amount = m.groups()
    msg.value_date = f"20{yy}-{mm}-{dd}"
    msg.currency = ccy
    msg.amount = _decimal(amount)


def _decimal(text: str) -> str:
    whole, _, frac = text.strip().partition(",")
    frac = frac.rstrip("0")
    return f"{whole or '0'}.{frac}" if frac else whole or "0"


def _party(tag: str, value: str, path: str) -> Party | None:
    role, kind = _PARTY_TAGS[tag[:2]]
    option = tag[2:]
    lines = [ln.rstrip() for ln in value.splitlines() if ln.strip()]
    if not lines:
        return None
    party = Party(role=role, path=path, kind=kind)
    if lines[0].startswith("/"):
        _add_account(party, lines.pop(0))
    if option == "F":
        _structured_party(party, lines)
    elif option == "A":
        # BIC (possibly after the account line), nothing else.
        for line in lines:
            if is_bic(line):
                party.identifiers.append(PartyId("bic", line.strip()))
        party.kind = "institution"
    elif option == "B":
        party.address = lines  # location only
    else:
        # K, D, no option: name then address lines.
        party.name = lines[0].strip() if lines else None
        party.address = [ln.strip() for ln in lines[1:]]
    if party.kind != "institution" and party.kind != "person":
        derived = name_kind(party.name)
        if derived != "unknown":
            party.kind = derived
    if party.country is None:
        code = bic_country(party.bic) if party.bic else address_country(party.address)
        if code:
            party.country = code
            party.country_source = "bic" if party.bic else "address"
    if party.name is None and not party.identifiers and not party.address:
        return None
    return party


def _add_account(party: Party, line: str) -> None:
    """"/ACCOUNT", "//RT" clearing codes, "/D/ACCOUNT" debit/credit marks, "CODE/CC/ID"."""
    value = line.strip()
    if value.startswith("//"):
        party.identifiers.append(PartyId("clearing_member", value[2:]))
        return
    m = re.match(r"^/([CD])/(.+)$", value)
    if m:
        value = "/" + m.group(2)
    if value.startswith("/"):
        account = value[1:].strip()
        if account and account != "-":
            id_type = "iban" if re.match(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$", account) else "account"
            party.identifiers.append(PartyId(id_type, account))
        return
    m = re.match(r"^([A-Z]{4})/([A-Z]{2})/(.+)$", value)
    if m:
        code, country, ident = m.groups()
        id_type = {"NIDN": "national_id", "CUST": "customer_id", "TXID": "tax_id", "CCPT": "passport"}.get(code, "party_id")
        party.identifiers.append(PartyId(id_type, ident, scheme=f"{code}/{country}"))
        return
    party.identifiers.append(PartyId("party_id", value))


def _structured_party(party: Party, lines: list[str]) -> None:
    """50F/59F: numbered lines 1/name 2/address 3/CC/town 4/dob 5/place 6-8/ids."""
    if lines and not re.match(r"^\d/", lines[0]):
        _add_account(party, lines.pop(0))
    names: list[str] = []
    for line in lines:
        m = re.match(r"^(\d)/(.*)$", line)
        if not m:
            continue
        num, rest = m.group(1), m.group(2).strip()
        if num == "1":
            names.append(rest)
        elif num == "2":
            party.address.append(rest)
        elif num == "3":
            cc, _, town = rest.partition("/")
            code = iso_country(cc)
            if code and party.country is None:
                party.country, party.country_source = code, "field"
            party.address.append(f"{town} {cc}".strip() if town else cc)
        elif num == "4" and re.match(r"^\d{8}$", rest):
            party.birth_date = f"{rest[:4]}-{rest[4:6]}-{rest[6:]}"
        elif num == "5":
            party.birth_place = rest.replace("/", " ").strip()
        elif num in ("6", "7"):
            parts = rest.split("/", 2)
            kind = "customer_id" if num == "6" else "national_id"
            party.identifiers.append(PartyId(kind, parts[-1], scheme="/".join(parts[:-1]) or None))
        elif num == "8":
            if names:
                names[-1] = f"{names[-1]} {rest}".strip()
    if names:
        party.name = " ".join(names)
        party.kind = "person" if party.birth_date or party.birth_place else party.kind
