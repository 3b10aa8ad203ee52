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

from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass

from tamiz.match.tokens import token_similarity
from tamiz.normalize import Tag
from tamiz.normalize.keys import vowel_ratio

WEAK = (Tag.PARTICLE, Tag.TITLE, Tag.LEGAL)
QUERY_EXPONENT = 0.7
CANDIDATE_EXPONENT = 0.3
SWAP_PENALTY = 0.5  # share of the replaced word's weight taken off the score


@dataclass(slots=True)
class PartPair:
    query: str | None
    candidate: str | None
    similarity: float
    weight: float
    how: str  # exact, spelling, phonetic, initial, prefix, joined, ... or "" when unpaired


class NameComparison:
    """Score and coverages of one alignment; the part pairs are spelled out only when asked for
    (an explanation), since most comparisons of a query are never shown."""

    __slots__ = ("score", "query_coverage", "candidate_coverage", "notes", "_pairs", "_raw")

    def __init__(self, score: float, query_coverage: float, candidate_coverage: float,
                 pairs: list[PartPair] | None = None, notes: list[str] | None = None, raw: tuple | None = None):
        self.score = score
        self.query_coverage = query_coverage
        self.candidate_coverage = candidate_coverage
        self.notes = notes if notes is not None else []
        self._pairs = pairs
        self._raw = raw

    @property
    def pairs(self) -> list[PartPair]:
        if self._pairs is None:
            self._pairs = _pairs(*self._raw) if self._raw is not None else []
        return self._pairs


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


def _could_join(a: Sequence[str], b: Sequence[str]) -> bool:
    return any(x + y in b for x, y in zip(a, a[1:]))


def _pairs(qt, qg, ct, cg, cw, used_q, used_c, joined, q_tokens, c_tokens, weight) -> list[PartPair]:
    pairs: list[PartPair] = []
    for i, q in enumerate(qt):
        if i in used_q:
            j, sim, how = used_q[i]
            w = cw[j]
            if qg[i] in WEAK and cg[j] not in WEAK:
                w = min(w, weight(q, qg[i]))
            rejoined = joined and how == "exact" and (q not in q_tokens or ct[j] not in c_tokens)
            pairs.append(PartPair(q, ct[j], sim, w, "joined" if rejoined else how))
        else:
            w = weight(q, qg[i])
            if len(q) <= 2:
                w *= 0.3
            pairs.append(PartPair(q, None, 0.0, w, ""))
    for j, c in enumerate(ct):
        if j not in used_c:
            pairs.append(PartPair(None, c, 0.0, cw[j], ""))
    return pairs


