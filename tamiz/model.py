"""The one record type for a listed party, shared by every room.

Schemas and property names follow FollowTheMoney so that import from and
export to OpenSanctions data is lossless. Records are plain dataclasses that
serialise to a canonical JSON dict; the store content-addresses them by the
hash of that dict, so two list versions that carry the same party unchanged
share one stored record and the delta between versions falls out of the
hashes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from functools import cache
from enum import StrEnum
from typing import Any

SCHEMAS = ("Person", "Organization", "Company", "Vessel", "Airplane", "LegalEntity")


class NameKind(StrEnum):
    """Where a name comes from; it decides how much a match on it is worth."""

    PRIMARY = "primary"  # the listed name
    ALIAS = "alias"  # OFAC strong a.k.a. (alt.csv), UN "good quality" alias
    WEAK_ALIAS = "weak_alias"  # OFAC quoted a.k.a. in remarks, UN "low quality"
    PREVIOUS = "previous"  # f.k.a.
    NEW = "new"  # n.k.a.
    ORIGINAL_SCRIPT = "original_script"  # name in its own script (Arabic, Cyrillic...)


@dataclass(frozen=True, slots=True)
class Name:
    full: str
    kind: NameKind = NameKind.PRIMARY
    # Given / family parts when the source separates them ("SURNAME, Given").
    given: str | None = None
    family: str | None = None
    lang: str | None = None

    @property
    def strong(self) -> bool:
        return self.kind != NameKind.WEAK_ALIAS


class DatePrecision(StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


@dataclass(frozen=True, slots=True)
class FuzzyDate:
    """A date as lists state it: partial, approximate, or a range.

    `start` and `end` are ISO prefixes ("1966", "1966-07", "1966-07-17").
    A plain date has end == start; "1960 to 1962" has start "1960", end "1962".
    """

    text: str
    start: str
    end: str
    precision: DatePrecision
    circa: bool = False

    @classmethod
    def exact(cls, iso: str, text: str | None = None, circa: bool = False) -> "FuzzyDate":
        precision = {4: DatePrecision.YEAR, 7: DatePrecision.MONTH}.get(len(iso), DatePrecision.DAY)
        return cls(text=text or iso, start=iso, end=iso, precision=precision, circa=circa)

    @property
    def years(self) -> range:
        lo, hi = int(self.start[:4]), int(self.end[:4])
        if self.circa:
            lo, hi = lo - 1, hi + 1
        return range(lo, hi + 1)


@dataclass(frozen=True, slots=True)
class Identifier:
    """An official number with its type, e.g. ("passport", "G12345", "mx").

    `type` is a normalised key (see IDENTIFIER_TYPES); `label` keeps the text the
    list used ("C.U.R.P.", "Cedula No.") so nothing is lost in display.
    """

    type: str
    value: str
    label: str = ""
    country: str | None = None
    note: str | None = None  # e.g. "issued 12 Jan 2010", "expires 2020"


# Normalised identifier types and the FollowTheMoney property each maps to.
IDENTIFIER_TYPES: dict[str, str] = {
    "passport": "passportNumber",
    "national_id": "idNumber",
    "curp": "idNumber",
    "rfc": "taxNumber",
    "tax_id": "taxNumber",
    "vat": "vatCode",
    "cedula": "idNumber",
    "nit": "taxNumber",
    "ruc": "taxNumber",
    "ssn": "idNumber",
    "dni": "idNumber",
    "drivers_license": "idNumber",
    "registration": "registrationNumber",
    "imo": "imoNumber",
    "mmsi": "mmsi",
    "call_sign": "callSign",
    "swift_bic": "swiftBic",
    "duns": "dunsCode",
    "lei": "leiCode",
    "email": "email",
    "website": "website",
    "phone": "phone",
    "crypto_wallet": "cryptoWallet",  # digital currency address
    "aircraft_serial": "serialNumber",
    "aircraft_tail": "registrationNumber",
    "other": "idNumber",
}


@dataclass(frozen=True, slots=True)
class Address:
    full: str = ""
    street: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2, lower case (FtM convention)
    country_name: str | None = None  # as written in the source

    def text(self) -> str:
        if self.full:
            return self.full
        parts = [self.street, self.city, self.region, self.postal_code, self.country_name]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class Relation:
    """A "Linked To" (or owner, associate...) edge to another listed party."""

    type: str  # "linked_to", "owned_by", "associate", ...
    target_name: str  # the text the list used
    target_id: str | None = None  # resolved entity id, None when unresolved


@dataclass(slots=True)
class Entity:
    id: str  # "<dataset>:<source id>", stable across list versions
    dataset: str
    schema: str
    caption: str
    names: list[Name] = field(default_factory=list)
    birth_dates: list[FuzzyDate] = field(default_factory=list)
    birth_places: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)  # ISO alpha-2, lower case
    citizenships: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)  # other country links (addresses, flags)
    gender: str | None = None  # "male" / "female" / None
    identifiers: list[Identifier] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)  # SDNTK, SDGT, TCO, ...
    relations: list[Relation] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    positions: list[str] = field(default_factory=list)
    listed_on: str | None = None  # ISO date the party was designated
    remarks: str | None = None  # the source's free text, verbatim
    # Source facts that have no field above, by FtM property name where one exists
    # (vessel flag, tonnage, call sign, aircraft model, organisation type...).
    properties: dict[str, list[str]] = field(default_factory=dict)
    # Remark fragments the parser did not recognise: kept, counted, never dropped.
    unparsed: list[str] = field(default_factory=list)
    source_url: str | None = None

    @property
    def source_id(self) -> str:
        return self.id.split(":", 1)[1]

    def all_names(self) -> list[Name]:
        return self.names or [Name(self.caption)]

    def to_dict(self) -> dict[str, Any]:
        """Canonical JSON-ready dict: empty fields are left out, order is fixed."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value in (None, "", [], {}):
                continue
            if isinstance(value, list) and value and hasattr(value[0], "__dataclass_fields__"):
                value = [_compact(v) for v in value]
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Entity":
        kw = dict(data)
        kw["names"] = [Name(**{**n, "kind": NameKind(n.get("kind", "primary"))}) for n in data.get("names", [])]
        kw["birth_dates"] = [
            FuzzyDate(**{**d, "precision": DatePrecision(d["precision"])}) for d in data.get("birth_dates", [])
        ]
        kw["identifiers"] = [Identifier(**i) for i in data.get("identifiers", [])]
        kw["addresses"] = [Address(**a) for a in data.get("addresses", [])]
        kw["relations"] = [Relation(**r) for r in data.get("relations", [])]
        return cls(**kw)

    def canonical_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    def fingerprint(self) -> str:
        """Content hash: equal fingerprints mean the party did not change."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()


def _compact(part: Any) -> dict[str, Any]:
    """A flat part record (Name, FuzzyDate, ...) as a dict without empty fields.

    Hand-rolled rather than dataclasses.asdict, which deep-copies and made
    serialising a whole list version twice as slow.
    """
    out: dict[str, Any] = {}
    for name in _field_names(type(part)):
        v = getattr(part, name)
        if v is None or v == "":
            continue
        out[name] = str(v) if isinstance(v, StrEnum) else v
    return out


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))
