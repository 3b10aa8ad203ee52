"""Free-text mention benchmark: a large generated text with planted listed names.

    python bench/text.py --words 200000
    python bench/text.py --words 200000 --kinds classic --lower-filler   # the first runs' text

Filler is news-like prose built from ordinary words (including list words such
as "gulf", "united", "bank", "family") and ordinary person names from the
OpenSanctions synthetic negatives. Planted mentions are SDN names written in
one of several ways, chosen in turn: `classic` (as listed, persons half of the
time with the first word moved last), `title` (Title Case, as news writes
names), `accented` (accents added to two letters), `alias` (another of the
party's names: aliases, nicknames), `translated` (organisation words swapped
for their translation: "NUEVA GENERACION" -> "New Generation"). A planted
mention counts as found when a mention covers it and names the same entity.
Prints recall per kind, false mentions per 10k words and MB/s. No asserts.
"""

from __future__ import annotations

import argparse
import csv
import random
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "lists" / "opensanctions_benchmark"
WORDS = ("the council said on monday that trade across the region had grown and new rules for the bank sector "
         "and the united family of gulf companies would follow next year while markets stayed calm el gobierno "
         "dijo que la empresa nueva del golfo y el banco de la familia crecieron company group international "
         "national trading holding shipping al new").split()
KINDS = ("classic", "title", "accented", "alias", "translated")
ACCENTS = {"a": "á", "e": "é", "i": "í", "o": "ó", "u": "ú", "n": "ñ", "A": "Á", "E": "É", "I": "Í", "O": "Ó",
           "U": "Ú", "N": "Ñ"}


