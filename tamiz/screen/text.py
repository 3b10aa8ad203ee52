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

A listed name with no distinctive token at all ("National Iranian Oil
Company", "HUSAIN, Ali Saleh") is reached through pairs of its words instead:
two of them side by side in the text (any order) start a candidate, which then
must hold every significant word of the name, the common ones capitalised.

A single word is a mention only when it is a whole listed name of its own
(ignoring particles: "Mencho", "El Chapito"), long, rare and no common word,
written with a capital (unless the whole text is lower case) and not next to
another capitalised name word ("Jazmin Lopez" is a person, not the vessel).
Spans take in the particles and legal forms around a name ("AL-'AYSH",
"... COMPANY, P.J.S."), so a mention covers the name as written.
"""

from __future__ import annotations

import gc
import hashlib
import math
import re
import unicodedata
import weakref
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rigour.text import is_stopword

from tamiz.match import MATCH_THRESHOLD
from tamiz.normalize import Tag, analyse, equivalent, fold_text
from tamiz.normalize.resources import legal_fragments

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# What may sit between two words of one name: spaces, a comma, a hyphen, an apostrophe, a bracket, a dot
# after an initial or a legal form.
_JOINER = re.compile(r"[\s,\-‐‑–.'’ʻ`()]{0,3}")  # also AL-'AYSH, LA HACIENDA (USA), LLC
_MAX_TOKENS = 8  # longest window sent to the matcher
_LANGS = ("en", "es", "fr")
COMMON_ZIPF = 4.5  # a word at least this frequent in ordinary text never triggers alone
NAME_ZIPF = 5.0  # a capitalised word rarer than this next to a one-word name makes it part of another name
SINGLE_STRONG_ZIPF = 3.8  # one-word listed names (Hamas, CJNG) fire below this frequency
SINGLE_WEAK_ZIPF = 2.6  # one-word weak aliases (nicknames: Mencho) must be rarer still
TRIGGER_MAX_DF = 60  # in more listed names than this, a token is not distinctive
CONTAIN_MARGIN = 0.1  # score a containing span may give up to win over the spans it holds
MIN_COVERAGE = 0.6  # share of a listed name's significant words the window must hold
PAIR_GAP = 2  # a pair of a name's common words may have one stray word between them
LEGAL_TAIL = 6  # words a legal-form ending may take in the text ("S.A. DE C.V." is six)
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


def _strip_accents(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _common_words() -> dict[str, float] | None:
    """Zipf frequency of every word at least once per million in English, Spanish or French text,
    keyed as the folder writes it (no accents): one dictionary read, not a call per word."""
    try:
        from wordfreq import get_frequency_dict
    except ImportError:
        return None
    table: dict[str, float] = {}
    for lang in _LANGS:
        for word, freq in get_frequency_dict(lang, wordlist="small").items():
            key = _strip_accents(word)
            zipf = math.log10(freq) + 9.0
            if zipf > table.get(key, 0.0):
                table[key] = zipf
    return table


def word_frequency(token: str) -> float:
    """Highest Zipf frequency of the word in English, Spanish or French text (0 below about 3)."""
    table = _common_words()
    if table is None:  # without word statistics only stopwords count as common
        return 7.0 if is_stopword(token) else 0.0
    return table.get(token, 0.0)


@lru_cache(maxsize=4096)
def _rare_word_frequency(token: str) -> float:
    """Zipf frequency from the full word lists, for the thresholds below the common-word table's floor."""
    try:
        from wordfreq import zipf_frequency
    except ImportError:
        return word_frequency(token)
    return max(zipf_frequency(token, lang) for lang in _LANGS)


_FOLDS: dict[str, tuple[str, str]] = {}  # word as written -> _fold_word(word), for the tokenizer's hot loop
_FOLDS_MAX = 65_536
_TRIGGERS_MAX = 200_000  # words judged per screener before the judgements start over (documents never end)


def _fold_word(word: str) -> tuple[str, str]:
    """(folded word, its cross-language symbol: "nueva" -> "new"), as the matcher folds them."""
    folded = fold_text(word).replace(" ", "")
    return folded, (equivalent(folded) or folded) if folded else ""


@dataclass(frozen=True, slots=True)
class _Parts:
    """A listed name as the mention finder compares it (words by their cross-language symbol)."""

    major: frozenset[str]  # significant words
    minor: frozenset[str]  # particles, titles, legal forms, stopwords
    telling: frozenset[str]  # minor words that still say something ("GAS" in SYRIAN GAS COMPANY, tagged legal)
    total: float  # weight of the significant words
    counts: dict[str, int]  # how often each significant word occurs


class MentionIndex:
    """Per screener: which folded tokens may start a mention, and the names they lead to."""

    def __init__(self, screener: Any):
        self.screener = screener
        self.index = screener.matcher.index
        self._names: dict[int, _Parts] = {}
        self._trigger: dict[str, bool] = {}
        self.pairs = self._pairs_of_plain_names()
        self.pair_words = frozenset(w for pair in self.pairs for w in pair)

    def is_trigger(self, token: _Token) -> bool:
        key = token.folded
        hit = self._trigger.get(key)
        if hit is None:
            if len(self._trigger) >= _TRIGGERS_MAX:
                self._trigger.clear()
            hit = self._trigger[key] = self._triggers(token.folded, token.canon)
        return hit

    def _triggers(self, folded: str, canon: str) -> bool:
        """Listed, distinctive and in few listed names (under either spelling: HUSAIN is a HUSSEIN)."""
        counts = sum(self.index.name_count(t) for t in {folded, canon})
        return 0 < counts <= TRIGGER_MAX_DF and self._distinctive(folded)

    @staticmethod
    def _distinctive(word: str) -> bool:
        return len(word) >= 3 and not word.isdigit() and not is_stopword(word) and word_frequency(word) < COMMON_ZIPF

    def _pairs_of_plain_names(self) -> dict[tuple[str, str], list[int]]:
        """(word, word) -> ids of the listed names that hold both and have no distinctive word to trigger on."""
        pairs: dict[tuple[str, str], list[int]] = {}
        for nid, name in self.index.all_names():
            major = sorted({equivalent(t) or t for t, g in zip(name.tokens, name.tags)
                            if g not in _MINOR and not is_stopword(t)})
            if len(major) < 2 or any(self._triggers(t, equivalent(t) or t)
                                     for t, g in zip(name.tokens, name.tags) if g not in _MINOR):
                continue
            for i, a in enumerate(major):
                for b in major[i + 1 :]:
                    pairs.setdefault((a, b), []).append(nid)
        return pairs

    def names_of(self, token: _Token) -> list[int]:
        out: list[int] = []
        for t in {token.folded, token.canon}:
            out.extend(self.index.names_with(t))
        return out

    @staticmethod
    def may_pair(text: str, token: _Token) -> bool:
        """Common words join a pair only capitalised, as a name is written ("Oil", "OIL", not "oil")."""
        return text[token.start].isupper() or word_frequency(token.folded) < COMMON_ZIPF

    def names_of_pair(self, a: _Token, b: _Token) -> list[int]:
        key = (a.canon, b.canon) if a.canon < b.canon else (b.canon, a.canon)
        return self.pairs.get(key, [])

    def name_parts(self, nid: int) -> _Parts:
        got = self._names.get(nid)
        if got is None:
            name = self.index.names[nid]
            canon = [equivalent(t) or t for t in name.tokens]
            counts = Counter(c for t, c, g in zip(name.tokens, canon, name.tags) if g not in _MINOR and not is_stopword(t))
            major = frozenset(counts)
            minor = frozenset(canon) - major
            telling = frozenset(c for t, c, g in zip(name.tokens, canon, name.tags)
                                if c in minor and g != Tag.PARTICLE and not is_stopword(t) and t not in legal_fragments())
            got = _Parts(major, minor, telling, sum(self.weight(t) for t in major) or 1.0, dict(counts))
            self._names[nid] = got
        return got

    def weight(self, token: str) -> float:
        return self.index.token_weight(token)

    def single_ok(self, token: str, kind: str) -> bool:
        """May this one word, being a whole listed name, stand as a mention?"""
        if len(token) < (5 if kind == _WEAK else 4):
            return False
        if kind == _WEAK:
            return _rare_word_frequency(token) < SINGLE_WEAK_ZIPF
        return word_frequency(token) < SINGLE_STRONG_ZIPF


_indexes: weakref.WeakKeyDictionary[Any, MentionIndex] = weakref.WeakKeyDictionary()


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


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Tokens are many small acyclic objects: the cyclic collector would re-scan them (and every
    other live object) several times over a long document and find nothing to free."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def tokenize(text: str) -> list[_Token]:
    out: list[_Token] = []
    append = out.append
    prev: _Token | None = None
    prev_end = 0
    joiner = _JOINER.fullmatch
    folds = _FOLDS
    for m in _WORD.finditer(text):
        word = m.group()
        got = folds.get(word)
        if got is None:
            got = _fold_word(word)
            if len(folds) < _FOLDS_MAX:  # bounded: documents bring endless new words
                folds[word] = got
        start, end = m.span()
        if not got[0]:
            prev_end = end
            continue
        if prev is None:
            joined = False
        else:
            gap = text[prev_end:start]
            joined = gap == " " or (joiner(gap) is not None and not _sentence_break(gap, prev))
        prev = _Token(start, end, got[0], got[1], joined)
        append(prev)
        prev_end = end
    return out


def _sentence_break(gap: str, prev: _Token) -> bool:
    """A full stop ends a name unless it follows an initial ("J. Smith") or a legal form ("CIA. LTDA")."""
    if "." not in gap:
        return False
    return len(prev.folded) > 1 and prev.folded not in legal_fragments()


def find_mentions(text: str, screener: Any, threshold: float | None = None, audit: bool = True) -> list[Mention]:
    """Listed parties named in `text`, as spans of the original text, best first per span.

    The whole text is one audit record (its hash, size and mentions), not one per
    candidate window; callers that audit a larger unit pass audit=False.
    """
    threshold = MATCH_THRESHOLD if threshold is None else threshold
    mi = mention_index(screener)
    with _collector_paused():
        tokens = tokenize(text)
    # Runs of tokens that may belong to one name: broken by sentence ends and other punctuation.
    candidates: dict[tuple[int, int], set[int]] = {}
    wider: dict[tuple[int, int], tuple[int, int]] = {}  # a span -> the same span with its particles, legal form
    cased = not text.islower()  # a text written all in lower case says nothing by its capitals
    names = mi.index.names
    run_start = 0
    for i, tok in enumerate(tokens):
        if not tok.joined:
            run_start = i
        if mi.is_trigger(tok):
            found = [(nid, False) for nid in mi.names_of(tok)]
        elif tok.canon in mi.pair_words and mi.may_pair(text, tok):
            found = [(nid, True) for j in range(max(run_start, i - PAIR_GAP), i)
                     if tokens[j].canon in mi.pair_words and mi.may_pair(text, tokens[j])
                     for nid in mi.names_of_pair(tokens[j], tok)]
        else:
            continue
        lo = max(run_start, i - _MAX_TOKENS + 1)
        hi = i + 1
        while hi < len(tokens) and hi - i < _MAX_TOKENS and tokens[hi].joined:
            hi += 1
        around = {tokens[j].canon for j in range(lo, hi) if j != i}
        for nid, plain in found:
            major = mi.name_parts(nid).major
            if len(major) > 1 and major.isdisjoint(around):
                continue  # nothing else of this name nearby, and one word of it is not enough
            spans = _windows(mi, text, tokens, lo, hi, i, nid, plain, cased)
            for span in spans:
                candidates.setdefault(span, set()).add(names[nid].entity)
            if len(spans) == 2:
                wider[spans[0]] = spans[1]
    mentions = _dedupe(_verify(text, tokens, candidates, wider, screener, threshold))
    if audit and hasattr(screener, "record"):
        screener.record("text", {
            "text_sha256": hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(),
            "characters": len(text),
            "list_versions": screener.list_versions(),
            "threshold": threshold,
            "mentions": [[m.start, m.end, m.id, m.score] for m in mentions],
        })
    return mentions


def _windows(mi: MentionIndex, text: str, tokens: list[_Token], lo: int, hi: int, at: int, nid: int,
             plain: bool, cased: bool = True) -> list[tuple[int, int]]:
    """The token span around `at` that holds this listed name, when it holds enough of it; and that
    span widened over the particles and legal form written around it, for the matcher to choose."""
    parts = mi.name_parts(nid)
    minor, counts = parts.minor, parts.counts
    name = mi.index.names[nid]
    # Grow left and right from the trigger over words of the name; only when that holds too little
    # of it, once more bridging one stray word on each side (a tight span wins over a loose one).
    matched, start, end, bridgeable = _grow(tokens, lo, hi, at, counts, minor, 0)
    if not _enough(mi, text, tokens, lo, hi, at, matched, start, end, parts, name.kind, plain, cased) and bridgeable:
        matched, start, end, _ = _grow(tokens, lo, hi, at, counts, minor, 1)
        if not _enough(mi, text, tokens, lo, hi, at, matched, start, end, parts, name.kind, plain, cased):
            return []
    elif not _enough(mi, text, tokens, lo, hi, at, matched, start, end, parts, name.kind, plain, cased):
        return []
    spans = [(start, end + 1)]
    # Particles of the name at either edge ("AL-'AYSH", "RUSDAN, Abu") belong to the span.
    wide_start, wide_end = start, end + 1
    while wide_start > lo and tokens[wide_start].joined and tokens[wide_start - 1].canon in minor:
        wide_start -= 1
    while wide_end < hi and tokens[wide_end].joined and tokens[wide_end].canon in minor:
        wide_end += 1
    if not name.person:
        wide_end = _legal_tail(text, tokens, wide_end)
    if (wide_start, wide_end) != spans[0]:
        spans.append((wide_start, wide_end))
    return spans


def _grow(tokens: list[_Token], lo: int, hi: int, at: int, counts: dict[str, int], minor: frozenset[str],
          bridge: int) -> tuple[dict[str, int], int, int, bool]:
    """(words of the name found, first and last token, whether a stray word hid more of the name)."""
    matched = {tokens[at].canon: 1}
    start = end = at
    bridgeable = False
    for step in (-1, 1):
        j, misses = at + step, 0
        while lo <= j < hi:
            word = tokens[j].canon
            seen = matched.get(word, 0)
            if seen < counts.get(word, 0):  # a word of the name, as often as the name has it
                matched[word] = seen + 1
                if step < 0:
                    start = j
                else:
                    end = j
                misses = 0
            elif word in minor and word not in counts:
                pass  # particles and legal forms of the name ride along, inside the span only
            else:
                misses += 1
                if misses > bridge:
                    nxt = j + step
                    bridgeable = bridgeable or (lo <= nxt < hi and tokens[nxt].canon in counts)
                    break
            j += step
    return matched, start, end, bridgeable


def _enough(mi: MentionIndex, text: str, tokens: list[_Token], lo: int, hi: int, at: int, matched: dict[str, int],
            start: int, end: int, parts: _Parts, kind: str, plain: bool, cased: bool) -> bool:
    """Does the span hold enough of the listed name to be worth the matcher's verdict?"""
    major, minor = parts.major, parts.minor
    if len(matched) == 1:
        word = tokens[at]
        if plain or len(major) != 1 or word.canon not in major:
            return False
        if parts.telling and any(tokens[j].canon in parts.telling for j in range(max(lo, at - 3), min(hi, at + 4))):
            return True  # its one significant word with another of its words: "SYRIAN GAS (COMPANY)"
        if not mi.single_ok(word.folded, kind) or (cased and not text[word.start].isupper()):
            return False  # one word stands as a name only written as one: "Hamas", "HAMAS", not "noor"
        # "Jazmin Lopez" is a person, not the vessel JAZMIN: a one-word name must stand alone.
        return not (_name_like(text, tokens, at, at - 1, minor) or _name_like(text, tokens, at, at + 1, minor))
    if plain:
        # Only common words: every one of them, and the ordinary ones written as a name is.
        return len(matched) >= len(major) and all(
            text[t.start].isupper() for t in tokens[start : end + 1]
            if t.canon in major and word_frequency(t.folded) >= COMMON_ZIPF)
    return sum(mi.weight(t) for t in matched) / parts.total >= MIN_COVERAGE or len(matched) >= 3


def _name_like(text: str, tokens: list[_Token], at: int, j: int, minor: frozenset[str]) -> bool:
    """Is token j, one space from token `at`, a capitalised word of some other name?"""
    if not 0 <= j < len(tokens):
        return False
    tok = tokens[j]
    a, b = (tok, tokens[at]) if j < at else (tokens[at], tok)
    if text[a.end : b.start] != " " or not text[tok.start].isupper() or tok.canon in minor or is_stopword(tok.folded):
        return False
    return word_frequency(tok.folded) < NAME_ZIPF


def _legal_tail(text: str, tokens: list[_Token], end: int) -> int:
    """The end of the longest run of words after `end` that is a legal form ("CO., LTD", "S.A. DE C.V.")."""
    best = end
    stop = min(len(tokens), end + LEGAL_TAIL)
    for k in range(end, stop):
        tok = tokens[k]
        if not tok.joined or len(tok.folded) > 12:
            break
        if _abbreviation(tok) and _is_legal_form(text[tokens[end].start : tok.end]):
            best = k + 1
    return best


@lru_cache(maxsize=4096)
def _is_legal_form(words: str) -> bool:
    tags = analyse("x " + words, "Organization").tags[1:]
    return bool(tags) and all(int(t) == int(Tag.LEGAL) for t in tags)


def _abbreviation(token: _Token) -> bool:
    return len(token.folded) == 1 or token.folded in legal_fragments()


def _verify(text: str, tokens: list[_Token], candidates: dict[tuple[int, int], set[int]],
            wider: dict[tuple[int, int], tuple[int, int]], screener: Any, threshold: float) -> list[Mention]:
    """The matcher's verdict on each span, wide spans first: a span whose widened form (with the
    name's particles and legal form) was confirmed for the same parties is not screened again."""
    out: list[Mention] = []
    entities = screener.matcher.entities
    confirmed: dict[tuple[int, int], set[int]] = {}
    for (s, e) in sorted(candidates, key=lambda span: span[0] - span[1]):
        positions = candidates[(s, e)]
        wide = wider.get((s, e))
        if wide is not None and positions <= confirmed.get(wide, set()):
            continue
        wanted = {entities[p].id: p for p in positions}
        start, end = tokens[s].start, tokens[e - 1].end
        if text[end : end + 1] == "." and _abbreviation(tokens[e - 1]):
            end += 1  # "S.A.", "CO.", "Olga G.": the full stop belongs to the name
        if text[end : end + 1] == ")" and text.count("(", start, end) > text.count(")", start, end):
            end += 1  # "... SAL (OFF-SHORE)"
        query = text[start:end]
        for hit in screener.screen(query, limit=10, threshold=threshold, audit=False).results:
            if hit.match and hit.id in wanted:
                out.append(Mention(start, end, query, hit.id, hit.caption, hit.schema, round(float(hit.score), 4),
                                   hit.explanation, list(hit.datasets)))
                confirmed[(s, e)] = positions
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
