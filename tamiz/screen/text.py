"""Find mentions of listed parties inside free text: news, notes, payment remarks.

Screening every window of words through the matcher is far too slow for long
texts and fires on ordinary words that happen to be list tokens ("Gulf",
"United", "Bank"). Instead the text is tokenised once (with offsets into the
original string, folded by the matcher's own normaliser), and only
*distinctive* tokens — rare in the lists and not common words of English,
Spanish or French — can start a candidate. Around each one, the listed names
that contain it are compared with the neighbouring words (any order, accents
folded); a window that covers enough of a listed name is then verified with the
matcher's full scoring, and overlapping spans keep the best.

A single word is a mention only when it is a whole listed name of its own
(ignoring particles: "Mencho", "El Chapito"), long, rare and no common word.
"""

from __future__ import annotations

import hashlib

import re
import weakref
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from rigour.text import is_stopword

from tamiz.match import MATCH_THRESHOLD
from tamiz.normalize import Tag, equivalent, fold_text

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# What may sit between two words of one name: spaces, a comma, a hyphen, a dot after an initial.
_JOINER = re.compile(r"[\s,\-‐‑–.]{0,3}")
_MAX_TOKENS = 8  # longest window sent to the matcher
_LANGS = ("en", "es", "fr")
COMMON_ZIPF = 4.5  # a word at least this frequent in ordinary text never triggers alone
SINGLE_STRONG_ZIPF = 3.8  # one-word listed names (Hamas, CJNG) fire below this frequency
SINGLE_WEAK_ZIPF = 2.6  # one-word weak aliases (nicknames: Mencho) must be rarer still
TRIGGER_MAX_DF = 60  # in more listed names than this, a token is not distinctive
CONTAIN_MARGIN = 0.1  # score a containing span may give up to win over the spans it holds
MIN_COVERAGE = 0.6  # share of a listed name's significant words the window must hold
_WEAK = "weak_alias"
_MINOR = (int(Tag.PARTICLE), int(Tag.TITLE), int(Tag.LEGAL))


@dataclass(slots=True)
class Mention:
    start: int  # offsets into the original text: text[start:end] is the mention
    end: int
    text: str
    id: str
    caption: str
    schema: str
    score: float
    explanation: str
    datasets: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text, "id": self.id, "caption": self.caption,
                "schema": self.schema, "score": self.score, "explanation": self.explanation,
                "datasets": self.datasets}


@lru_cache(maxsize=65_536)  # bounded: documents bring endless new words
def word_frequency(token: str) -> float:
    """Highest Zipf frequency of the word in English, Spanish or French text."""
    try:
        from wordfreq import zipf_frequency
    except ImportError:  # without word statistics only stopwords count as common
        return 7.0 if is_stopword(token) else 0.0
    return max(zipf_frequency(token, lang) for lang in _LANGS)


@lru_cache(maxsize=65_536)  # bounded: documents bring endless new words
def _fold_word(word: str) -> tuple[str, str]:
    """(folded word, its cross-language symbol: "nueva" -> "new"), as the matcher folds them."""
    folded = fold_text(word).replace(" ", "")
    return folded, (equivalent(folded) or folded) if folded else ""


class MentionIndex:
    """Per screener: which folded tokens may start a mention, and the names they lead to."""

    def __init__(self, screener: Any):
        self.screener = screener
        index = screener.matcher.index
        self.index = index
        self.vocab: dict[str, int] = index.vocab
        self.df = np.diff(index.indptr)
        self._names: dict[int, tuple[frozenset[str], frozenset[str], float]] = {}
        self._trigger: dict[str, bool] = {}

    def is_trigger(self, token: "_Token") -> bool:
        key = token.folded
        hit = self._trigger.get(key)
        if hit is None:
            tids = self._tids(token)
            hit = (bool(tids) and len(key) >= 3 and not key.isdigit() and not is_stopword(key)
                   and sum(int(self.df[t]) for t in tids) <= TRIGGER_MAX_DF and word_frequency(key) < COMMON_ZIPF)
            self._trigger[key] = hit
        return hit

    def _tids(self, token: "_Token") -> list[int]:
        return [t for t in {self.vocab.get(token.folded), self.vocab.get(token.canon)} if t is not None]

    def names_of(self, token: "_Token") -> list[int]:
        out: list[int] = []
        for tid in self._tids(token):
            out.extend(self.index.postings[self.index.indptr[tid] : self.index.indptr[tid + 1]].tolist())
        return out

    def name_parts(self, nid: int) -> tuple[frozenset[str], frozenset[str], float]:
        """(significant tokens, minor tokens, total weight of the significant ones)."""
        got = self._names.get(nid)
        if got is None:
            name = self.index.names[nid]
            canon = [equivalent(t) or t for t in name.tokens]
            major = frozenset(c for t, c, g in zip(name.tokens, canon, name.tags)
                              if g not in _MINOR and not is_stopword(t))
            minor = frozenset(canon) - major
            got = (major, minor, sum(self.weight(t) for t in major) or 1.0)
            self._names[nid] = got
        return got

    def weight(self, token: str) -> float:
        tid = self.vocab.get(token)
        return float(self.index.idf[tid]) if tid is not None else float(self.index.unknown_idf)

    def single_ok(self, token: str, kind: str) -> bool:
        """May this one word, being a whole listed name, stand as a mention?"""
        limit = SINGLE_WEAK_ZIPF if kind == _WEAK else SINGLE_STRONG_ZIPF
        return len(token) >= (5 if kind == _WEAK else 4) and word_frequency(token) < limit


_indexes: "weakref.WeakKeyDictionary[Any, MentionIndex]" = weakref.WeakKeyDictionary()


