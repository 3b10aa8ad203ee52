"""The same party on several lists, linked only by strong evidence.

A UN-listed person is usually also on the OFAC SDN and UK lists, under
slightly different spellings. An analyst wants one hit to say every list the
party is on, but a wrong link would put a party on a list it is not on, so a
link needs one of two kinds of evidence that names alone never give:

- `identifier`: the same identifier (same FtM identifier property, e.g. both
  passports, and the same value once spaces and punctuation are dropped).
  Short or repeated values ("0000", "12345"), contact details (phone, website,
  email) and values shared by several parties of one list are ignored, and
  numbers whose issuing countries are both stated and differ do not link.
- `name_dob`: the same schema, a name on each (primary or alias, weak aliases
  excluded) with equal token sets after accent and case folding ("AL-QAHTANI,
  Sheikh Farooq" = "Sheikh Farooq Al Qahtani"), and the same full date of
  birth to the day.

Links are direct (no transitive chains) and only between different datasets.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from normality import normalize

from tamiz.model import IDENTIFIER_TYPES, DatePrecision, Entity, NameKind

IGNORED_ID_PROPS = {"phone", "website", "email"}
MIN_ID_LENGTH = 5
# A number held by two parties of one list identifies neither of them; a name and
# date of birth may appear twice on one list when it lists the same party twice.
MAX_PER_DATASET = {"identifier": 1, "name_dob": 2}
_ORG_LIKE = {"Organization", "Company", "LegalEntity"}
_NON_ALNUM = re.compile(r"[^0-9A-Z]+")


@dataclass(frozen=True, slots=True)
class LinkEvidence:
    kind: str  # "identifier" | "name_dob"
    detail: str


def id_key(prop: str, value: str) -> str | None:
    """Normalised identifier value, or None when it is too weak to identify anyone."""
    if prop in IGNORED_ID_PROPS:
        return None
    norm = _NON_ALNUM.sub("", value.upper())
    if len(norm) < MIN_ID_LENGTH or len(set(norm)) <= 2:
        return None
    if norm.isdigit() and norm in "12345678901234567890" or norm in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        return None
    return norm


def name_key(text: str) -> tuple[str, ...] | None:
    """Order-, accent- and case-free token set; None for one-word names (too common)."""
    norm = normalize(text, lowercase=True, ascii=True) or ""
    tokens = tuple(sorted(set(norm.split())))
    return tokens if len(tokens) >= 2 else None


def _compatible(a: Entity, b: Entity) -> bool:
    if a.schema == b.schema or "LegalEntity" in (a.schema, b.schema):
        return True
    return a.schema in _ORG_LIKE and b.schema in _ORG_LIKE


class CrossLinks:
    """Links between entities of different datasets, with the evidence for each."""

    def __init__(self, evidence: dict[tuple[str, str], list[LinkEvidence]], datasets: dict[str, str]):
        self._evidence = evidence
        self._datasets = datasets
        self._links: dict[str, list[str]] = defaultdict(list)
        for a, b in sorted(evidence):
            self._links[a].append(b)
            self._links[b].append(a)

    @classmethod
    def build(cls, entities: Iterable[Entity]) -> CrossLinks:
        by_id: dict[str, Entity] = {}
        id_buckets: dict[tuple[str, str], list[tuple[Entity, str | None, str]]] = defaultdict(list)
        name_buckets: dict[tuple[str, tuple[str, ...], str], list[tuple[Entity, str, int]]] = defaultdict(list)
        for e in entities:
            by_id[e.id] = e
            seen_ids: set[tuple[str, str]] = set()
            for ident in e.identifiers:
                prop = IDENTIFIER_TYPES.get(ident.type, "idNumber")
                key = id_key(prop, ident.value)
                if key and (prop, key) not in seen_ids:
                    seen_ids.add((prop, key))
                    id_buckets[(prop, key)].append((e, ident.country, f"{ident.type} {ident.value}"))
            dobs = {d.start for d in e.birth_dates if d.precision == DatePrecision.DAY and not d.circa and d.start == d.end}
            if not dobs:
                continue
            seen_names: set[tuple[str, ...]] = set()
            for rank, name in enumerate(e.all_names()):
                if name.kind == NameKind.WEAK_ALIAS:
                    continue
                nkey = name_key(name.full)
                if nkey and nkey not in seen_names:
                    seen_names.add(nkey)
                    for dob in dobs:
                        name_buckets[(e.schema, nkey, dob)].append((e, name.full, rank))
        evidence: dict[tuple[str, str], list[LinkEvidence]] = defaultdict(list)
        for (prop, key), members in id_buckets.items():
            if not _usable([m[0] for m in members], MAX_PER_DATASET["identifier"]):
                continue
            for (a, ca, la), (b, cb, lb) in combinations(members, 2):
                if a.dataset == b.dataset or not _compatible(a, b) or (ca and cb and ca != cb):
                    continue
                _add(evidence, a, b, LinkEvidence("identifier", f"{prop} {key}: {la!r} on {a.id}, {lb!r} on {b.id}"))
        name_matches: dict[tuple[str, str], list[tuple[int, str, str, str]]] = defaultdict(list)
        for (schema, nkey, dob), members in name_buckets.items():
            if not _usable([m[0] for m in members], MAX_PER_DATASET["name_dob"]):
                continue
            for (a, na, ra), (b, nb, rb) in combinations(members, 2):
                if a.dataset != b.dataset:
                    a, b, na, nb = (a, b, na, nb) if a.id < b.id else (b, a, nb, na)
                    name_matches[(a.id, b.id)].append((ra + rb, na, nb, dob))
        for pair, found in name_matches.items():
            _, na, nb, dob = min(found)
            more = f" (+{len(found) - 1} more name/date pairs)" if len(found) > 1 else ""
            evidence.setdefault(pair, []).append(LinkEvidence("name_dob", f"named {na!r} / {nb!r}, both born {dob}{more}"))
        return cls(dict(evidence), {i: e.dataset for i, e in by_id.items()})

    def also_on(self, entity_id: str) -> list[str]:
        """Ids of the same party on other datasets (sorted)."""
        return list(self._links.get(entity_id, []))

    def datasets_for(self, entity_id: str) -> list[str]:
        """The other datasets the party is on (sorted, distinct)."""
        return sorted({self._datasets[i] for i in self._links.get(entity_id, [])})

    def evidence(self, a: str, b: str) -> list[LinkEvidence]:
        return list(self._evidence.get((a, b) if a < b else (b, a), []))

    def pairs(self) -> list[tuple[str, str]]:
        return sorted(self._evidence)

    def as_dict(self) -> dict[str, list[str]]:
        return {k: list(v) for k, v in sorted(self._links.items())}

    def __len__(self) -> int:
        return len(self._evidence)


def link_entities(entities: Iterable[Entity]) -> dict[str, list[str]]:
    """Entity id → ids of the same party on other datasets."""
    return CrossLinks.build(entities).as_dict()


def _usable(members: list[Entity], most: int) -> bool:
    per_dataset: dict[str, set[str]] = defaultdict(set)
    for e in members:
        per_dataset[e.dataset].add(e.id)
    return len(per_dataset) >= 2 and all(len(ids) <= most for ids in per_dataset.values())


def _add(evidence: dict[tuple[str, str], list[LinkEvidence]], a: Entity, b: Entity, item: LinkEvidence) -> None:
    pair = (a.id, b.id) if a.id < b.id else (b.id, a.id)
    if item not in evidence[pair]:
        evidence[pair].append(item)
