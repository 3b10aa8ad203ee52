"""Candidate index: every token of every name, reachable by exact, equivalent,
phonetic, consonant-skeleton, single-deletion (SymSpell) and prefix keys.

Typos, OCR errors and transpositions meet their listed token by dictionary
lookup instead of a scan, so the cost of a query depends on the posting lists
it touches, not on the size of the list. Very common tokens (a given name that
a fortieth of the list shares) only rank names that rarer tokens already found.
"""

from __future__ import annotations

import heapq
import math
from operator import itemgetter
import pickle
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rapidfuzz.distance import OSA

from tamiz.normalize import TAG_WEIGHT, Tag, deletes, equivalent, phonetic, skeleton
from tamiz.normalize.keys import vowel_ratio

FORMAT = 4
# Lookup qualities: how sure a key hit is that the query token means this listed token.
BROAD_KEY = 64  # phonetic/skeleton/prefix keys naming more listed words than this are skipped
MAX_EXPANSIONS = 12  # listed words one query word may stand for, best first
Q_EXACT, Q_EQUIV, Q_EDIT, Q_PHON, Q_SKEL, Q_PREFIX, Q_CONCAT = 1.0, 0.9, 0.8, 0.8, 0.75, 0.7, 0.9


class KeyTable:
    """key -> listed token ids, stored as one CSR array so a saved index loads in a blink."""

    __slots__ = ("_pos", "_indptr", "_ids", "_keys")

    def __init__(self, keys: list[str], indptr: np.ndarray, ids: np.ndarray):
        self._keys = keys
        self._pos = dict(zip(keys, range(len(keys))))
        self._indptr = indptr
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

    def __contains__(self, key: str) -> bool:
        return key in self._pos

    def __getitem__(self, key: str) -> list[int]:
        got = self.get(key)
        if got is None:
            raise KeyError(key)
        return got

    def __getstate__(self):
        return ("\0".join(self._keys), self._indptr, self._ids)

    def __setstate__(self, state):
        joined, indptr, ids = state
        keys = joined.split("\0") if joined else []
        self._keys = keys
        self._pos = dict(zip(keys, range(len(keys))))
        self._indptr = indptr
        self._ids = ids


@dataclass(slots=True)
class IndexedName:
    entity: int  # position in the entity list
    kind: str  # NameKind value
    person: bool
    tokens: tuple[str, ...]
    tags: tuple[int, ...]
    weights: tuple[float, ...] = ()  # rarity × tag weight per token, filled by the index build