def mention_index(screener: Any) -> MentionIndex:
    """Built once per screener (and dropped with it)."""
    found = _indexes.get(screener)
    if found is None or found.index is not screener.matcher.index:
        found = MentionIndex(screener)
        _indexes[screener] = found
    return found


@dataclass(slots=True)
class _Token:
    start: int
    end: int
    folded: str
    canon: str  # cross-language symbol, what listed names are compared by
    joined: bool  # whether only name-like punctuation separates it from the previous token


def tokenize(text: str) -> list[_Token]:
    out: list[_Token] = []
    prev_end = 0
    for m in _WORD.finditer(text):
        folded, canon = _fold_word(m.group())
        if not folded:
            prev_end = m.end()
            continue
        gap = text[prev_end : m.start()]
        joined = bool(out) and _JOINER.fullmatch(gap) is not None and not _sentence_break(gap, text, prev_end)
        out.append(_Token(m.start(), m.end(), folded, canon, joined))
        prev_end = m.end()
    return out


def _sentence_break(gap: str, text: str, prev_end: int) -> bool:
    """A full stop ends a name unless it follows an initial ("J. Smith")."""
    if "." not in gap:
        return False
    i = prev_end - 1
    while i >= 0 and text[i].isalpha():
        i -= 1
    return prev_end - i - 1 > 1


def find_mentions(text: str, screener: Any, threshold: float | None = None, audit: bool = True) -> list[Mention]:
    """Listed parties named in `text`, as spans of the original text, best first per span.

    The whole text is one audit record (its hash, size and mentions), not one per
    candidate window; callers that audit a larger unit pass audit=False.
    """
    threshold = MATCH_THRESHOLD if threshold is None else threshold
    mi = mention_index(screener)
    tokens = tokenize(text)
    # Runs of tokens that may belong to one name: broken by sentence ends and other punctuation.
    candidates: dict[tuple[int, int], set[int]] = {}
    run_start = 0
    for i, tok in enumerate(tokens):
        if not tok.joined:
            run_start = i
        if not mi.is_trigger(tok):
            continue
        lo = max(run_start, i - _MAX_TOKENS + 1)
        hi = i + 1
        while hi < len(tokens) and hi - i < _MAX_TOKENS and tokens[hi].joined:
            hi += 1
        for nid in mi.names_of(tok):
            span = _best_window(mi, tokens, lo, hi, i, nid)
            if span is not None:
                candidates.setdefault(span, set()).add(mi.index.names[nid].entity)
    mentions = _dedupe(_verify(text, tokens, candidates, screener, threshold))
    if audit and hasattr(screener, "record"):
        screener.record("text", {
            "text_sha256": hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(),
            "characters": len(text),
            "list_versions": screener.list_versions(),
            "threshold": threshold,
            "mentions": [[m.start, m.end, m.id, m.score] for m in mentions],
        })
    return mentions


def _best_window(mi: MentionIndex, tokens: list[_Token], lo: int, hi: int, at: int, nid: int) -> tuple[int, int] | None:
    """The token span around `at` that holds this listed name, when it holds enough of it."""
    major, minor, total = mi.name_parts(nid)
    name = mi.index.names[nid]
    kind = name.kind
    first = equivalent(name.tokens[0]) or name.tokens[0]
    # Grow left and right from the trigger over words of the name; one stray word is bridged.
    matched = {tokens[at].canon}
    start = end = at
    for step in (-1, 1):
        j, misses = at + step, 0
        while lo <= j < hi:
            word = tokens[j].canon
            if word in major and word not in matched:
                matched.add(word)
                if step < 0:
                    start = j
                else:
                    end = j
                misses = 0
            elif word in minor and word not in major:
                pass  # particles and legal forms of the name ride along, inside the span only
            else:
                misses += 1
                if misses > 1:
                    break
            j += step
    # A leading particle that belongs to the name ("El Chapito", "Al Qaida") is part of the span.
    if start > lo and tokens[start - 1].canon in minor and tokens[start - 1].canon == first:
        start -= 1
    if len(matched) == 1:
        if len(major) != 1 or tokens[at].canon not in major or not mi.single_ok(tokens[at].folded, kind):
            return None
        return start, end + 1
    covered = sum(mi.weight(t) for t in matched) / total
    if covered < MIN_COVERAGE and len(matched) < 3:
        return None
    return start, end + 1


def _verify(text: str, tokens: list[_Token], candidates: dict[tuple[int, int], set[int]], screener: Any,
            threshold: float) -> list[Mention]:
    out: list[Mention] = []
    entities = screener.matcher.entities
    for (s, e), positions in candidates.items():
        wanted = {entities[p].id for p in positions}
        start, end = tokens[s].start, tokens[e - 1].end
        query = text[start:end]
        for hit in screener.screen(query, limit=10, threshold=threshold, audit=False).results:
            if hit.match and hit.id in wanted:
                out.append(Mention(start, end, query, hit.id, hit.caption, hit.schema, round(float(hit.score), 4),
                                   hit.explanation, list(hit.datasets)))
                break
    return out


def _dedupe(mentions: list[Mention]) -> list[Mention]:
    """Overlapping spans keep the best; a longer span that holds shorter ones wins when
    it scores nearly as well ("Al Qaida in the Arabian Peninsula" over "Al Qaida")."""
    kept: list[Mention] = []
    for m in sorted(mentions, key=lambda m: (-m.score, -(m.end - m.start), m.start)):
        clash = [k for k in kept if not (m.end <= k.start or m.start >= k.end)]
        if not clash:
            kept.append(m)
        elif all(m.start <= k.start and k.end <= m.end and m.score >= k.score - CONTAIN_MARGIN for k in clash):
            kept = [k for k in kept if k not in clash] + [m]
    return sorted(kept, key=lambda m: m.start)