def compare_parts(
    q_tokens: tuple[str, ...],
    q_tags: tuple[int, ...],
    c_tokens: tuple[str, ...],
    c_tags: tuple[int, ...],
    weight: Callable[[str, int], float],
    person: bool = False,
    c_weights: tuple[float, ...] | None = None,
    allowed: Mapping[str, Container[str]] | None = None,
    cache: SimCache | None = None,
    q_weights: Sequence[float] | None = None,
) -> NameComparison:
    """`allowed` (from the index) limits fuzzy comparison to listed words the query word was found
    under; `cache` memoises word similarities across the candidates of one query."""
    qt, qg = q_tokens, q_tags
    ct, cg = c_tokens, c_tags
    joined = False
    cw: Sequence[float] | None = c_weights
    if _could_join(qt, ct):
        qt, qg, joined = _merge_joined(list(qt), list(qg), set(ct))
    if _could_join(ct, qt):
        ct, cg, j2 = _merge_joined(list(ct), list(cg), set(qt))
        joined = joined or j2
        cw = None
    nq, nc = len(qt), len(ct)
    if not nq or not nc:
        return NameComparison(0.0, 0.0, 0.0)
    # The query's own word weights are the same for every candidate: the caller computes them once.
    qw = q_weights if q_weights is not None and qt is q_tokens else [weight(t, g) for t, g in zip(qt, qg)]
    if cw is None:
        cw = [weight(t, g) for t, g in zip(ct, cg)]
    options: list[tuple[float, float, int, int, str]] = []
    last = nq - 1
    if cache is None:
        cache = {}
    for i, q in enumerate(qt):
        ok = allowed.get(q) if allowed is not None else None
        # Short words and words written without vowels are compared with every listed word.
        is_last = i == last
        # The last word may be cut short: beyond what the index found, its completions are compared.
        check = ok is not None and not (len(q) < 3 or vowel_ratio(q) < 0.2)
        for j, c in enumerate(ct):
            if q == c:
                options.append((cw[j], 1.0, i, j, "exact"))
                continue
            if check and c not in ok and len(c) > 2 and not (is_last and c.startswith(q)):
                continue
            key = (q, c, is_last)
            got = cache.get(key)
            if got is None:
                got = cache[key] = token_similarity(q, c, last=is_last)
            if got[0] > 0.0:
                options.append((got[0] * cw[j], got[0], i, j, got[1]))
    options.sort(reverse=True)
    used_q: dict[int, tuple[int, float, str]] = {}
    used_c: set[int] = set()
    for _, sim, i, j, how in options:
        if i in used_q or j in used_c:
            continue
        used_q[i] = (j, sim, how)
        used_c.add(j)
    got = q_total = extra_q = 0.0
    n_matched = 0
    for i, q in enumerate(qt):
        pair = used_q.get(i)
        if pair is None and len(q) > 2 and qg[i] not in WEAK:
            extra_q += qw[i]
        if pair is not None:
            j, sim, how = pair
            w = cw[j]
            # A weak query part (title, particle) paired with a strong listed part keeps its own weight.
            if qg[i] in WEAK and cg[j] not in WEAK:
                w = min(w, qw[i])
            got += sim * w
            q_total += w
            n_matched += sim > 0
        else:
            w = qw[i]
            if len(q) <= 2:
                w *= 0.3  # a stray letter or two says little against a match
            q_total += w
    c_total = sum(cw)
    raw = (qt, qg, ct, cg, cw, used_q, used_c, joined, q_tokens, c_tokens, weight)
    if got <= 0.0 or q_total <= 0.0 or c_total <= 0.0:
        return NameComparison(0.0, 0.0, 0.0, raw=raw)
    qcov = min(1.0, got / q_total)
    ccov = min(1.0, got / c_total)
    score = qcov**QUERY_EXPONENT * ccov**CANDIDATE_EXPONENT
    notes: list[str] = []
    if person and Tag.GIVEN in cg and Tag.FAMILY in cg:
        given = [j for j, g in enumerate(cg) if g == Tag.GIVEN]
        family = [j for j, g in enumerate(cg) if g == Tag.FAMILY]
        if not any(j in used_c for j in given):
            score *= 0.85
            notes.append("no given name matched")
        elif not any(j in used_c for j in family):
            score *= 0.85
            notes.append("no family name matched")
    if extra_q > 0.0 and SWAP_PENALTY > 0.0:
        # A distinctive listed word replaced by another word is a different party, not a typo.
        extra_c = sum(cw[j] for j, g in enumerate(cg) if j not in used_c and g not in WEAK and len(ct[j]) > 1)
        if extra_c > 0.0:
            score *= 1.0 - SWAP_PENALTY * min(extra_q, extra_c) / c_total
            notes.append("a word of the listed name is replaced by another")
    if n_matched == 1 and len(used_q) == 1:
        # The whole likeness rests on one word that is only similar ("ARCE" ~ "ARIES"): it counts as much.
        (_, sim, how), = used_q.values()
        if how in ("phonetic", "spelling") and sim < 0.9:
            score *= sim * sim if how == "phonetic" else sim  # sounding alike is the looser likeness
            notes.append("the only word in common is spelled differently")
    if n_matched <= 1:
        strong_c = [j for j, g in enumerate(cg) if g not in WEAK]
        if len(strong_c) >= 2 and sum(j in used_c for j in strong_c) <= 1:
            score *= 0.9
            notes.append("only one name part in common")
    return NameComparison(min(1.0, score), qcov, ccov, None, notes, raw)
