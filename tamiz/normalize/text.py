"""Text folding: from whatever a user, a payment message or a list wrote to plain ASCII tokens.

Order matters. Invisible characters go first (they split words for the eye but
not for a machine), then look-alike letters of other scripts are folded inside
mostly-Latin words *before* transliteration (otherwise Cyrillic "Н" in "НO"
would become "N"), then whole words in other scripts are transliterated by ICU
(via normality), then digits typed for letters are undone in words that are
mostly letters.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from normality import ascii_text

from tamiz.normalize.resources import char_map

# Characters that render as nothing (or as a plain space) but break words apart.
_INVISIBLE_CATEGORIES = {"Cf", "Cc", "Cs", "Co", "Cn", "Mn", "Me"}
_APOSTROPHES = "'`´‘’ʼʻʿʾ′"
_ASCII_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")
_SPLITTERS = re.compile(r"[\s\-‐‑‒–—―_/\\,;:()\[\]{}<>\"“”«»!?*+=&#%^~]+")


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalpha() or "LATIN" in unicodedata.name(ch, "")


def _strip_invisible(text: str) -> str:
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Zs", "Zl", "Zp"):
            out.append(" ")
        elif cat == "Cc" and ch in "\t\n\r":
            out.append(" ")
        elif cat not in _INVISIBLE_CATEGORIES or cat in ("Mn", "Me"):
            out.append(ch)
    return "".join(out)


def _fold_homoglyphs(text: str) -> str:
    """Fold Cyrillic/Greek look-alikes inside words that are (or sit among) Latin words."""
    glyphs = char_map("homoglyphs.tsv")
    if not any(ch in glyphs for ch in text):
        return text
    words = text.split(" ")
    latin_words = sum(1 for w in words if any(_is_latin(c) for c in w))
    out = []
    for word in words:
        letters = [c for c in word if c.isalpha()]
        if not letters:
            out.append(word)
            continue
        foreign = [c for c in letters if not _is_latin(c)]
        mixed = 0 < len(foreign) < len(letters)
        all_lookalike = all(c in glyphs for c in foreign)
        # A wholly-foreign word is a look-alike disguise only when every letter has a
        # Latin twin and the name around it is written in Latin.
        if foreign and all_lookalike and (mixed or latin_words > 0):
            word = "".join(glyphs.get(c, c) for c in word)
        out.append(word)
    return " ".join(out)


def _undo_digit_swaps(token: str) -> str:
    """Symbols typed for letters (@ $ |) always fold inside a word; digits only where
    letters are at least as many, so "MS 13" keeps its number. Folding its own output
    changes nothing: symbols are gone after one pass and digits never return."""
    swaps = char_map("digit_swaps.tsv")
    if not any(c.isalpha() for c in token) or not any(c in swaps for c in token):
        return token
    token = "".join(swaps[c] if c in swaps and not c.isdigit() else c for c in token)
    digits = sum(c in swaps for c in token)
    if digits == 0 or sum(c.isalpha() for c in token) < digits:
        return token
    return "".join(swaps.get(c, c) for c in token)


@lru_cache(maxsize=8192)  # small: query strings are mostly unique; full within minutes, then flat
def fold_text(text: str) -> str:
    """Lower-case ASCII words separated by single spaces; punctuation folded away."""
    if text.isascii():
        # Plain ASCII (most queries): only control characters and apostrophes to drop.
        text = _ASCII_CONTROLS.sub(lambda m: " " if m.group() in "\t\n\r" else "", text).replace("`", "")
    else:
        text = unicodedata.normalize("NFKC", text)
        text = _strip_invisible(text)
        text = _fold_homoglyphs(text)
        for ch in _APOSTROPHES:
            text = text.replace(ch, "")
        text = ascii_text(text) or ""
    text = text.lower()
    text = text.replace("'", "").replace(".", "")
    text = _SPLITTERS.sub(" ", text)
    # Digit/symbol swaps are undone per word, so "MS-13" keeps its number.
    text = " ".join(_undo_digit_swaps(word) for word in text.split())
    text = re.sub(r"[^a-z0-9 ]+", "", text)
    return " ".join(text.split())
