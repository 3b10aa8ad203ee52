"""The curated word lists under tamiz/data/normalize, loaded once and cached."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "normalize"


def _lines(name: str) -> list[str]:
    out = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


@lru_cache(maxsize=None)
def titles() -> frozenset[str]:
    return frozenset(x.replace(".", "").replace("-", "") for x in _lines("titles.txt"))


@lru_cache(maxsize=None)
def particles() -> frozenset[str]:
    return frozenset(_lines("particles.txt"))


@lru_cache(maxsize=None)
def legal_forms() -> frozenset[str]:
    return frozenset(_lines("legal_forms.txt"))


@lru_cache(maxsize=None)
def char_map(name: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        src, dst = line.split("\t")
        out[src] = dst
    return out


@lru_cache(maxsize=None)
def name_equivalents() -> dict[str, str]:
    """Given-name spelling -> the group's first spelling (a shared symbol)."""
    out: dict[str, str] = {}
    for source in ("name_equivalents.txt", "org_terms.txt"):
        for line in _lines(source):
            group = [p.strip() for p in line.split("|") if p.strip()]
            for name in group:
                out.setdefault(_fold(name), _fold(group[0]))
    return out


def _fold(word: str) -> str:
    from tamiz.normalize.text import fold_text  # text.py depends on this module's char maps

    return fold_text(word).replace(" ", "")


@lru_cache(maxsize=None)
def legal_fragments() -> frozenset[str]:
    """Pieces of legal forms as people type them ("S.A. DEC.V.", "C.V. DE S.A."), and one-edit slips."""
    return legal_forms() | frozenset(_lines("legal_fragments.txt"))


@lru_cache(maxsize=None)
def legal_slips() -> frozenset[str]:
    """Keys of one-slip variants of legal forms: "-" + a form less one letter, "?"-wildcards for one substitution."""
    out: set[str] = set()
    for form in legal_fragments():
        if len(form) >= 3:
            out |= {"-" + form[:i] + form[i + 1 :] for i in range(len(form))}
        if len(form) >= 2:
            out |= {form[:i] + "?" + form[i + 1 :] for i in range(len(form))}
    return frozenset(out)
