"""What a parsed payment message is, whatever its wire format.

Screening needs the parties (who pays, who is paid, which banks carry the
money) and the free text (remittance information, bank-to-bank notes), each
with the field path it came from so that an alert can point at the field.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

FORMATS = ("mt103", "pacs.008", "pain.001")

# Roles a party can play; MT and ISO 20022 map onto the same vocabulary.
ROLES = (
    "ordering_customer",
    "beneficiary",
    "ordering_institution",
    "sending_institution",
    "senders_correspondent",
    "receivers_correspondent",
    "third_reimbursement_institution",
    "intermediary",
    "account_with_institution",
    "beneficiary_institution",
    "debtor",
    "creditor",
    "ultimate_debtor",
    "ultimate_creditor",
    "initiating_party",
    "debtor_agent",
    "creditor_agent",
    "instructing_agent",
    "instructed_agent",
    "previous_instructing_agent",
    "intermediary_agent",
    "invoicer",
    "invoicee",
)

KINDS = ("person", "organization", "institution", "unknown")


@dataclass(frozen=True, slots=True)
class PartyId:
    """An identifier a message states for a party.

    `type` is one of "account", "iban", "bic", "lei", "clearing_member",
    "org_id", "private_id", "national_id", "customer_id", "party_id";
    `scheme` keeps the message's own qualifier (ISO SchmeNm/ClrSysId, MT 50F
    code such as "NIDN/DE").
    """

    type: str
    value: str
    scheme: str | None = None


@dataclass(slots=True)
class Party:
    role: str
    path: str  # "MT103/4/:50K:", "pacs.008/CdtTrfTxInf[1]/Cdtr/Nm"
    name: str | None = None
    address: list[str] = field(default_factory=list)
    country: str | None = None  # ISO alpha-2, lower case
    # Where `country` came from: "field" (ISO Ctry, MT 50F 3/), "bic", "address".
    country_source: str | None = None
    identifiers: list[PartyId] = field(default_factory=list)
    kind: str = "unknown"  # one of KINDS
    birth_date: str | None = None  # ISO date, from ISO PrvtId or MT 50F 4/
    birth_place: str | None = None

    def ids(self, type_: str) -> list[str]:
        return [i.value for i in self.identifiers if i.type == type_]

    @property
    def bic(self) -> str | None:
        found = self.ids("bic")
        return found[0] if found else None


@dataclass(frozen=True, slots=True)
class TextField:
    path: str  # "MT103/4/:70:", "pain.001/PmtInf[1]/CdtTrfTxInf[1]/RmtInf/Ustrd[1]"
    text: str
    label: str = ""  # "remittance_information", "sender_to_receiver_information", ...


@dataclass(slots=True)
class PaymentMessage:
    source: str  # file name
    index: int  # 1-based position among the payment messages of the file
    format: str  # one of FORMATS (other MT types come out as "mtNNN")
    message_id: str | None = None  # MT :20:, ISO "MsgId/EndToEndId"
    references: dict[str, str] = field(default_factory=dict)
    amount: str | None = None  # decimal as text, "1814.28"
    currency: str | None = None
    value_date: str | None = None  # ISO date
    parties: list[Party] = field(default_factory=list)
    texts: list[TextField] = field(default_factory=list)
    sender_bic: str | None = None
    receiver_bic: str | None = None
    # Raw header facts: block 1/2/3/5 of MT ({"3": {"433": "/AOK/NO HIT DETECTED"}}),
    # namespace and group header of ISO 20022.
    headers: dict[str, Any] = field(default_factory=dict)
    ack: dict[str, str] | None = None  # FIN ACK/NAK fields (177, 451, 405) when the batch carries one
    warnings: list[str] = field(default_factory=list)
    # Set when this message could not be parsed; the batch's other messages still are.
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def party(self, role: str) -> Party | None:
        for p in self.parties:
            if p.role == role:
                return p
        return None

    def summary(self) -> dict[str, Any]:
        out = {
            "source": self.source,
            "index": self.index,
            "format": self.format,
            "message_id": self.message_id,
            "amount": self.amount,
            "currency": self.currency,
            "value_date": self.value_date,
        }
        if self.error:
            out["error"] = self.error
        return {k: v for k, v in out.items() if v is not None}

    def to_dict(self) -> dict[str, Any]:
        return _prune(asdict(self))


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v not in (None, [], {}, "")}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value
