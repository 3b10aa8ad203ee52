"""Candidate index: every token of every name, reachable by exact, equivalent,
phonetic, consonant-skeleton, single-deletion (SymSpell) and prefix keys.

Typos, OCR errors and transpositions meet their listed token by dictionary
lookup instead of a scan. Names are kept as flat numpy arrays (token ids per
name in CSR form, numbered by their rarest word so that names found together
sit together in memory), so a million names cost tens of megabytes, not
gigabytes of Python objects.

Posting lists of common words grow with the list; to keep the cost of a query
from growing with them, only rare words (and the rarest stand-ins of a fuzzy
word) *drive*, up to a cap per query word: their postings form the candidate
set. Each candidate is then scored by looking its own words up among every
stand-in of the query, so common words add their weight without their postings
ever being read.
"""

from __future__ import annotations

import math
import pickle
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import numpy as np
from rapidfuzz.distance import OSA

from tamiz.normalize import TAG_WEIGHT, Tag, deletes, equivalent, phonetic, skeleton
from tamiz.normalize.keys import ocr_variants, vowel_ratio
from tamiz.normalize.similarity import token_similarity

FORMAT = 5
BROAD_KEY = 64  # phonetic/skeleton/prefix keys naming more listed words than this are skipped
MAX_EXPANSIONS = 8  # listed words one query word may stand for, best first
RARE_EXTRA_POSTINGS = 64  # postings of further, rare stand-ins taken beyond those
DRIVE_DF = 2000  # a listed word in more names than this never drives candidate generation
GROUP_CAP = 4000  # postings one query word may contribute to the candidate set
SEED_CAP = 8000  # candidates taken when only common words were given
DICT_PATH_MAX = 300  # names reached below which plain dicts rank faster than numpy (same ranking either way)
BOOST_DF = 400  # a weak word (title, particle, initial) in more names than this is searched for, not listed, in the fast path
# Lookup qualities: how sure a key hit is that the query token means this listed token.
Q_EXACT, Q_EQUIV, Q_EDIT, Q_PHON, Q_SKEL, Q_PREFIX, Q_CONCAT = 1.0, 0.9, 0.8, 0.8, 0.75, 0.7, 0.9
SLOT_TABLE_MAX = 1 << 18  # vocabularies up to this size get a direct word -> query-word table per scoring
STAND_IN_CACHE = 16_384  # query words whose stand-ins are kept between queries (bounded: new words keep coming)
VIEW_CACHE = 200_000  # name views kept between queries (a name scored once is often scored again)
KINDS = ("primary", "alias", "weak_alias", "previous", "new", "original_script")
_WEAK = (Tag.PARTICLE, Tag.TITLE, Tag.LEGAL)
_TAG_W = np.array([TAG_WEIGHT[Tag(i)] for i in range(len(Tag))], dtype=np.float32)


class KeyTable:
    """key -> listed token ids, stored as one CSR array so a saved index loads in a blink."""

    __slots__ = ("_pos", "_indptr", "_ids", "_keys")

    def __init__(self, keys: list[str], indptr: np.ndarray, ids: np.ndarray):
        self._keys = keys
        self._pos = dict(zip(keys, range(len(keys))))
        self._indptr = indptr.tolist()
        self._ids = ids

    @classmethod
    def from_mapping(cls, mapping: dict[str, list[int]]) -> "KeyTable":
        keys = list(mapping)
        lengths = np.fromiter((len(mapping[k]) for k in keys), dtype=np.int64, count=len(keys))
        indptr = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        ids = np.fromiter((t for k in keys for t in mapping[k]), dtype=np.int32, count=int(indptr[-1]))
        return cls(keys, indptr, ids)

    def get(self, key: str) -> list[int] | None:
        pos = self._pos.get(key)
        if pos is None:
            return None
        return self._ids[self._indptr[pos] : self._indptr[pos + 1]].tolist()

    def size(self, key: str) -> int:
        pos = self._pos.get(key)
        return 0 if pos is None else self._indptr[pos + 1] - self._indptr[pos]

    def __contains__(self, key: str) -> bool:
        return key in self._pos

    def __getitem__(self, key: str) -> list[int]:
        got = self.get(key)
        if got is None:
            raise KeyError(key)
        return got

    def __getstate__(self):
        return ("\0".join(self._keys), np.asarray(self._indptr, dtype=np.int64), self._ids)

    def __setstate__(self, state):
        joined, indptr, ids = state
        keys = joined.split("\0") if joined else []
        self._keys = keys
        self._pos = dict(zip(keys, range(len(keys))))
        self._indptr = indptr.tolist()
        self._ids = ids


