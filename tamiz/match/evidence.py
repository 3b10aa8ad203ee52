"""Evidence beyond the name: entity type, date of birth, country, gender, identifiers.

Each returns Features whose value is in [-1, 1] (negative counts against) and
whose weight comes from the (overridable) weight table; the matcher adds
value × weight to the name score.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from tamiz.match.results import Feature
from tamiz.model import Entity, FuzzyDate, Identifier

DEFAULT_WEIGHTS: dict[str, float] = {
    "name": 1.0,
    "dob_match": 0.04,
    "dob_year_match": 0.02,
    "dob_clash": 0.35,
    "country_match": 0.02,
    "country_clash": 0.06,
    "gender_clash": 0.15,
    "identifier_match": 1.0,
    "identifier_clash": 0.15,
    "weak_alias": 0.04,
    "legal_form_person": 0.2,
}

_ORG_LIKE = {"Organization", "Company", "LegalEntity"}


def schema_compatible(query: str | None, candidate: str) -> bool:
    """Person never meets Vessel; Company and Organization are one kind of party."""
    if query is None or query == candidate:
        return True
    if query == "LegalEntity":
        return candidate in _ORG_LIKE or candidate == "Person"
    if candidate == "LegalEntity":
        return query in _ORG_LIKE or query == "Person"
    return query in _ORG_LIKE and candidate in _ORG_LIKE


def legal_form_features(legal_form: str | None, candidate_is_person: bool, w: dict[str, float]) -> list[Feature]:
    """A query ending in a legal form ("ROCK S.A.") names a company, never a person: a listed person
    sharing its other words is shown, but as a near miss (companies named after their owner exist)."""
    if not legal_form or not candidate_is_person:
        return []
    return [Feature("legal_form_person", -1.0, w["legal_form_person"], legal_form, None,
                    f"query ends in the legal form {legal_form} but the listed party is a person")]


def _years(value: str) -> tuple[int, int] | None:
    m = re.match(r"(\d{4})", value)
    return (int(m.group(1)), int(m.group(1))) if m else None


def dob_features(query_dates: Sequence[str], listed: Sequence[FuzzyDate], w: dict[str, float]) -> list[Feature]:
    if not query_dates or not listed:
        return []
    best: tuple[int, str, str] | None = None  # (rank, query, listed) 3 = day match, 2 = month, 1 = year
    nearest_gap = None
    pair_for_gap: tuple[str, str] | None = None
    for q in query_dates:
        q = q.strip()
        if not _years(q):
            continue
        qy = int(q[:4])
        for d in listed:
            years = d.years
            if qy in years:
                # Same year (or within a listed range): how far do the finer parts agree?
                common = min(len(q), len(d.start)) if d.start == d.end else 4
                if common > 4 and q[:common] != d.start[:common]:
                    gap = 0
                    if nearest_gap is None or gap < nearest_gap:
                        nearest_gap, pair_for_gap = gap, (q, d.text)
                    continue
                rank = {10: 3, 7: 2}.get(common, 1)
                if best is None or rank > best[0]:
                    best = (rank, q, d.text)
            else:
                gap = min(abs(qy - y) for y in (years.start, years.stop - 1))
                if gap <= 1 and len(q) == 10 and d.start == d.end and len(d.start) == 10 and q[5:] != d.start[5:]:
                    gap = 2  # a different day in another year is no year typo: a full clash
                if nearest_gap is None or gap < nearest_gap:
                    nearest_gap, pair_for_gap = gap, (q, d.text)
    if best:
        rank, q, t = best
        if rank >= 2:
            return [Feature("dob_match", 1.0, w["dob_match"], q, t, f"date of birth {q} matches listed {t}")]
        return [Feature("dob_year_match", 1.0, w["dob_year_match"], q, t, f"year of birth {q[:4]} matches listed {t}")]
    if pair_for_gap:
        q, t = pair_for_gap
        # A day clash within the same year or a one-year gap is weaker than a decade apart.
        value = -0.5 if (nearest_gap or 0) <= 1 else -1.0
        return [Feature("dob_clash", value, w["dob_clash"], q, t, f"date of birth {q} differs from listed {t}")]
    return []


def listed_countries(entity: Entity) -> set[str]:
    out = set(entity.nationalities) | set(entity.citizenships) | set(entity.countries)
    out |= {a.country for a in entity.addresses if a.country}
    return out


def country_features(query: Sequence[str], entity: Entity, w: dict[str, float]) -> list[Feature]:
    if not query:
        return []
    listed = listed_countries(entity)
    if not listed:
        return []
    common = set(query) & listed
    if common:
        c = sorted(common)[0]
        return [Feature("country_match", 1.0, w["country_match"], c, c, f"country {c} matches")]
    q, l = ",".join(sorted(query)), ",".join(sorted(listed))
    return [Feature("country_clash", -1.0, w["country_clash"], q, l, f"country {q} differs from listed {l}")]


def gender_features(query: str | None, entity: Entity, w: dict[str, float]) -> list[Feature]:
    if not query or not entity.gender or query.lower()[:1] == entity.gender.lower()[:1]:
        return []
    return [Feature("gender_clash", -1.0, w["gender_clash"], query, entity.gender, f"gender {query} differs from listed {entity.gender}")]


def clean_id(value: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", value).upper()


def identifier_features(query: Iterable[str | Identifier], entity: Entity, w: dict[str, float]) -> list[Feature]:
    if not query or not entity.identifiers:
        return []
    listed = [(clean_id(i.value), i) for i in entity.identifiers]
    typed_clash: Feature | None = None
    for item in query:
        value = clean_id(item.value if isinstance(item, Identifier) else item)
        if len(value) < 4:
            continue
        for lv, ident in listed:
            if lv == value:
                label = ident.label or ident.type
                return [Feature("identifier_match", 1.0, w["identifier_match"], value, lv, f"{label} {lv} matches")]
        if isinstance(item, Identifier) and typed_clash is None:
            same = [lv for lv, ident in listed if ident.type == item.type]
            if same:
                typed_clash = Feature("identifier_clash", -1.0, w["identifier_clash"], value, same[0],
                                      f"{item.type} {value} differs from listed {same[0]}")
    return [typed_clash] if typed_clash else []
