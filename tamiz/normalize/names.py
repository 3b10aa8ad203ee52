"""Name analysis: one name string -> tagged, comparable parts.

Tags decide weight, not presence: a legal form, a title or a particle is still
compared, it just cannot carry a match on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache

from rigour.names.org_types import extract_org_types

from tamiz.normalize.resources import legal_fragments, legal_slips, particles, titles
from tamiz.normalize.text import fold_text

PERSON = "Person"
_ALIAS_MARKERS = frozenset({"aka", "fka", "nka", "alias", "also", "known", "as"})


class Tag(IntEnum):
    OTHER = 0  # organisation word or untagged person part
    GIVEN = 1
    FAMILY = 2
    PARTICLE = 3
    TITLE = 4
    LEGAL = 5


# How much of a token's rarity weight each tag keeps.
TAG_WEIGHT = {Tag.OTHER: 1.0, Tag.GIVEN: 1.0, Tag.FAMILY: 1.0, Tag.PARTICLE: 0.2, Tag.TITLE: 0.1, Tag.LEGAL: 0.15}


@dataclass(frozen=True, slots=True)
class NameParts:
    text: str  # folded full name
    tokens: tuple[str, ...]
    tags: tuple[Tag, ...]


def is_legal(token: str) -> bool:
    return token in legal_fragments()


def is_legal_slip(token: str) -> bool:
    """One slip away from a legal form: "S.Z." for "S.A.", "LTCA" for "LTDA", "LTD" for "LTDA"."""
    if not 2 <= len(token) <= 5:
        return False
    slips = legal_slips()
    if "-" + token in slips:
        return True
    if any(token[:i] + "?" + token[i + 1 :] in slips for i in range(len(token))):
        return True
    frags = legal_fragments()
    return len(token) >= 3 and any(token[:i] + token[i + 1 :] in frags for i in range(len(token)))


def _compact_legal_forms(text: str) -> str:
    """Write multi-word legal forms as one token ("s de rl de cv" -> "srlcv"), using rigour's catalogue
    but only for true legal forms: generic words ("charitable organization") stay as written."""
    frags = legal_fragments()
    for span, compare in extract_org_types(text):
        compact = compare.replace(" ", "")
        if compact in frags and " " in span:
            text = re.sub(rf"(?<![a-z0-9]){re.escape(span)}(?![a-z0-9])", compact, text)
    return text


@lru_cache(maxsize=4096)  # small: query names are mostly unique (~1% hits); full within minutes, then flat
def analyse(full: str, schema: str | None = None, given: str | None = None, family: str | None = None) -> NameParts:
    """Fold and tag a name. `schema` None means unknown (a query of any type)."""
    folded = fold_text(full)
    is_person = schema == PERSON
    text = folded if is_person else _compact_legal_forms(folded)
    tokens = [t for t in text.split() if t]
    # "a.k.a. Mencho" / "alias Mencho": the marker words are not part of the name.
    if len(tokens) > 1:
        stripped = [t for t in tokens if t not in _ALIAS_MARKERS or t == "as" and not tokens[0] == "aka"]
        if stripped and stripped != tokens and tokens[0] in _ALIAS_MARKERS:
            tokens = stripped
    given_set = set(fold_text(given).split()) if given else set()
    family_set = set(fold_text(family).split()) if family else set()
    parts, honor = particles(), titles()
    tags: list[Tag] = []
    n = len(tokens)
    for i, tok in enumerate(tokens):
        if not is_person and n > 1 and (
            is_legal(tok)
            or is_legal_slip(tok)
            and (i in (0, n - 1) or (i > 0 and is_legal(tokens[i - 1])) or (i + 1 < n and is_legal(tokens[i + 1])))
        ):
            tags.append(Tag.LEGAL)
        elif tok in honor and n > 1 and (i <= 1 or i >= n - 2):
            tags.append(Tag.TITLE)
        elif tok in parts and n > 1:
            tags.append(Tag.PARTICLE)
        elif tok in family_set:
            tags.append(Tag.FAMILY)
        elif tok in given_set:
            tags.append(Tag.GIVEN)
        else:
            tags.append(Tag.OTHER)
    return NameParts(text=" ".join(tokens), tokens=tuple(tokens), tags=tuple(tags))