class PairTable:
    """(left, right) int pair -> names holding it next to each other; sorted int64 keys, no strings."""

    __slots__ = ("keys", "nids")

    def __init__(self, keys: np.ndarray, nids: np.ndarray):
        self.keys, self.nids = keys, nids

    @classmethod
    def build(cls, left: np.ndarray, right: np.ndarray, nids: np.ndarray) -> "PairTable":
        keys = (left.astype(np.int64) << 32) | right.astype(np.int64)
        order = np.lexsort((nids, keys))
        keys, nids = keys[order], nids[order]
        keep = np.ones(len(keys), dtype=bool)
        keep[1:] = (keys[1:] != keys[:-1]) | (nids[1:] != nids[:-1])
        return cls(keys[keep], nids[keep].astype(np.int32))

    def get(self, left: int, right: int) -> np.ndarray:
        key = (left << 32) | right
        lo, hi = self.keys.searchsorted((key, key + 1)).tolist()
        return self.nids[lo:hi]


class StandIns(dict):
    """Listed words a query word may stand for, with their similarity as measured for this position
    (a last word may be cut short, and then scores higher as a prefix)."""

    __slots__ = ("last",)

    def __init__(self, last: bool, items=()):
        super().__init__(items)
        self.last = last


@dataclass(slots=True)
class IndexedName:
    entity: int  # position in the entity list
    kind: str  # NameKind value
    person: bool
    tokens: tuple[str, ...]
    tags: tuple[int, ...]
    weights: tuple[float, ...] = ()  # rarity × tag weight per token, filled by the index build


class NameStore(Sequence):
    """Every indexed name as flat arrays; item access gives an IndexedName view."""

    def __init__(self, entity: np.ndarray, kind: np.ndarray, person: np.ndarray, indptr: np.ndarray,
                 tokens: np.ndarray, tags: np.ndarray, words: list[str], idf: np.ndarray):
        self.entity, self.kind, self.person = entity, kind, person
        self.indptr, self.tokens, self.tags = indptr, tokens, tags
        self._words = words
        self._idf = idf
        self._ptr = indptr.tolist()
        self.lengths = np.diff(indptr).astype(np.int32)  # words per name
        self._cache: dict[int, IndexedName] = {}  # views of recently scored names

    def __len__(self) -> int:
        return len(self.entity)

    def __getitem__(self, nid):  # type: ignore[override]
        if isinstance(nid, slice):
            return [self[i] for i in range(*nid.indices(len(self)))]
        got = self._cache.get(nid)
        if got is None:
            if len(self._cache) >= VIEW_CACHE:
                self._cache.clear()
            got = self._cache[nid] = self._view(nid)
        return got

    def _view(self, nid: int) -> IndexedName:
        lo, hi = self._ptr[nid], self._ptr[nid + 1]
        tids = self.tokens[lo:hi]
        tags = self.tags[lo:hi]
        words = self._words
        weights = (self._idf[tids] * _TAG_W[tags]).tolist()
        return IndexedName(int(self.entity[nid]), KINDS[self.kind[nid]], bool(self.person[nid]),
                           tuple(words[t] for t in tids.tolist()), tuple(tags.tolist()), tuple(weights))

    def __iter__(self) -> Iterator[IndexedName]:
        for i in range(len(self)):
            yield self[i]


