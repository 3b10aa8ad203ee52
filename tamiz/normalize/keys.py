"""Lookup keys for one folded token: phonetic, consonant skeleton, single deletions."""

from __future__ import annotations

import re
from functools import lru_cache

from rigour.text.phonetics import metaphone

from tamiz.normalize.resources import name_equivalents

_VOWELS = re.compile(r"[aeiou]")
_DOUBLES = re.compile(r"(.)\1+")
_NO_VOWELS = str.maketrans("", "", "aeiou")

# Query-time caches of one token each. Every new customer name brings new tokens, so a cache is only
# flat once full: this size fills within minutes at a steady API rate and holds 1-2 MiB.
TOKEN_CACHE = 8192

# rigour memoises metaphone in its own 131,072-entry cache; ours below is the one bounded cache.
_metaphone = getattr(metaphone, "__wrapped__", metaphone)


def phonetic(token: str) -> str:
    """Metaphone key; empty for tokens too short or numeric to key meaningfully."""
    if len(token) < 3 or not token.isalpha():
        return ""  # decided before the cache: numbers and initials never take a slot
    return _phonetic(token)


@lru_cache(maxsize=TOKEN_CACHE)
def _phonetic(token: str) -> str:
    return _metaphone(token)


def skeleton(token: str) -> str:
    """First letter, then consonants only, doubles collapsed: "DAVALOS"/"DVLS" -> "dvls", "LILIANA"/"LLNA" -> "ln"."""
    if len(token) < 3 or not token.isalpha():
        return ""
    return _skeleton(token)


@lru_cache(maxsize=TOKEN_CACHE)
def _skeleton(token: str) -> str:
    skel = _DOUBLES.sub(r"\1", token[0] + _VOWELS.sub("", token[1:]))
    return skel if len(skel) >= 2 else ""


def is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


@lru_cache(maxsize=TOKEN_CACHE)
def vowel_ratio(token: str) -> float:
    return (len(token) - len(token.translate(_NO_VOWELS))) / max(1, len(token))


def deletes(token: str) -> set[str]:
    """Every string one deletion away (SymSpell): typos meet by dictionary lookup."""
    return {token[:i] + token[i + 1 :] for i in range(len(token))}


def equivalent(token: str) -> str:
    """Shared symbol for names that are one name across languages (Yusuf = Joseph)."""
    return name_equivalents().get(token, "")


# Letters a scanner or a tired eye takes for others: "rn" for "m", "l" for "i", "vv" for "w", "cl" for "d".
_MISREADS = (("rn", "m"), ("m", "rn"), ("vv", "w"), ("w", "vv"), ("cl", "d"), ("d", "cl"), ("l", "i"), ("i", "l"))


@lru_cache(maxsize=TOKEN_CACHE)
def ocr_variants(token: str) -> frozenset[str]:
    """The token with one misread undone ("AHRNED" -> "ahmed", "LL" -> "li", "il")."""
    out = set()
    for a, b in _MISREADS:
        at = token.find(a)
        while at >= 0:
            out.add(token[:at] + b + token[at + len(a):])
            at = token.find(a, at + 1)
    out.discard(token)
    return frozenset(out)
