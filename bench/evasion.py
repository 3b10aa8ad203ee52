#!/usr/bin/env python
"""Evasion recall: real SDN names disguised the ways a sender can type them.

    python bench/evasion.py [--sample 150] [--seed 7] [--db PATH]

Takes a seeded sample of persons and organisations from the packaged OFAC SDN
snapshot (Spanish two-surname names and the CJNG / Sinaloa cartel entities
always included), applies each evasion class to the listed name, screens it
with `Screener.screen`, and prints per class the share of disguised names for
which the listed party still comes back with match=True. The same functions
back tests/security/test_evasion.py.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CYRILLIC = dict(zip("aceopxyABEHKMOPCTX", "асеорхуАВЕНКМОРСТХ"))
GREEK = dict(zip("ABEZHIKMNOPTYXo", "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧο"))
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\ufeff", "\u00ad"]
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
COMBINING = ["\u0301", "\u0300", "\u0308", "\u0327", "\u0303", "\u0331", "\u0323"]
LEET = {"o": "0", "i": "1", "l": "1", "e": "3", "a": "4", "s": "5", "t": "7"}
LEET_SYMBOLS = {"a": "@", "s": "$"}
FORCED = ("CARTEL DE JALISCO NUEVA GENERACION", "CARTEL DE SINALOA", "GUZMAN LOERA", "LOS CUINIS")

Evasion = Callable[[str, random.Random], str]


def _letters(text: str) -> list[int]:
    return [i for i, c in enumerate(text) if c.isalpha()]


def _swap(table: dict[str, str], share: float) -> Evasion:
    def apply(text: str, rng: random.Random) -> str:
        chars = list(text)
        candidates = [i for i, c in enumerate(chars) if c in table or c.upper() in table]
        for i in rng.sample(candidates, max(1, int(len(candidates) * share))) if candidates else []:
            c = chars[i]
            chars[i] = table.get(c) or table[c.upper()]
        return "".join(chars)

    return apply


def _insert(pool: list[str], every: int) -> Evasion:
    def apply(text: str, rng: random.Random) -> str:
        out = []
        for i, c in enumerate(text):
            out.append(c)
            if c.isalpha() and i % every == every - 1:
                out.append(rng.choice(pool))
        return "".join(out)

    return apply


def case_games(text: str, rng: random.Random) -> str:
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in text)


def full_width(text: str, rng: random.Random) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in text)


def _longest_token(text: str) -> tuple[int, int]:
    best = (0, 0)
    for token in text.replace(",", " ").split():
        start = text.find(token)
        if len(token) > best[1] - best[0]:
            best = (start, start + len(token))
    return best


def dotted(text: str, rng: random.Random) -> str:
    """G.U.Z.M.A.N: the longest word spelled out with dots."""
    a, b = _longest_token(text)
    return text[:a] + ".".join(text[a:b]) + text[b:]


def split_word(text: str, rng: random.Random) -> str:
    """GUZ MAN: a space inside the longest word."""
    a, b = _longest_token(text)
    if b - a < 4:
        return text
    cut = a + (b - a) // 2
    return text[:cut] + " " + text[cut:]


def inner_punctuation(text: str, rng: random.Random) -> str:
    """GUZ-MAN, LO_ERA, JOA'QUIN: a stray symbol inside words."""
    out = []
    for token in text.split(" "):
        if len(token) >= 5:
            cut = rng.randrange(2, len(token) - 2)
            token = token[:cut] + rng.choice("-_'.*/") + token[cut:]
        out.append(token)
    return " ".join(out)


def leetspeak(text: str, rng: random.Random) -> str:
    """One letter per word typed as a digit: GUZM4N, L0ERA."""
    out = []
    for token in text.split(" "):
        spots = [i for i, c in enumerate(token) if c.lower() in LEET]
        if spots and len(token) >= 4:
            i = rng.choice(spots)
            token = token[:i] + LEET[token[i].lower()] + token[i + 1 :]
        out.append(token)
    return " ".join(out)


def leet_symbols(text: str, rng: random.Random) -> str:
    """@ for a, $ for s, once per word where possible."""
    out = []
    for token in text.split(" "):
        spots = [i for i, c in enumerate(token) if c.lower() in LEET_SYMBOLS]
        if spots:
            i = rng.choice(spots)
            token = token[:i] + LEET_SYMBOLS[token[i].lower()] + token[i + 1 :]
        out.append(token)
    return " ".join(out)


def mixed_scripts(text: str, rng: random.Random) -> str:
    """Cyrillic, Greek and full-width look-alikes mixed in one name."""
    chars = list(text)
    for i in _letters(text):
        r = rng.random()
        c = chars[i]
        if r < 0.2 and (c in CYRILLIC or c.upper() in CYRILLIC):
            chars[i] = CYRILLIC.get(c) or CYRILLIC[c.upper()]
        elif r < 0.4 and c in GREEK:
            chars[i] = GREEK[c]
        elif r < 0.5:
            chars[i] = chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c
    return "".join(chars)


