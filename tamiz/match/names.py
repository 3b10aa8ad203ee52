"""Aligned comparison of two analysed names.

Each query part is paired with at most one listed part (greedy on weighted
similarity, so the rarest agreeing parts anchor the alignment). Rarity comes
from the list itself: a part that few listed names share weighs more. The
score mixes how much of the query was found (coverage of the query) with how
much of the listed name was accounted for (coverage of the candidate); a query
that names only part of a long listed name scores lower than a full match but
can still match, while unexplained query parts pull hard towards "different
person".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tamiz.normalize import Tag
from tamiz.normalize.keys import vowel_ratio
from tamiz.match.tokens import token_similarity

WEAK = (Tag.PARTICLE, Tag.TITLE, Tag.LEGAL)
QUERY_EXPONENT = 0.7
CANDIDATE_EXPONENT = 0.3


@dataclass(slots=True)
class PartPair:
    query: str | None
    candidate: str | None
    similarity: float
    weight: float
    how: str  # exact, spelling, phonetic, initial, prefix, joined, ... or "" when unpaired


@dataclass(slots=True)
class NameComparison:
    score: float
    query_coverage: float
    candidate_coverage: float
    pairs: list[PartPair] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _merge_joined(a: list[str], at: list[int], b: set[str]) -> tuple[list[str], list[int], bool]:
    """Join neighbours of `a` whose concatenation is a word of `b` ("INVERSI ONES", "DE CAFE")."""
    changed = False
    i = 0
    out, out_tags = [], []
    while i < len(a):
        if i + 1 < len(a) and a[i] not in b and (a[i] + a[i + 1]) in b:
            out.append(a[i] + a[i + 1])
            out_tags.append(min(at[i], at[i + 1]))
            i += 2
            changed = True
        else:
            out.append(a[i])
            out_tags.append(at[i])
            i += 1
    return out, out_tags, changed


SimCache = dict[tuple[str, str, bool], tuple[float, str]]


def _could_join(a: list[str], b: list[str]) -> bool:
    joined = {x + y for x, y in zip(a, a[1:])}
    return not joined.isdisjoint(b)


def compare_parts(
    q_tokens: tuple[str, ...],
    q_tags: tuple[int, ...],
    c_tokens: tuple[str, ...],
    c_tags: tuple[int, ...],
    weight: Callable[[str, int], float],
    person: bool = False,
    c_weights: tuple[float, ...] | None = None,
    allowed: dict[str, frozenset[str]] | None = None,
    cache: SimCache | None = None,
) -> NameComparison:
    """`allowed` (from the index) limits fuzzy comparison to listed words the query word was found
    under; `cache` memoises word similarities across the candidates of one query."""
    qt, qg = list(q_tokens), list(q_tags)
    ct, cg = list(c_tokens), list(c_tags)
    joined = False
    cw: list[float] | None = list(c_weights) if c_weights is not None else None
    if _could_join(qt, ct):
        qt, qg, joined = _merge_joined(qt, qg, set(ct))
    if _could_join(ct, qt):
        ct, cg, j2 = _merge_joined(ct, cg, set(qt))
        joined = joined or j2
        cw = None
    nq, nc = len(qt), len(ct)
    if not nq or not nc:
        return NameComparison(0.0, 0.0, 0.0)
    if cw is None:
        cw = [weight(t, g) for t, g in zip(ct, cg)]
    options: list[tuple[float, float, int, int, str]] = []
    last = nq - 1
    if cache is None:
        cache = {}
    for i, q in enumerate(qt):
        ok = allowed.get(q) if allowed is not None else None
        # Short words and words written without vowels are compared with every listed word.
        short_q = len(q) < 3 or vowel_ratio(q) < 0.2
        is_last = i == last
        for j, c in enumerate(ct):
            if q == c:
                options.append((cw[j], 1.0, i, j, "exact"))
                continue
            if ok is not None and not short_q and len(c) > 1 and c not in ok and not is_last:
                continue
            key = (q, c, is_last)
            got = cache.get(key)
            if got is None:
                got = cache[key] = token_similarity(q, c, last=is_last)
            sim, how = got
            if sim > 0.0:
                options.append((sim * cw[j], sim, i, j, how))
    options.sort(reverse=True)
    used_q: dict[int, tuple[int, float, str]] = {}
    used_c: set[int] = set()
    for _, sim, i, j, how in options:
        if i in used_q or j in used_c:
            continue
        used_q[i] = (j, sim, how)
        used_c.add(j)
    pairs: list[PartPair] = []
    got = q_total = 0.0
    for i, q in enumerate(qt):
        if i in used_q:
            j, sim, how = used_q[i]
            w = cw[j]
            # A weak query part (title, particle) paired with a strong listed part keeps its own weight.
            if qg[i] in WEAK and cg[j] not in WEAK:
                w = min(w, weight(q, qg[i]))
            got += sim * w
            q_total += w
            pairs.append(PartPair(q, ct[j], sim, w, "joined" if joined and how == "exact" and (q not in q_tokens or ct[j] not in c_tokens) else how))
        else:
            w = weight(q, qg[i])
            if len(q) <= 2:
                w *= 0.3  # a stray letter or two says little against a match
            q_total += w
            pairs.append(PartPair(q, None, 0.0, w, ""))
    c_total = sum(cw)
    for j, c in enumerate(ct):
        if j not in used_c:
            pairs.append(PartPair(None, c, 0.0, cw[j], ""))
    if got <= 0.0 or q_total <= 0.0 or c_total <= 0.0:
        return NameComparison(0.0, 0.0, 0.0, pairs)
    qcov = min(1.0, got / q_total)
    ccov = min(1.0, got / c_total)
    score = qcov**QUERY_EXPONENT * ccov**CANDIDATE_EXPONENT
    notes: list[str] = []
    strong_matched = [p for p in pairs if p.query and p.candidate and p.similarity > 0]
    if person:
        given = [j for j, g in enumerate(cg) if g == Tag.GIVEN]
        family = [j for j, g in enumerate(cg) if g == Tag.FAMILY]
        if given and family:
            if not any(j in used_c for j in given):
                score *= 0.85
                notes.append("no given name matched")
            elif not any(j in used_c for j in family):
                score *= 0.85
                notes.append("no family name matched")
    strong_c = [j for j, g in enumerate(cg) if g not in WEAK]
    strong_hits = [j for j in strong_c if j in used_c]
    if len(strong_c) >= 2 and len(strong_hits) <= 1 and len(strong_matched) <= 1:
        score *= 0.9
        notes.append("only one name part in common")
    return NameComparison(min(1.0, score), qcov, ccov, pairs, notes)