def _org_terms() -> dict[str, list[str]]:
    """Organisation word -> its translations, from the package's own term list."""
    from importlib.resources import files

    groups: dict[str, list[str]] = {}
    for line in (files("tamiz") / "data" / "normalize" / "org_terms.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            words = [w.strip() for w in line.split("|") if w.strip()]
            for w in words:
                groups[w.upper()] = [x for x in words if x.upper() != w.upper()]
    return groups


def written(e: Any, kind: str, flip: bool, rng: random.Random, terms: dict[str, list[str]]) -> str:
    """The entity's name as the text writes it; falls back to the classic form when a kind does not apply."""
    words = e.caption.replace(",", "").split()
    classic = " ".join(words[1:] + words[:1]) if flip else e.caption
    if kind == "title":
        return classic.title()
    if kind == "accented":
        chars = list(classic)
        spots = [i for i, ch in enumerate(chars) if ch in ACCENTS]
        for i in rng.sample(spots, min(2, len(spots))):
            chars[i] = ACCENTS[chars[i]]
        return "".join(chars)
    if kind == "alias":
        others = [n.full for n in e.names if n.full != e.caption and len(n.full) >= 4 and not n.full.isdigit()]
        return rng.choice(others) if others else classic
    if kind == "translated":
        swapped = [rng.choice(terms[w.upper()]).title() if w.upper() in terms else w for w in e.caption.split()]
        return " ".join(swapped)
    return classic


def build(screener: Any, n_words: int, every: int, kinds: list[str], seed: int = 11, lower_filler: bool = False
          ) -> tuple[str, list[tuple[int, int, str, str]], int]:
    """(text, planted [(start, end, entity id, kind)], words). The main random stream is the first
    runs' one, so `--kinds classic --lower-filler` rebuilds their very text (which lower-cased the
    ordinary people's names, as no newspaper does); variants draw from a stream of their own."""
    rng, vrng = random.Random(seed), random.Random(seed + 1)
    terms = _org_terms()
    targets = [e for e in screener.entities.values()
               if e.schema in ("Person", "Organization", "Company") and 2 <= len(e.caption.replace(",", "").split()) <= 5]
    with open(SHARED / "negatives_us_synthetic.csv", encoding="utf-8") as fh:
        people = [r["full_name"] for r in csv.DictReader(fh)]
    parts, planted, words, pos = [], [], 0, 0
    while words < n_words:
        k = rng.randint(8, 22)
        sentence = [rng.choice(WORDS) for _ in range(k)]  # ordinary words, lower case; people's names as written
        if rng.random() < 0.3:
            sentence.insert(rng.randrange(len(sentence)), rng.choice(people))
        if lower_filler:
            text = " ".join(sentence).capitalize()
        else:
            text = " ".join(sentence)
            text = text[:1].upper() + text[1:]
        if words // every != (words + k) // every:
            e = rng.choice(targets)
            flip = e.schema == "Person" and rng.random() < 0.5
            kind = kinds[len(planted) % len(kinds)]
            if kind == "translated" and not any(w.upper() in terms for w in e.caption.split()):
                pool = [t for t in targets if t.schema != "Person" and any(w.upper() in terms for w in t.caption.split())]
                e = vrng.choice(pool)
            name = written(e, kind, flip, vrng, terms)
            text += ", said " if rng.random() < 0.5 else ", according to "
            start = pos + len(text)
            text += name
            planted.append((start, start + len(name), e.id, kind))
        text += ". "
        parts.append(text)
        pos += len(text)
        words += k
    return "".join(parts), planted, words


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--words", type=int, default=200_000)
    ap.add_argument("--every", type=int, default=400, help="plant one mention per this many words")
    ap.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated, from {', '.join(KINDS)}")
    ap.add_argument("--lower-filler", action="store_true", help="lower-case the filler's people, as the first runs did")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs; the median is reported")
    ap.add_argument("--misses", type=Path, default=None, help="Write missed and false mentions to this file.")
    args = ap.parse_args()
    from tamiz.screen.screener import Screener
    from tamiz.screen.text import find_mentions

    screener = Screener.open()
    kinds = [k for k in args.kinds.split(",") if k]
    body, planted, n_words = build(screener, args.words, args.every, kinds, lower_filler=args.lower_filler)
    t = time.perf_counter()
    find_mentions(body[:50_000], screener)  # one-off costs: word statistics, mention index, folding caches
    print(f"warm-up (first 50 kB: word frequencies, mention index): {time.perf_counter() - t:.2f} s")
    times, cpu = [], []
    for _ in range(max(1, args.repeat)):
        t, c = time.perf_counter(), time.process_time()
        mentions = find_mentions(body, screener)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    secs, cpu_secs = sorted(times)[len(times) // 2], sorted(cpu)[len(cpu) // 2]
    found = {(m.start, m.end): m.id for m in mentions}

    def caught(s: int, e: int, eid: str) -> bool:
        return any(ms <= s and e <= me and found[(ms, me)] == eid for ms, me in found if ms <= s < me)

    per_kind: dict[str, list[int]] = {}
    for s, e, eid, kind in planted:
        per_kind.setdefault(kind, []).append(int(caught(s, e, eid)))
    hit = sum(sum(v) for v in per_kind.values())
    false = [m for m in mentions if not any(m.start < e and s < m.end for s, e, _, _ in planted)]
    mb = len(body.encode()) / 1e6
    print(f"text {mb:.2f} MB, {n_words:,} words, {len(planted)} planted mentions")
    print(f"time {secs:.2f} s (median of {len(times)}): {mb / secs:.2f} MB/s; "
          f"CPU {cpu_secs:.2f} s: {mb / cpu_secs:.2f} MB per CPU second (one core)")
    print(f"recall {hit}/{len(planted)} = {hit / max(1, len(planted)):.1%}; "
          + ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in per_kind.items()))
    print(f"false mentions {len(false)} = {len(false) / n_words * 10_000:.2f} per 10k words")
    if args.misses:
        with open(args.misses, "w", encoding="utf-8") as fh:
            for s, e, eid, kind in planted:
                if not caught(s, e, eid):
                    near = [(m.text, m.id) for m in mentions if m.start < e and s < m.end]
                    fh.write(f"MISS {kind} {body[s:e]!r} {eid} {screener.entities[eid].caption!r} {near}\n")
            for m in false:
                fh.write(f"FALSE {m.text!r} -> {m.id} {m.caption!r} {m.score}\n")


if __name__ == "__main__":
    main()
