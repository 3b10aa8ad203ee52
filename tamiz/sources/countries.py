"""Country text as lists write it → FollowTheMoney country code (ISO alpha-2, lower case).

FollowTheMoney already knows most of OFAC's spellings ("Korea, North", "Burma",
"Congo, Democratic Republic of the", "Palestinian"); this module only adds the
prefixes and qualifiers lists wrap around a country name ("Region: Crimea",
"possibly Palestinian") and the phrases that mean "no country".
"""

from __future__ import annotations

import re
from functools import lru_cache

from followthemoney.types import registry

# Phrases that state there is no (known) country: never a match.
_NO_COUNTRY = {"undetermined", "none identified", "unknown", "stateless", "-0-", ""}

# Spellings FollowTheMoney does not resolve, seen in OFAC, UN and UK lists.
_FALLBACKS: dict[str, str] = {
    "kafia kingi": "sd",  # area disputed by Sudan and South Sudan; OFAC lists it under Sudan programmes
    "crimea": "ua-cri",
    "cabo verde": "cv",
    "cape verde": "cv",
    "the gambia": "gm",
    "holy see": "va",
    "vatican city": "va",
    "east timor": "tl",
    "palestinian territories": "ps",
    "occupied palestinian territory": "ps",
    "republic of korea": "kr",
    "democratic people's republic of korea": "kp",
    "dprk": "kp",
    "ussr": "suhh",
}

_PREFIXES = re.compile(r"^(?:region|country|territory)\s*:\s*|^(?:possibly|probably|reportedly|formerly)\s+", re.I)


@lru_cache(maxsize=4096)
def country_code(text: str | None) -> str | None:
    """Return the FtM country code for `text`, or None when it names no country.

    Codes are lower-case ISO 3166-1 alpha-2 ("kp"), or FtM's own codes for
    places ISO does not cover ("xk" Kosovo, "ua-cri" Crimea, "suhh" USSR).
    """
    if text is None:
        return None
    value = " ".join(text.split()).strip(" .,;")
    if value.lower() in _NO_COUNTRY:
        return None
    for candidate in _candidates(value):
        code = registry.country.clean(candidate)
        if code:
            return code
        fallback = _FALLBACKS.get(candidate.lower())
        if fallback:
            return fallback
    return None


def _candidates(value: str) -> list[str]:
    out = [value]
    stripped = value
    while True:
        nxt = _PREFIXES.sub("", stripped).strip()
        if nxt == stripped:
            break
        stripped = nxt
        out.append(stripped)
    # "Cabo Verde.  Previously Cape Verde", "Sudan (Region: Kafia Kingi)"
    for part in re.split(r"\.\s+|\s*\(|\)\s*", stripped):
        part = _PREFIXES.sub("", part.strip(" .,;")).strip()
        if part and part not in out:
            out.append(part)
    return out


def country_codes(texts: list[str] | tuple[str, ...]) -> list[str]:
    """Codes for several texts, in order, without duplicates or unknowns."""
    out: list[str] = []
    for text in texts:
        code = country_code(text)
        if code and code not in out:
            out.append(code)
    return out
