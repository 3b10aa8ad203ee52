"""Free-text mention benchmark: a large generated text with planted listed names.

    python bench/text.py --words 200000

Filler is news-like prose built from ordinary words (including list words such
as "gulf", "united", "bank", "family") and ordinary person names from the
OpenSanctions synthetic negatives; planted mentions are SDN names (persons and
organisations, as listed, reordered or accent-marked). Prints recall, false
mentions per 10k words and MB/s. No asserts: figures only.
"""

from __future__ import annotations

import argparse
import csv
import random
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "lists" / "opensanctions_benchmark"
WORDS = ("the council said on monday that trade across the region had grown and new rules for the bank sector "
         "and the united family of gulf companies would follow next year while markets stayed calm el gobierno "
         "dijo que la empresa nueva del golfo y el banco de la familia crecieron company group international "
         "national trading holding shipping al new").split()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--words", type=int, default=200_000)
    ap.add_argument("--every", type=int, default=400, help="plant one mention per this many words")
    args = ap.parse_args()
    from tamiz.screen.screener import Screener
    from tamiz.screen.text import find_mentions

    screener = Screener.open()
    rng = random.Random(11)
    targets = [e for e in screener.entities.values()
               if e.schema in ("Person", "Organization", "Company") and 2 <= len(e.caption.replace(",", "").split()) <= 5]
    people = []
    with open(SHARED / "negatives_us_synthetic.csv", encoding="utf-8") as fh:
        people = [r["full_name"] for r in csv.DictReader(fh)]
    parts, planted, n_words, pos = [], [], 0, 0
    while n_words < args.words:
        k = rng.randint(8, 22)
        sentence = [rng.choice(WORDS) for _ in range(k)]
        if rng.random() < 0.3:
            sentence.insert(rng.randrange(len(sentence)), rng.choice(people))
        text = " ".join(sentence).capitalize()
        if n_words // args.every != (n_words + k) // args.every:
            e = rng.choice(targets)
            words = e.caption.replace(",", "").split()
            name = " ".join(words[1:] + words[:1]) if e.schema == "Person" and rng.random() < 0.5 else e.caption
            text += ", said " if rng.random() < 0.5 else ", according to "
            start = pos + len(text)
            text += name
            planted.append((start, start + len(name), e.id))
        text += ". "
        parts.append(text)
        pos += len(text)
        n_words += k
    body = "".join(parts)
    t = time.perf_counter()
    find_mentions(body[:50_000], screener)  # one-off costs: word statistics, folding caches
    print(f"warm-up (first 50 kB, loads word frequencies): {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    mentions = find_mentions(body, screener)
    secs = time.perf_counter() - t
    found = {(m.start, m.end): m.id for m in mentions}
    hit = sum(1 for s, e, eid in planted if any(ms <= s and e <= me and found[(ms, me)] == eid for ms, me in found
                                                  if ms <= s < me))
    overlapping = sum(1 for ms, me in found if not any(ms < e and s < me for s, e, _ in planted))
    mb = len(body.encode()) / 1e6
    print(f"text {mb:.2f} MB, {n_words:,} words, {len(planted)} planted mentions")
    print(f"time {secs:.2f} s: {mb / secs:.2f} MB/s")
    print(f"recall {hit}/{len(planted)} = {hit / max(1, len(planted)):.1%}")
    print(f"false mentions {overlapping} = {overlapping / n_words * 10_000:.2f} per 10k words")


if __name__ == "__main__":
    main()
