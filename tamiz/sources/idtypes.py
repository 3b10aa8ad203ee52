"""Identifier labels as lists write them → normalised `Identifier.type` keys."""

from __future__ import annotations

import re

# Checked in order: the first pattern that matches the label decides.
_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("curp", re.compile(r"c\.?u\.?r\.?p", re.I)),
    ("rfc", re.compile(r"\br\.?f\.?c\b", re.I)),
    ("cedula", re.compile(r"c[eé]dula", re.I)),
    ("nit", re.compile(r"\bn\.?i\.?t\b", re.I)),
    ("ruc", re.compile(r"\br\.?u\.?c\b", re.I)),
    ("dni", re.compile(r"\bd\.?n\.?i\b", re.I)),
    ("ssn", re.compile(r"social security|\bssn\b", re.I)),
    ("passport", re.compile(r"pass(?:port|eport)|pasaporte", re.I)),
    ("drivers_license", re.compile(r"driv(?:er|ing)", re.I)),
    ("vat", re.compile(r"\bvat\b", re.I)),
    ("tax_id", re.compile(r"\btax\b|fiscal|\binn\b|\btin\b|taxpayer", re.I)),
    ("imo", re.compile(r"\bimo\b", re.I)),
    ("mmsi", re.compile(r"\bmmsi\b", re.I)),
    ("call_sign", re.compile(r"call sign", re.I)),
    ("swift_bic", re.compile(r"swift|\bbic\b", re.I)),
    ("duns", re.compile(r"d-?u-?n-?s", re.I)),
    ("lei", re.compile(r"\blei\b|legal entity (?:number|identifier)", re.I)),
    ("crypto_wallet", re.compile(r"digital currency|crypto|wallet", re.I)),
    ("email", re.compile(r"e-?mail", re.I)),
    ("website", re.compile(r"website|\burl\b", re.I)),
    ("phone", re.compile(r"phone|\btel\b|fax", re.I)),
    ("aircraft_serial", re.compile(r"aircraft.*serial|manufacturer.*serial|\bmsn\b", re.I)),
    ("aircraft_tail", re.compile(r"tail number|aircraft registration", re.I)),
    ("registration", re.compile(r"regist|company number|business number|\bogrn\b|\bkpp\b|\bokpo\b|license", re.I)),
    ("national_id", re.compile(r"national|identi|tazkira|\bid\b|citizen|personal|civil|voter|residen|birth certif|ration", re.I)),
]


def identifier_type(label: str | None) -> str:
    """The normalised type for a document label; "other" when nothing fits."""
    if not label:
        return "other"
    for key, pattern in _RULES:
        if pattern.search(label):
            return key
    return "other"
