"""Which input column holds which fact: given by option, else guessed from the header.

Customer files name their columns every which way; a mapping is resolved once
against the header, and a column named by the user that is not there is a
clear error listing the columns that are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from tamiz.errors import TamizError

# Common header names, best first; compared case-, space- and dash-insensitively.
AUTO: dict[str, tuple[str, ...]] = {
    "name": ("name", "full_name", "fullname", "customer_name", "party_name", "entity_name", "company_name"),
    "first_name": ("first_name", "given_name", "firstname", "givenname", "forename"),
    "last_name": ("last_name", "surname", "family_name", "lastname", "familyname"),
    "dob": ("dob", "date_of_birth", "birth_date", "birthdate", "dateofbirth"),
    "country": ("country", "nationality", "country_code", "citizenship"),
    "id_number": ("id_number", "passport", "national_id", "passport_number", "idnumber"),
    "type": ("type", "schema", "entity_type", "party_type", "customer_type"),
    "key": ("id", "key", "customer_id", "reference", "ref", "customer_ref", "account"),
}

# Values of a type column → screener schema; anything else screens as any type.
SCHEMA_WORDS: dict[str, str] = {
    "person": "Person", "individual": "Person", "natural": "Person", "natural_person": "Person", "p": "Person",
    "i": "Person", "human": "Person",
    "company": "Company", "business": "Company", "corporate": "Company", "corporation": "Company", "c": "Company",
    "organization": "Organization", "organisation": "Organization", "org": "Organization", "entity": "LegalEntity",
    "legalentity": "LegalEntity", "legal_entity": "LegalEntity", "vessel": "Vessel", "ship": "Vessel",
    "aircraft": "Airplane", "airplane": "Airplane",
}


class MappingError(TamizError):
    pass


def _norm(header: str) -> str:
    return header.strip().lower().replace(" ", "_").replace("-", "_").lstrip("\ufeff")


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Input column names per fact; None means not present (or: guess, before `resolve`)."""

    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    dob: str | None = None
    country: str | None = None
    id_number: str | None = None
    type: str | None = None
    key: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)

    def resolve(self, columns: Sequence[str], source: str = "input") -> "ColumnMapping":
        """Check given columns exist and fill the others from common header names."""
        available = list(columns)
        by_norm = {_norm(c): c for c in available}
        chosen: dict[str, str | None] = {}
        for f in fields(self):
            given = getattr(self, f.name)
            if given is not None:
                if given in available:
                    chosen[f.name] = given
                elif _norm(given) in by_norm:
                    chosen[f.name] = by_norm[_norm(given)]
                else:
                    raise MappingError(
                        f"{source}: no column {given!r} (for {f.name.replace('_', ' ')}); "
                        f"available columns: {', '.join(available) or 'none'}"
                    )
                continue
            chosen[f.name] = next((by_norm[c] for c in AUTO[f.name] if c in by_norm), None)
        out = ColumnMapping(**chosen)
        if out.name is None and out.first_name is None and out.last_name is None:
            raise MappingError(
                f"{source}: no name column found; name one with --name-col (or --first-name-col/--last-name-col); "
                f"available columns: {', '.join(available) or 'none'}"
            )
        return out

    def query(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The screening query of one row: name, schema, dob, country, id_number, key."""
        def get(col: str | None) -> str:
            if col is None:
                return ""
            value = row.get(col)
            return "" if value is None else str(value).strip()

        name = get(self.name)
        if not name:
            name = " ".join(p for p in (get(self.first_name), get(self.last_name)) if p)
        kind = get(self.type)
        schema = SCHEMA_WORDS.get(_norm(kind)) if kind else None
        return {
            "key": get(self.key),
            "name": name,
            "schema": schema,
            "dob": get(self.dob) or None,
            "country": get(self.country) or None,
            "id_number": get(self.id_number) or None,
        }