def _remember(cache: dict, key, value):
    """Keep `value` in a per-word cache of at most STAND_IN_CACHE entries. When full, the older half
    goes (dicts keep insertion order): the words still in use come back at once, where emptying it
    all made every word of the next queries a miss."""
    if len(cache) >= STAND_IN_CACHE:
        for old in list(islice(cache, STAND_IN_CACHE // 2)):
            del cache[old]
    cache[key] = value
    return value


def _slices(starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Flat positions of the slices [start, start + len) one after another: the words of chosen names
    in a CSR array, in one numpy gather."""
    ends = np.cumsum(lens)
    return np.arange(int(ends[-1]) if len(ends) else 0) + np.repeat(starts - (ends - lens), lens)


def _by_rarest_word(tokens: np.ndarray, lens: np.ndarray, indptr: np.ndarray, vocab: int) -> np.ndarray | None:
    """Name order that groups names by their rarest word (fewest names), ties by load order."""
    if len(lens) < 2 or not len(tokens):
        return None
    df = np.bincount(tokens, minlength=vocab).astype(np.int64)  # a word twice in a name counts twice: a ranking only
    rarest = np.minimum.reduceat(df[tokens] * vocab + tokens, np.minimum(indptr[:-1], len(tokens) - 1))
    rarest[lens == 0] = np.iinfo(np.int64).max
    return np.argsort(rarest, kind="stable")


def _best(cand: np.ndarray, scores: np.ndarray, lengths: np.ndarray, limit: int) -> list[tuple[int, float]]:
    """The best `limit` names scoring at least a quarter of the best, best first. Among equal scores the
    shorter name comes first (it has fewer words the query does not explain), then a fixed scramble of
    the ids: the same in every run, and favouring no list by its load order."""
    top = float(scores.max()) * 0.25
    if top <= 0.0:
        return []
    keep = np.flatnonzero(scores >= top)
    if len(keep) > limit:
        got = scores[keep]
        cut = np.partition(got, len(got) - limit)[len(got) - limit]
        keep = keep[got >= cut]
    scramble = (cand[keep].astype(np.uint64) * np.uint64(0x9E3779B1)) & np.uint64(0xFFFFFFFF)
    order = keep[np.lexsort((scramble, lengths[cand[keep]], -scores[keep]))[:limit]]
    return list(zip(cand[order].tolist(), scores[order].tolist()))


@dataclass(slots=True)
class _Group:
    """One query word's part in candidate generation: the postings that put names among the
    candidates (`drive`), every listed word it stands for with its weight (`words`), the names found
    through two neighbouring listed words (`pairs`), and whether some stand-in was too common to drive."""

    drive: list[tuple[float, np.ndarray]]
    words: list[tuple[int, float]]
    pairs: list[tuple[float, np.ndarray]]
    common: bool


@dataclass
class CandidateIndex:
    names: NameStore
    vocab: dict[str, int]
    idf: np.ndarray  # per token id
    indptr: np.ndarray  # CSR postings: token id -> name ids
    postings: np.ndarray
    keys: dict[str, KeyTable] = field(default_factory=dict)
    pairs: dict[str, PairTable] = field(default_factory=dict)
    unknown_idf: float = 8.0
    words: list[str] = field(default_factory=list)  # token id -> token

    def __post_init__(self) -> None:
        self._df = np.diff(self.indptr).tolist()
        self._indptr = self.indptr.tolist()
        self._idf = self.idf.tolist()
        self._n = max(1, len(self.names))
        self._stand_in_cache: dict[tuple[str, bool], tuple[dict[int, float], dict[str, float], np.ndarray | None]] = {}
        self._group_cache: dict[tuple[str, bool, float], tuple[_Group | None, tuple[int, int] | None, StandIns]] = {}

    # ---- build -------------------------------------------------------------------------
    @classmethod
    def build(cls, names: Iterable[IndexedName]) -> "CandidateIndex":
        vocab: dict[str, int] = {}
        flat, flat_tags = array("i"), array("B")
        ent, kinds, person, lengths = array("i"), array("B"), array("B"), array("i")
        kind_code = {k: i for i, k in enumerate(KINDS)}
        setdefault = vocab.setdefault
        for name in names:
            flat.extend([setdefault(t, len(vocab)) for t in name.tokens])
            flat_tags.extend(name.tags)
            ent.append(name.entity)
            kinds.append(kind_code.get(name.kind, 0))
            person.append(name.person)
            lengths.append(len(name.tokens))
        words = [""] * len(vocab)
        for tok, tid in vocab.items():
            words[tid] = tok
        n = len(ent)
        tok_ids = np.frombuffer(flat, dtype=np.int32).copy() if flat else np.zeros(0, np.int32)
        tags = np.frombuffer(flat_tags, dtype=np.uint8).copy() if flat_tags else np.zeros(0, np.uint8)
        lens = np.frombuffer(lengths, dtype=np.int32) if lengths else np.zeros(0, np.int32)
        ent_ids = np.frombuffer(ent, dtype=np.int32).copy() if ent else np.zeros(0, np.int32)
        kind_ids = np.frombuffer(kinds, dtype=np.uint8).copy() if kinds else np.zeros(0, np.uint8)
        persons = np.frombuffer(person, dtype=np.uint8).astype(bool)
        name_indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lens, out=name_indptr[1:])
        # Names that share their rarest word get neighbouring ids, so the candidates one query word
        # finds sit together in memory: on a list too large for the CPU caches, reading their words
        # costs a fraction of the cache misses it would in load order.
        order = _by_rarest_word(tok_ids, lens, name_indptr, len(vocab))
        if order is not None:
            lens = lens[order]
            at = _slices(name_indptr[:-1][order], lens)
            tok_ids, tags = tok_ids[at], tags[at]
            ent_ids, kind_ids, persons = ent_ids[order], kind_ids[order], persons[order]
            np.cumsum(lens, out=name_indptr[1:])
        owner = np.repeat(np.arange(n, dtype=np.int64), lens)
        # Postings: unique (token, name) pairs, sorted by token then name.
        pair = np.unique((tok_ids.astype(np.int64) << 32) | owner)
        post_tid = (pair >> 32).astype(np.int64)
        postings = (pair & 0xFFFFFFFF).astype(np.int32)
        df = np.bincount(post_tid, minlength=len(vocab)).astype(np.int64)
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        idf = np.log1p(max(1, n) / np.maximum(df, 1)).astype(np.float32)
        # Neighbouring words: written together ("DE CAFE" ~ "DECAFE"), or one as an initial ("F INDUSTRIES").
        same = owner[:-1] == owner[1:]
        a, b, who = tok_ids[:-1][same], tok_ids[1:][same], owner[:-1][same]
        first = np.array([ord(w[0]) for w in words], dtype=np.int64) if words else np.zeros(0, np.int64)
        pairs = {
            "join": PairTable.build(a, b, who),
            "init_left": PairTable.build(first[a], b, who),
            "init_right": PairTable.build(a, first[b], who),
        }
        keys: dict[str, dict[str, list[int]]] = {k: defaultdict(list) for k in ("del", "phon", "skel", "prefix", "equiv")}
        for tid, tok in enumerate(words):
            if len(tok) >= 3:
                keys["del"][tok].append(tid)
                for d in deletes(tok):
                    keys["del"][d].append(tid)
                for size in range(2, len(tok)):
                    keys["prefix"][tok[:size]].append(tid)
            if p := phonetic(tok):
                keys["phon"][p].append(tid)
            if s := skeleton(tok):
                keys["skel"][s].append(tid)
            if e := equivalent(tok):
                keys["equiv"][e].append(tid)
        frozen = {k: KeyTable.from_mapping(v) for k, v in keys.items()}
        unknown = float(np.percentile(idf, 75)) if len(idf) else 8.0
        store = NameStore(ent_ids, kind_ids, persons, name_indptr, tok_ids, tags, words, idf)
        return cls(store, vocab, idf, indptr, postings, frozen, pairs, unknown, words)

    # ---- persistence -------------------------------------------------------------------
    def state(self) -> dict:
        s = self.names
        return {
            "format": FORMAT,
            "words": "\0".join(self.words),
            "names": (s.entity, s.kind, s.person, s.indptr, s.tokens, s.tags),
            "idf": self.idf,
            "indptr": self.indptr,
            "postings": self.postings,
            "keys": self.keys,
            "pairs": {k: (p.keys, p.nids) for k, p in self.pairs.items()},
            "unknown_idf": self.unknown_idf,
        }

    @classmethod
    def from_state(cls, state: dict, where: object = "index") -> "CandidateIndex":
        if state.get("format") != FORMAT:
            raise ValueError(f"{where}: index format {state.get('format')} is not {FORMAT}; rebuild it")
        words = state["words"].split("\0") if state["words"] else []
        idf = state["idf"]
        store = NameStore(*state["names"], words, idf)
        pairs = {k: PairTable(*v) for k, v in state["pairs"].items()}
        return cls(store, dict(zip(words, range(len(words)))), idf, state["indptr"], state["postings"],
                   state["keys"], pairs, state["unknown_idf"], words)

    def save(self, path: Path) -> None:
        with open(path, "wb") as fh:
            pickle.dump(self.state(), fh, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def load(cls, path: Path) -> "CandidateIndex":
        with open(path, "rb") as fh:
            return cls.from_state(pickle.load(fh), path)

    # ---- lookup ------------------------------------------------------------------------
    def token_weight(self, token: str, tag: int = Tag.OTHER) -> float:
        tid = self.vocab.get(token)
        base = self._idf[tid] if tid is not None else self.unknown_idf
        return base * TAG_WEIGHT[tag]

    def matching_tokens(self, token: str, last: bool = False) -> dict[int, float]:
        """Listed token ids this query token may stand for, with the lookup's quality."""
        found: dict[int, float] = {}

        def add(tids: list[int] | None, quality: float, broad: int = BROAD_KEY) -> None:
            if tids and len(tids) > broad:
                return  # a key shared by that many words tells nothing about this one
            for tid in tids or ():
                if found.get(tid, 0.0) < quality:
                    found[tid] = quality

        vocab = self.vocab
        if (tid := vocab.get(token)) is not None:
            found[tid] = Q_EXACT
        for variant in ocr_variants(token):
            if (tid := vocab.get(variant)) is not None and tid not in found:
                found[tid] = Q_EDIT
        if len(token) < 3:
            if last and len(token) == 2:
                add(self.keys["prefix"].get(token), Q_PREFIX)
            if len(token) == 2 and token.isalpha() and vowel_ratio(token) == 0.0:
                add(self.keys["skel"].get(token), Q_SKEL, 1 << 30)  # "HQ" for HAQ, "TN" for TUAN
            return found
        keys = self.keys
        if e := equivalent(token):
            add(keys["equiv"].get(e), Q_EQUIV)
        dels = keys["del"]
        limit = 1 if len(token) <= 5 else 2
        cands: set[int] = set()
        for key in (token, *deletes(token)):
            got = dels.get(key)
            if got:
                cands.update(got)
        if cands:
            words = self.words
            for tid in cands:
                if tid not in found and OSA.distance(token, words[tid], score_cutoff=limit) <= limit:
                    found[tid] = Q_EDIT
        vr = vowel_ratio(token)
        if vr >= 0.2 and (p := phonetic(token)):
            add(keys["phon"].get(p), Q_PHON)
        if s := skeleton(token):
            # Written without vowels, the skeleton is all the word has left: look further.
            add(keys["skel"].get(s), Q_SKEL, 1 << 30 if vr < 0.2 else BROAD_KEY)
        if last:
            add(keys["prefix"].get(token), Q_PREFIX)
        return found

    def _stand_ins(self, tok: str, is_last: bool) -> tuple[dict[int, float], dict[str, float], np.ndarray | None]:
        """The listed words a query word may stand for, each with the scorer's similarity (by id and by
        word), and the names holding it split in two. Kept per word across queries (read-only once
        made): a customer file repeats its given names and surnames thousands of times."""
        key = (tok, is_last)
        got = self._stand_in_cache.get(key)
        if got is not None:
            return got
        words = self.words
        hits = self.matching_tokens(tok, last=is_last)
        for tid in list(hits):
            word = words[tid]
            if word == tok:
                continue
            sim = token_similarity(tok, word, last=is_last)  # memoised; made once per word, not per query
            if sim[0] > 0.0:
                hits[tid] = sim[0]
            else:
                del hits[tid]
        split = self._split_pairs(tok) if len(tok) >= 4 else None
        got = (hits, StandIns(is_last, ((words[t], s) for t, s in hits.items())), split)
        return _remember(self._stand_in_cache, key, got)

    def _inverse(self) -> list[str]:
        return self.words

    # ---- read-only views for other readers of the lists (free-text mentions) -------------
    def name_count(self, token: str) -> int:
        """In how many listed names this exact token appears (0 for a word no list uses)."""
        tid = self.vocab.get(token)
        return 0 if tid is None else self._df[tid]

    def names_with(self, token: str) -> list[int]:
        """Ids of the listed names holding this exact token (`self.names[i]` is the name)."""
        tid = self.vocab.get(token)
        return [] if tid is None else self.postings[self._indptr[tid] : self._indptr[tid + 1]].tolist()

    def all_names(self) -> Iterator[tuple[int, IndexedName]]:
        """(id, name) for every listed name, read without filling the scorer's view cache."""
        view = self.names._view
        for nid in range(len(self.names)):
            yield nid, view(nid)

    def _split_pairs(self, token: str) -> np.ndarray | None:
        """Names holding two neighbouring words that, written together, give `token` ("DECAFE")."""
        vocab, join = self.vocab, self.pairs["join"]
        found = []
        for k in range(1, len(token)):
            a = vocab.get(token[:k])
            if a is None:
                continue
            b = vocab.get(token[k:])
            if b is not None:
                got = join.get(a, b)
                if len(got):
                    found.append(got)
        if not found:
            return None
        return found[0] if len(found) == 1 else np.unique(np.concatenate(found))

    def _word_group(self, tok: str, is_last: bool, mult: float) -> tuple[_Group | None, tuple[int, int] | None, StandIns]:
        """A query word's group, its seed and its stand-ins, kept across queries like the stand-ins."""
        key = (tok, is_last, mult)
        got = self._group_cache.get(key)
        if got is None:
            hits, found_as, split = self._stand_ins(tok, is_last)
            direct = [] if split is None else [(split, Q_EXACT * math.log1p(self._n / len(split)))]
            group, seed = self._group(tok, hits, direct, mult) if hits or direct else (None, None)
            got = _remember(self._group_cache, key, (group, seed, found_as))
        return got

    def _group(self, tok: str, hits: dict[int, float], direct: list[tuple[np.ndarray, float]],
               mult: float) -> tuple[_Group, tuple[int, int] | None]:
        """The stand-ins of one query word, best first, split into those that find candidates and the
        rest; and, when none can find candidates, its rarest stand-in as a seed."""
        idf_l, df, words = self._idf, self._df, self.words
        postings, indptr = self.postings, self._indptr
        own = self.vocab.get(tok)
        # Best stand-ins first: by similarity, then by spelling distance (several sound alike),
        # then the rarer word; then the word's id, so that a tie never depends on set order (the
        # hash seed) and every process ranks alike.
        # A stand-in weighs no more than the query word itself would: "CHENG" found as the rarer
        # "CHENGTAI" must not outrank the names holding CHENG as written.
        cap = idf_l[own] if own is not None else math.inf
        ranked = [(tid, q * min(idf_l[tid], cap) * mult) for tid, q in hits.items()]
        every = ranked  # all of them weigh in the ranking; only the best few find candidates
        if len(ranked) <= MAX_EXPANSIONS:
            ranked.sort(key=lambda kv: (kv[0] != own, -hits[kv[0]], -kv[1], kv[0]))
        else:
            ranked.sort(key=lambda kv: (kv[0] != own, -hits[kv[0]], OSA.distance(tok, words[kv[0]]), -kv[1], kv[0]))
            # Past the best few, rare stand-ins still come along while they are cheap: a cut-short
            # word ("JAL") is ambiguous, and the listed one is as likely the 20th stand-in as the 2nd.
            extra, spare = [], RARE_EXTRA_POSTINGS
            for tid, w in ranked[MAX_EXPANSIONS : MAX_EXPANSIONS * 6]:
                if df[tid] <= spare:
                    spare -= df[tid]
                    extra.append((tid, w))
            ranked = ranked[:MAX_EXPANSIONS] + extra
        budget = GROUP_CAP
        drive: list[tuple[float, np.ndarray]] = []
        common = len(every) > len(ranked)
        for tid, w in ranked:
            size = df[tid]
            if size <= DRIVE_DF and size <= budget:
                budget -= size
                drive.append((w, postings[indptr[tid] : indptr[tid + 1]]))
            else:
                common = True
        pairs = [(w * mult, got[:GROUP_CAP]) for got, w in direct]
        drive += pairs
        seed = None
        if not drive and ranked:
            rarest = min(ranked, key=lambda kv: df[kv[0]])[0]
            seed = (df[rarest], rarest)
        # Ascending weight, so that a name reached twice keeps the better weight.
        drive.sort(key=lambda x: x[0])
        return _Group(drive, every, pairs, common), seed

    def candidate_names(self, tokens: tuple[str, ...], tags: tuple[int, ...], limit: int = 100,
                        found: dict[str, dict[str, float]] | None = None) -> list[tuple[int, float]]:
        """Name ids ranked by the rarity-weighted sum of query tokens they contain.

        Every listed word a query word was looked up under is checked with the scorer's own word
        similarity: stand-ins the scorer would reject are dropped, the rest weigh by their similarity
        (so "ABDL" ranks ABDUL above ABADALLAH). `found`, when given, receives for each query word
        the listed words it was found under, so the scorer compares fuzzily only where the index
        saw a likeness."""
        if not tokens:
            return []
        queries: list[tuple[str, int, str | None]] = [(t, g, None) for t, g in zip(tokens, tags)]
        exact_only = len(queries)
        # Query words split by a stray space or a hyphen ("INVERSI ONES", "AL BADRI"): exact lookups only.
        # A single letter may be an initial even where it reads as a particle ("E INSTITUTE").
        for (a, ta, _), (b, tb, _) in zip(queries, queries[1:exact_only]):
            weak_a, weak_b = ta in _WEAK, tb in _WEAK
            if not (weak_a or weak_b):
                queries.append((a + b, Tag.OTHER, "join:" + a))
            if len(a) == 1 and len(b) > 1 and not weak_b:
                queries.append((b, Tag.OTHER, "init_left:" + a))
            elif len(b) == 1 and len(a) > 1 and not weak_a:
                queries.append((a, Tag.OTHER, "init_right:" + b))
        last = len(tokens) - 1
        has_strong = any(t not in _WEAK and len(tok) > 1 for tok, t in zip(tokens, tags))
        vocab, idf_l = self.vocab, self._idf
        n = self._n
        # Per query word: the names it finds and the weights it gives (see _Group).
        groups: list[_Group] = []
        seeds: list[tuple[int, int]] = []  # (df, token id) of the best word of a query word with no driving word
        boosts: list[tuple[int, float]] = []  # (token id, weight) of weak query words: tie-breakers only
        postings, indptr = self.postings, self._indptr
        for i, (tok, tag, special) in enumerate(queries):
            if has_strong and (tag in _WEAK or len(tok) == 1):
                # Legal forms, titles, particles and initials never find a party on their own, but among
                # the parties the other words found they break ties ("AMIR ABDULLAH" among 300 ABDULLAHs).
                if i < exact_only and (tid := vocab.get(tok)) is not None:
                    boosts.append((tid, idf_l[tid] * TAG_WEIGHT[tag] * 0.5))
                continue
            mult = TAG_WEIGHT[tag] if tag in _WEAK else 1.0
            direct: list[tuple[np.ndarray, float]] = []
            if special is not None and special.startswith("join:"):
                a = special[5:]
                tid = vocab.get(tok)
                hits = {tid: Q_CONCAT} if tid is not None else {}
                ta, tb = vocab.get(a), vocab.get(tok[len(a):])
                if ta is not None and tb is not None:
                    got = self.pairs["join"].get(ta, tb)
                    if len(got):
                        direct.append((got, Q_CONCAT * math.log1p(n / len(got))))
            elif special is not None:
                side, letter = special.split(":")
                tid = vocab.get(tok)
                if tid is None:
                    continue
                got = self.pairs[side].get(ord(letter), tid) if side == "init_left" else self.pairs[side].get(tid, ord(letter))
                if len(got):
                    direct.append((got, Q_CONCAT * math.log1p(n / len(got))))
                hits: dict[int, float] = {}
            elif i >= exact_only:
                tid = vocab.get(tok)
                hits = {tid: Q_CONCAT} if tid is not None else {}
            else:
                word_group, seed, found_as = self._word_group(tok, i == last, mult)
                if found is not None:
                    found[tok] = found_as
                if seed is not None:
                    seeds.append(seed)
                if word_group is not None:
                    groups.append(word_group)
                continue
            if not hits and not direct:
                continue
            group, seed = self._group(tok, hits, direct, mult)
            if seed is not None:
                seeds.append(seed)
            groups.append(group)
        if not groups:
            return []
        reached = sum(len(nids) for g in groups for _, nids in g.drive)
        if reached <= DICT_PATH_MAX and not any(g.common for g in groups):
            return self._rank_small(groups, boosts, limit)
        for tid, w in boosts:
            groups.append(_Group([], [(tid, w)], [], True))
        if reached:
            cand = np.concatenate([nids for g in groups for _, nids in g.drive])
            # The postings are sorted runs, which a stable sort merges: several times faster than
            # quicksort or np.unique's hashing here; then a neighbour mask drops the repeats.
            cand.sort(kind="stable")
            if len(cand) > 1:
                cand = cand[np.concatenate(([True], cand[1:] != cand[:-1]))]
        elif seeds:
            # Only common words: names holding the two rarest of them, else the rarest one's first names.
            seeds.sort()
            first = postings[indptr[seeds[0][1]] : indptr[seeds[0][1] + 1]]
            cand = first
            if len(seeds) > 1:
                second = postings[indptr[seeds[1][1]] : indptr[seeds[1][1] + 1]]
                both = np.intersect1d(first, second, assume_unique=True)
                if len(both):
                    cand = both
            cand = cand[:SEED_CAP].astype(np.int64)
        else:
            return []
        return _best(cand, self._accumulate(cand, groups), self.names.lengths, limit)

    def _rank_small(self, groups: list[_Group], boosts: list[tuple[int, float]], limit: int) -> list[tuple[int, float]]:
        """Few names reached and no common words: plain dicts beat numpy's per-call overhead. The
        scores, and so the ranking, are the same as the numpy path's."""
        acc: dict[int, float] | None = None
        for group in groups:
            best: dict[int, float] = {}
            for w, nids in group.drive:
                best.update(dict.fromkeys(nids.tolist(), w))
            if acc is None:
                acc = best  # the first word's names need no adding up
                continue
            get = acc.get
            for nid, w in best.items():
                acc[nid] = get(nid, 0.0) + w
        if not acc:
            return []
        df, postings, indptr = self._df, self.postings, self._indptr
        cand = np.fromiter(acc, dtype=np.int64, count=len(acc))
        for tid, w in boosts:
            post = postings[indptr[tid] : indptr[tid + 1]]
            if df[tid] <= BOOST_DF:
                held = acc.keys() & post.tolist()
            else:  # a common weak word ("AL"): its postings are searched, not listed
                pos = np.minimum(np.searchsorted(post, cand), len(post) - 1)
                held = cand[post[pos] == cand].tolist()
            for nid in held:
                acc[nid] += w
        return _best(cand, np.fromiter(acc.values(), dtype=np.float64, count=len(acc)), self.names.lengths, limit)

    def _accumulate(self, cand: np.ndarray, groups: list[_Group]) -> np.ndarray:
        """Per candidate name (sorted ids): the sum over query words of the best weight it earns for
        each. The candidates' own words are looked up among the query's stand-ins, so the cost follows
        the candidates, however long the postings of a common word grow with the list."""
        n, width = len(cand), len(groups)
        best = np.zeros(width * n, dtype=np.float64)  # best weight per (query word, candidate)
        table: dict[int, tuple[int, float]] = {}  # listed word -> (query word's offset in `best`, weight)
        again: list[tuple[int, int, float]] = []  # a listed word that several query words stand for (rare)
        for g, group in enumerate(groups):
            for tid, w in group.words:
                if tid in table:
                    again.append((tid, g * n, w))
                else:
                    table[tid] = (g * n, w)
        if table:
            lens = self.names.lengths[cand]
            ends = np.cumsum(lens)
            held = self.names.tokens[_slices(self.names.indptr[cand], lens)]
            keys = np.fromiter(table, dtype=np.int32, count=len(table))
            if len(self.words) <= SLOT_TABLE_MAX:
                # Listed word -> its entry in the table: one gather per word the candidates hold.
                slot = np.full(len(self.words), -1, dtype=np.int32)
                slot[keys] = np.arange(len(table), dtype=np.int32)
                pos = slot[held]
            else:  # a vocabulary too large to fill a table for every query: binary search the few keys
                order = np.argsort(keys).astype(np.int32)
                at = np.minimum(np.searchsorted(keys[order], held), len(keys) - 1)
                pos = np.where(keys[order][at] == held, order[at], -1)
            hit = np.flatnonzero(pos >= 0)
            row = np.searchsorted(ends, hit, side="right")  # the candidate holding each hit
            pos = pos[hit]
            offset = np.fromiter((g for g, _ in table.values()), dtype=np.int64, count=len(table))
            weight = np.fromiter((w for _, w in table.values()), dtype=np.float64, count=len(table))
            np.maximum.at(best, row + offset[pos], weight[pos])
            if again:
                held = held[hit]
                for tid, g, w in again:
                    at = row[held == tid] + g
                    best[at] = np.maximum(best[at], w)
        for g, group in enumerate(groups):
            for w, nids in group.pairs:
                at = np.searchsorted(cand, nids) + g * n
                best[at] = np.maximum(best[at], w)
        # Summed query word by query word, in the same order for every name, so equal sums stay equal.
        return best.reshape(width, n).sum(axis=0)

    @staticmethod
    def weight(df: int, n: int) -> float:
        return math.log1p(n / max(df, 1))

