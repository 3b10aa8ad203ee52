"""Facts a message implies without stating them: a country from a BIC or an
address line, a party kind from a legal form in its name."""

from __future__ import annotations

import re

from rigour.names import extract_org_types

from tamiz.sources.countries import country_code

_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
_WORD = re.compile(r"[^\W\d_]{4,}")


def is_bic(text: str) -> bool:
    return bool(_BIC.match(text.strip().upper()))


def bic_country(bic: str | None) -> str | None:
    """Positions 5-6 of a BIC are the ISO country of the institution."""
    if not bic or not is_bic(bic):
        return None
    return country_code(bic.strip().upper()[4:6])


def address_country(lines: list[str]) -> str | None:
    """The country an unstructured address ends with ("LAGOS NIGERIA" -> ng).

    Only the last line and only whole words of four letters or more are tried
    (from the end, pairs first), so "NY" or a street name does not become a
    country by accident.
    """
    if not lines:
        return None
    words = _WORD.findall(lines[-1])
    for end in range(len(words), 0, -1):
        for size in (2, 1):
            if end - size < 0:
                continue
            code = country_code(" ".join(words[end - size : end]))
            if code:
                return code
    return None


def iso_country(text: str | None) -> str | None:
    if not text:
        return None
    return country_code(text.strip())


def name_kind(name: str | None) -> str:
    """"organization" when the name carries a legal form (SA, LP, GmbH...)."""
    if name and extract_org_types(name):
        return "organization"
    return "unknown"
