"""One plain sentence an analyst can read, built from the features of a hit."""

from __future__ import annotations

from collections.abc import Sequence

from tamiz.match.names import NameComparison
from tamiz.match.results import Feature

_HOW = {
    "spelling": "spelled differently",
    "phonetic": "sounds alike",
    "vowels dropped": "vowels dropped",
    "initial": "initial",
    "prefix": "cut short",
    "equivalent": "same name in another language",
    "joined": "written together",
    "misread": "letters misread",
}


def explain(cmp: NameComparison, features: Sequence[Feature], kind: str) -> str:
    exact = [p.candidate for p in cmp.pairs if p.query and p.candidate and p.how == "exact"]
    fuzzy = [f"{p.query}/{p.candidate} {_HOW.get(p.how, p.how)}" for p in cmp.pairs if p.query and p.candidate and p.how != "exact"]
    extra_q = [p.query for p in cmp.pairs if p.query and not p.candidate]
    extra_c = [p.candidate for p in cmp.pairs if p.candidate and not p.query]
    if not extra_q and not extra_c and not fuzzy:
        head = f"Name matches in full ({' '.join(exact)})"
    elif exact or fuzzy:
        head = "Name partly matches (" + ", ".join(exact + fuzzy) + ")"
    else:
        head = "Name does not match"
    clauses = []
    if extra_q:
        clauses.append(f"query has {' '.join(extra_q)} not in the listed name")
    if extra_c:
        clauses.append(f"listed name also has {' '.join(extra_c)}")
    clauses += cmp.notes
    for f in features:
        if f.name != "name" and f.detail:
            clauses.append(f.detail)
    if kind == "weak_alias" and not any(f.name == "weak_alias" for f in features):
        clauses.append("matched a weak alias")
    sentence = head + ("; " + "; ".join(clauses) if clauses else "") + "."
    return sentence[0].upper() + sentence[1:]
