"""The most a name comparison could score, found without aligning the names.

Most candidates of an ordinary customer name share one word with it ("Maria Lopez"
against every listed MARIA); aligning each costs several times more than knowing it
cannot reach a near miss. The bound follows `compare_parts` step by step and only
ever rounds up: every word pair the scorer could make is assumed made, at the
similarity the index already measured when it found the word (or the scorer's own
memoised similarity where it did not), and only the penalties certain without an
alignment are taken.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

from tamiz.match.names import CANDIDATE_EXPONENT, QUERY_EXPONENT, SWAP_PENALTY, WEAK
from tamiz.match.tokens import token_similarity
from tamiz.normalize import Tag
from tamiz.normalize.keys import vowel_ratio

_NOTHING: dict[str, float] = {}


class QueryBound:
    """One analysed query name, prepared once for bounding its comparisons with many listed names."""

    __slots__ = ("tokens", "qset", "joins", "words")

    def __init__(self, tokens: tuple[str, ...], tags: Sequence[int], weights: Sequence[float],
                 found: Mapping[str, Mapping[str, float]] | None):
        self.tokens = tokens
        self.qset = frozenset(tokens)
        self.joins = frozenset(a + b for a, b in zip(tokens, tokens[1:]))
        last = len(tokens) - 1
        # Per query word: the word; the similarity of a listed word the index found it under; whether that
        # similarity holds here; whether it may pair with any listed word; the word itself again if it may be
        # cut short (the last word); its weight when unmatched, and as an extra word.
        self.words: list[tuple[str, Callable[[str], float | None], bool, bool, str | None, float, float]] = []
        for i, (q, g, w) in enumerate(zip(tokens, tags, weights)):
            ok = found.get(q) if found is not None else None
            if ok is not None and (len(q) < 3 or vowel_ratio(q) < 0.2):
                ok = None  # the scorer compares such words with every listed word
            # A cut-short word scores higher as a prefix: the index's similarity holds for the last word
            # only when the index looked it up as a last word.
            exact_sims = i != last or getattr(ok, "last", False)
            self.words.append((q, (ok if ok is not None else _NOTHING).get, exact_sims, ok is None,
                               q if i == last else None, w * (0.3 if len(q) <= 2 else 1.0),
                               w if len(q) > 2 and g not in WEAK else 0.0))

    def score(self, ct: tuple[str, ...], cg: Sequence[int], cw: Sequence[float], person: bool) -> float:
        """An upper bound of `compare_parts(...).score` against this listed name (1.0 when words may join)."""
        nc = len(ct)
        if not nc or not self.words:
            return 0.0
        if not self.joins.isdisjoint(ct):
            return 1.0
        qset = self.qset
        for k in range(nc - 1):
            if ct[k] + ct[k + 1] in qset:
                return 1.0
        reached_c = 0  # bit j: listed word j can pair with some query word
        got_q = unmatched = extra_q = 0.0
        n_reached = 0
        for q, get, exact_sims, anything, prefix, unmatched_w, extra_w in self.words:
            most = -1.0
            j = -1
            for c in ct:
                j += 1
                sim = get(c)  # the index measured it when it found the word
                if sim is None or not exact_sims:
                    # What the scorer compares beyond the index's words: short words, every listed word for
                    # a short query word, a cut-short last word's completions. Memoised, and seldom alike.
                    if sim is None and not (anything or len(c) <= 2 or (prefix is not None and c.startswith(prefix))):
                        continue
                    sim = token_similarity(q, c, last=prefix is not None)[0]
                    if sim <= 0.0:
                        continue
                reached_c |= 1 << j
                if sim * cw[j] > most:
                    most = sim * cw[j]
            if most >= 0.0:
                got_q += most
                n_reached += 1
            else:
                unmatched += unmatched_w
                extra_q += extra_w
        if not n_reached:
            return 0.0
        c_total, n_strong, given, family, extra_mask = _listed(ct, cg, cw)
        got_c = extra_c = 0.0
        for j in range(nc):
            if reached_c >> j & 1:
                got_c += cw[j]
            elif extra_mask >> j & 1:
                extra_c += cw[j]
        # Each listed word pairs with one query word at most, and each query word with one listed word.
        got = got_q if got_q < got_c else got_c
        if got <= 0.0 or c_total <= 0.0:
            return 0.0
        cov = got / c_total
        score = (got / (got + unmatched)) ** QUERY_EXPONENT * (cov if cov < 1.0 else 1.0) ** CANDIDATE_EXPONENT
        if person and given and family and (not given & reached_c or not family & reached_c):
            score *= 0.85  # no given (or no family) name reachable: the scorer's 0.85, whatever the alignment
        if extra_q > 0.0 and extra_c > 0.0 and SWAP_PENALTY > 0.0:
            score *= 1.0 - SWAP_PENALTY * min(extra_q, extra_c) / c_total
        if n_reached <= 1 and n_strong >= 2:
            score *= 0.9  # at most one query word can pair: "only one name part in common"
        return score if score < 1.0 else 1.0


@lru_cache(maxsize=1 << 15)
def _listed(ct: tuple[str, ...], cg: tuple[int, ...], cw: tuple[float, ...]) -> tuple[float, int, int, int, int]:
    """What a listed name brings whatever the query: total weight, strong words, and bit masks of its
    given names, family names and of the words that count as replaced when left unpaired."""
    total = 0.0
    strong = given = family = extra = 0
    for j, (c, g, w) in enumerate(zip(ct, cg, cw)):
        total += w
        if g not in WEAK:
            strong += 1
            if len(c) > 1:
                extra |= 1 << j
        if g == Tag.GIVEN:
            given |= 1 << j
        elif g == Tag.FAMILY:
            family |= 1 << j
    return total, strong, given, family, extra