@dataclass
class CandidateIndex:
    names: list[IndexedName]
    vocab: dict[str, int]
    idf: np.ndarray  # per token id
    indptr: np.ndarray  # CSR postings: token id -> name ids
    postings: np.ndarray
    keys: dict[str, KeyTable] = field(default_factory=dict)
    unknown_idf: float = 8.0
    common_df: int = 2000

    # ---- build -------------------------------------------------------------------------
    @classmethod
    def build(cls, names: list[IndexedName]) -> "CandidateIndex":
        vocab: dict[str, int] = {}
        token_names: list[list[int]] = []
        real: set[str] = set()
        for nid, name in enumerate(names):
            real.update(name.tokens)
            seen = set()
            toks = list(name.tokens)
            # Adjacent pairs written together ("DE CAFE" ~ "DECAFE", "AL BADRI" ~ "ALBADRI").
            toks += [a + b for a, b in zip(name.tokens, name.tokens[1:])]
            # An initial beside a full word ("F INDUSTRIES", "H. Abdul"): keyed by the pair.
            toks += [f"{a[0]}_{b}" for a, b in zip(name.tokens, name.tokens[1:])]
            toks += [f"{a}_{b[0]}" for a, b in zip(name.tokens, name.tokens[1:])]
            for tok in toks:
                tid = vocab.setdefault(tok, len(vocab))
                if tid == len(token_names):
                    token_names.append([])
                if tid not in seen:
                    seen.add(tid)
                    token_names[tid].append(nid)
        df = np.array([len(p) for p in token_names], dtype=np.float32)
        n = max(1, len(names))
        idf = np.log1p(n / np.maximum(df, 1)).astype(np.float32)
        lengths = np.array([len(p) for p in token_names], dtype=np.int64)
        indptr = np.zeros(len(token_names) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        postings = np.fromiter((nid for p in token_names for nid in p), dtype=np.int32, count=int(indptr[-1]))
        keys: dict[str, dict[str, list[int]]] = {k: defaultdict(list) for k in ("del", "phon", "skel", "prefix", "equiv")}
        for tok, tid in vocab.items():
            if tok not in real:
                continue  # joined pairs and initial keys are looked up exactly, never fuzzily
            if len(tok) >= 3:
                keys["del"][tok].append(tid)
                for d in deletes(tok):
                    keys["del"][d].append(tid)
            if len(tok) >= 3:
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
        idf_list = idf.tolist()
        for name in names:
            name.weights = tuple(idf_list[vocab[t]] * TAG_WEIGHT[g] for t, g in zip(name.tokens, name.tags))
        return cls(names, vocab, idf, indptr, postings, frozen, unknown, max(2000, n // 40))

    # ---- persistence -------------------------------------------------------------------
    def save(self, path: Path) -> None:
        state = {
            "format": FORMAT,
            "names": [(n.entity, n.kind, n.person, n.tokens, n.tags, n.weights) for n in self.names],
            "vocab": self.vocab,
            "idf": self.idf,
            "indptr": self.indptr,
            "postings": self.postings,
            "keys": self.keys,
            "unknown_idf": self.unknown_idf,
            "common_df": self.common_df,
        }
        with open(path, "wb") as fh:
            pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def load(cls, path: Path) -> "CandidateIndex":
        with open(path, "rb") as fh:
            state = pickle.load(fh)
        if state.get("format") != FORMAT:
            raise ValueError(f"{path}: index format {state.get('format')} is not {FORMAT}; rebuild it")
        names = [IndexedName(*row) for row in state["names"]]
        return cls(names, state["vocab"], state["idf"], state["indptr"], state["postings"], state["keys"],
                   state["unknown_idf"], state["common_df"])

    # ---- lookup ------------------------------------------------------------------------
    def token_weight(self, token: str, tag: int = Tag.OTHER) -> float:
        tid = self.vocab.get(token)
        base = float(self.idf[tid]) if tid is not None else self.unknown_idf
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
        if len(token) < 3:
            if last and len(token) == 2:
                add(self.keys["prefix"].get(token), Q_PREFIX)
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
            inv = self._inverse()
            for tid in cands:
                if tid not in found and OSA.distance(token, inv[tid], score_cutoff=limit) <= limit:
                    found[tid] = Q_EDIT
        if vowel_ratio(token) >= 0.2 and (p := phonetic(token)):
            add(keys["phon"].get(p), Q_PHON)
        if s := skeleton(token):
            # Written without vowels, the skeleton is all the word has left: look further.
            add(keys["skel"].get(s), Q_SKEL, 1 << 30 if vowel_ratio(token) < 0.2 else BROAD_KEY)
        if last:
            add(keys["prefix"].get(token), Q_PREFIX)
        return found

    def _inverse(self) -> list[str]:
        inv = getattr(self, "_inv", None)
        if inv is None:
            inv = [""] * len(self.vocab)
            for tok, tid in self.vocab.items():
                inv[tid] = tok
            object.__setattr__(self, "_inv", inv)
        return inv

    def candidate_names(self, tokens: tuple[str, ...], tags: tuple[int, ...], limit: int = 100,
                        found: dict[str, frozenset[str]] | None = None) -> list[tuple[int, float]]:
        """Name ids ranked by the rarity-weighted sum of query tokens they contain.

        `found`, when given, receives for each query word the listed words it was found under,
        so the scorer compares fuzzily only where the index saw a likeness."""
        if not tokens:
            return []
        groups: list[tuple[float, list[tuple[int, float]]]] = []
        queries = list(zip(tokens, tags))
        weak = (Tag.PARTICLE, Tag.TITLE, Tag.LEGAL)
        # Query words split by a stray space or a hyphen ("INVERSI ONES", "AL BADRI"): exact lookups only.
        exact_only = len(queries)
        for (a, ta), (b, tb) in zip(queries, queries[1:exact_only]):
            if ta in weak or tb in weak:
                continue
            queries.append((a + b, Tag.OTHER))
            if len(a) == 1 and len(b) > 1 or len(b) == 1 and len(a) > 1:
                queries.append((f"{a}_{b}", Tag.OTHER))
        last = len(tokens) - 1
        has_strong = any(t not in weak and len(tok) > 1 for tok, t in zip(tokens, tags))
        for i, (tok, tag) in enumerate(queries):
            if has_strong and (tag in weak or len(tok) == 1):
                continue  # legal forms, titles, particles and initials never find a party on their own
            if i >= exact_only:
                tid = self.vocab.get(tok)
                hits = {tid: Q_CONCAT} if tid is not None else {}
            else:
                hits = self.matching_tokens(tok, last=(i == last))
            if found is not None and i < len(tokens):
                inv = self._inverse()
                found[tok] = frozenset(inv[t] for t in hits)
            if not hits:
                continue
            if len(hits) > MAX_EXPANSIONS:
                # The word itself always stays; then the likeliest, rarest stand-ins.
                ranked = sorted(hits.items(), key=lambda kv: (kv[1] < Q_EXACT, -kv[1] * float(self.idf[kv[0]])))
                hits = dict(ranked[:MAX_EXPANSIONS])
            mult = TAG_WEIGHT[tag] if tag in (Tag.PARTICLE, Tag.TITLE, Tag.LEGAL) else 1.0
            groups.append((mult, list(hits.items())))
        if not groups:
            return []
        indptr, postings, idf = self.indptr, self.postings, self.idf
        common_df = self.common_df
        acc: dict[int, float] = {}
        common: list[tuple[int, float]] = []
        for mult, hits in groups:
            # One query word counts once per name: keep its best-matching listed word.
            best: dict[int, float] = {}
            for tid, quality in hits:
                lo, hi = int(indptr[tid]), int(indptr[tid + 1])
                weight = quality * float(idf[tid]) * mult
                if hi - lo > common_df:
                    common.append((tid, weight))
                    continue
                get = best.get
                for nid in postings[lo:hi].tolist():
                    if get(nid, 0.0) < weight:
                        best[nid] = weight
            for nid, weight in best.items():
                acc[nid] = acc.get(nid, 0.0) + weight
        if not acc and common:
            # Only common words: seed with the rarest one's postings (bounded).
            common.sort(key=lambda x: int(indptr[x[0] + 1] - indptr[x[0]]))
            tid, weight = common.pop(0)
            for nid in postings[int(indptr[tid]) : int(indptr[tid]) + common_df * 4].tolist():
                acc[nid] = weight
        if not acc:
            return []
        if common:
            ids = np.fromiter(acc.keys(), dtype=np.int32, count=len(acc))
            for tid, weight in common:
                members = postings[int(indptr[tid]) : int(indptr[tid + 1])]
                for nid in ids[np.isin(ids, members)].tolist():
                    acc[nid] += weight
        top = max(acc.values()) * 0.25
        items = [kv for kv in acc.items() if kv[1] >= top]
        return heapq.nlargest(limit, items, key=itemgetter(1))

    @staticmethod
    def weight(df: int, n: int) -> float:
        return math.log1p(n / max(df, 1))