def combined(text: str, rng: random.Random) -> str:
    """Three disguises at once: homoglyphs, zero-width characters, case games."""
    return case_games(_insert(ZERO_WIDTH, 3)(_swap(CYRILLIC, 0.3)(text, rng), rng), rng)


EVASIONS: dict[str, Evasion] = {
    "none": lambda text, rng: text,
    "case_games": case_games,
    "homoglyph_cyrillic": _swap(CYRILLIC, 0.5),
    "homoglyph_greek": _swap(GREEK, 0.5),
    "full_width": full_width,
    "zero_width": _insert(ZERO_WIDTH, 2),
    "bidi_controls": _insert(BIDI, 3),
    "combining_marks": _insert(COMBINING, 2),
    "dotted_letters": dotted,
    "split_word": split_word,
    "inner_punctuation": inner_punctuation,
    "leet_digits": leetspeak,
    "leet_symbols": leet_symbols,
    "mixed_scripts": mixed_scripts,
    "combined": combined,
}


@dataclass(frozen=True)
class Target:
    id: str
    name: str
    schema: str


def sample_targets(entities: list, size: int = 150, seed: int = 7) -> list[Target]:  # type: ignore[type-arg]
    """Seeded sample: forced cartel/Spanish names first, then persons and organisations."""
    rng = random.Random(seed)
    people = [e for e in entities if e.schema == "Person"]
    orgs = [e for e in entities if e.schema in ("Organization", "Company", "LegalEntity")]
    forced = [e for e in entities if any(f in e.caption.upper() for f in FORCED)]
    # Spanish two-surname names: narcotics (SDNTK) persons whose surname part has two words.
    spanish = [e for e in people if "SDNTK" in e.programs and len(e.caption.split(",")[0].split()) == 2]
    picked: dict[str, object] = {e.id: e for e in forced}
    for pool, share in ((spanish, 0.3), (people, 0.35), (orgs, 0.35)):
        want = int(size * share)
        for e in rng.sample(pool, min(len(pool), want * 2)):
            if len([x for x in picked.values()]) >= size or want <= 0:
                break
            if e.id not in picked:
                picked[e.id] = e
                want -= 1
    return [Target(e.id, e.caption, e.schema) for e in list(picked.values())[:size]]  # type: ignore[attr-defined]


def query_name(caption: str) -> str:
    """How a sender would write the listed name: "GUZMAN LOERA, Joaquin" → "Joaquin GUZMAN LOERA"."""
    if caption.count(",") == 1:
        family, given = (p.strip() for p in caption.split(","))
        if given and family:
            return f"{given} {family}"
    return caption


def measure(screener, targets: list[Target], seed: int = 7) -> dict[str, tuple[int, int, list[str]]]:  # type: ignore[no-untyped-def]
    """Per evasion class: (found, total, examples of misses)."""
    out: dict[str, tuple[int, int, list[str]]] = {}
    for cls, evade in EVASIONS.items():
        rng = random.Random(f"{seed}:{cls}")
        found, missed = 0, []
        for t in targets:
            disguised = unicodedata.normalize("NFC", evade(query_name(t.name), rng))
            result = screener.screen_query(_query(disguised), limit=10, audit=False)
            if any(h.id == t.id and h.match for h in result.results):
                found += 1
            else:
                missed.append(disguised)
        out[cls] = (found, len(targets), missed)
    return out


def _query(name: str):  # type: ignore[no-untyped-def]
    from tamiz.match import Query

    return Query(name=name)


def open_screener(db: str | None = None):  # type: ignore[no-untyped-def]
    from tamiz.screen.screener import Screener

    return Screener.open(db, datasets=["us_ofac_sdn"], audit=False)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Recall of real SDN names under evasion.")
    ap.add_argument("--sample", type=int, default=150)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--db", default=None, help="database (default: a fresh one with the packaged SDN snapshot)")
    ap.add_argument("--show-misses", type=int, default=0, help="print this many missed names per class")
    args = ap.parse_args(argv)
    db = args.db or str(Path(tempfile.mkdtemp(prefix="tamiz-evasion-")) / "tamiz.db")
    screener = open_screener(db)
    targets = sample_targets(list(screener.entities.values()), args.sample, args.seed)
    print(f"{len(targets)} listed names ({sum(t.schema == 'Person' for t in targets)} persons), seed {args.seed}")
    print(f"{'evasion class':<22}{'recall':>8}{'found':>8}")
    for cls, (found, total, missed) in measure(screener, targets, args.seed).items():
        print(f"{cls:<22}{found / total:>8.3f}{found:>5}/{total}")
        for m in missed[: args.show_misses]:
            print(f"    missed: {m!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
