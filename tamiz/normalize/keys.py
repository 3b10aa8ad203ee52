"""Lookup keys for one folded token: phonetic, consonant skeleton, single deletions."""

from __future__ import annotations

import re
from functools import lru_cache

from rigour.text.phonetics import metaphone

from tamiz.normalize.resources import name_equivalents

_VOWELS = re.compile(r"[aeiou]")
_DOUBLES = re.compile(r"(.)\1+")


@lru_cache(maxsize=200_000)
def phonetic(token: str) -> str:
    """Metaphone key; empty for tokens too short or numeric to key meaningfully."""
    if len(token) < 3 or not token.isalpha():
        return ""
    return metaphone(token)


@lru_cache(maxsize=200_000)
def skeleton(token: str) -> str:
    """First letter, then consonants only, doubles collapsed: "DAVALOS"/"DVLS" -> "dvls", "LILIANA"/"LLNA" -> "ln"."""
    if len(token) < 3 or not token.isalpha():
        return ""
    skel = _DOUBLES.sub(r"\1", token[0] + _VOWELS.sub("", token[1:]))
    return skel if len(skel) >= 2 else ""


def is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def vowel_ratio(token: str) -> float:
    return len(_VOWELS.findall(token)) / max(1, len(token))


def deletes(token: str) -> set[str]:
    """Every string one deletion away (SymSpell): typos meet by dictionary lookup."""
    return {token[:i] + token[i + 1 :] for i in range(len(token))}


def equivalent(token: str) -> str:
    """Shared symbol for names that are one name across languages (Yusuf = Joseph)."""
    return name_equivalents().get(token, "")
