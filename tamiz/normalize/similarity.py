"""Similarity of two folded name tokens, with the reason it was judged similar.

Shared by the index (which checks the stand-ins it finds for a query word) and the scorer."""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz.distance import OSA

from tamiz.normalize.keys import equivalent, phonetic
from tamiz.normalize.keys import is_subsequence, ocr_variants, vowel_ratio

_VOWELS = str.maketrans("", "", "aeiou")


def _consonants(token: str) -> str:
    return token[0] + token[1:].translate(_VOWELS)


FLOOR = 0.65  # below this two tokens are simply different words


# Bounded on purpose: query names are mostly new, so a big cache only grows a server's memory.
# 1 << 16 pairs is ~13 MiB when full (1 << 17 was 27 MiB), full after ~2,000 new names, then flat;
# it still serves the pairs that recur across queries (every query also keeps its own pair cache).
@lru_cache(maxsize=1 << 16)
def token_similarity(q: str, c: str, last: bool = False) -> tuple[float, str]:
    if q == c:
        return 1.0, "exact"
    lq, lc = len(q), len(c)
    if lq == 1 or lc == 1:
        # An initial stands for a whole word; a lone letter against a letter is exact above.
        if q[0] == c[0] and (lq == 1) != (lc == 1):
            return 0.8, "initial"
        return 0.0, ""
    best, why = 0.0, ""
    longest = max(lq, lc)
    if abs(lq - lc) <= 1 and c in ocr_variants(q):
        best, why = 0.9, "misread"
    if longest == 2:
        return best, why
    if lq == 2 and last and c.startswith(q):
        return 0.7 + 0.3 * lq / lc, "prefix"
    dist = OSA.distance(q, c, score_cutoff=3)
    if dist <= 3:
        sim = 0.67 if longest == 3 and dist == 1 else 1.0 - dist / longest
        if sim > best:
            best, why = sim, "spelling"
    if best < 0.9 and (e := equivalent(q)) and e == equivalent(c):
        best, why = 0.9, "equivalent"
    if best < 0.88 and 4 * min(lq, lc) >= 3 * longest and vowel_ratio(q) >= 0.2 and vowel_ratio(c) >= 0.2 and (p := phonetic(q)) and p == phonetic(c) and len(p) >= 3:
        best, why = 0.88, "phonetic"
    if best < 0.85 and lq < lc and q[0] == c[0] and _consonants(q) == _consonants(c) and is_subsequence(q, c):
        best, why = 0.85, "vowels dropped"
    if lq >= 3 and lq < lc and c.startswith(q) and last:
        sim = 0.7 + 0.3 * lq / lc
        if sim > best:
            best, why = sim, "prefix"
    if best < FLOOR:
        return 0.0, ""
    return best, why
