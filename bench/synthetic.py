"""A large synthetic list from real name parts, to show how screening cost grows with list size.

Persons recombine given names and family names taken from the SDN's
individuals; organisations recombine words and legal-form endings from its
companies and organisations. Each synthetic party draws its number of names,
its date of birth and its nationality from a real one, so token frequencies and
name counts look like a real list's, not like random strings.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from tamiz.model import Entity, FuzzyDate, Name, NameKind


class _Parts:
    def __init__(self, entities: Sequence[Entity]):
        self.given: list[str] = []
        self.family: list[str] = []
        self.org_words: list[str] = []
        self.org_forms: list[str] = []
        self.name_counts: dict[str, list[int]] = {"Person": [], "Organization": []}
        self.dobs: list[FuzzyDate] = []
        self.nationalities: list[str] = []
        for e in entities:
            names = e.all_names()
            if e.schema == "Person":
                self.name_counts["Person"].append(len(names))
                self.dobs += e.birth_dates
                self.nationalities += e.nationalities
                for n in names:
                    given, family = n.given, n.family
                    if not (given and family):  # lists without name parts: "SURNAME, Given" or "Given ... Surname"
                        if "," in n.full:
                            family, given = (x.strip() for x in n.full.split(",", 1))
                        elif len(n.full.split()) >= 2:
                            given, family = n.full.rsplit(None, 1)
                    if given and family:
                        self.given.append(given)
                        self.family.append(family)
            elif e.schema in ("Company", "Organization"):
                self.name_counts["Organization"].append(len(names))
                for n in names:
                    words = n.full.replace(",", " ").split()
                    if len(words) >= 2:
                        self.org_forms.append(words[-1])
                        self.org_words += words[:-1]
        if not self.given or not self.org_words:
            raise ValueError("need SDN persons with given/family names and organisations to recombine")


def synthetic_entities(real: Sequence[Entity], n: int, seed: int = 20260301, person_share: float = 0.55) -> list[Entity]:
    """`n` synthetic parties (ids `synthetic:<i>`) recombined from the name parts of `real`."""
    parts = _Parts(real)
    rng = random.Random(seed)
    out: list[Entity] = []
    for i in range(n):
        if rng.random() < person_share:
            names = []
            for k in range(rng.choice(parts.name_counts["Person"])):
                given, family = rng.choice(parts.given), rng.choice(parts.family)
                names.append(Name(f"{family}, {given}", NameKind.PRIMARY if k == 0 else NameKind.ALIAS, given, family))
            out.append(Entity(id=f"synthetic:{i}", dataset="synthetic", schema="Person", caption=names[0].full,
                              names=names, birth_dates=[rng.choice(parts.dobs)] if parts.dobs and rng.random() < 0.7 else [],
                              nationalities=[rng.choice(parts.nationalities)] if parts.nationalities and rng.random() < 0.5 else []))
        else:
            names = []
            for k in range(rng.choice(parts.name_counts["Organization"])):
                words = [rng.choice(parts.org_words) for _ in range(rng.randint(1, 3))]
                names.append(Name(" ".join(words + [rng.choice(parts.org_forms)]), NameKind.PRIMARY if k == 0 else NameKind.ALIAS))
            out.append(Entity(id=f"synthetic:{i}", dataset="synthetic", schema="Company", caption=names[0].full, names=names))
    return out
