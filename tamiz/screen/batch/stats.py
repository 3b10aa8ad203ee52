"""Running figures of a batch: small, fixed-size, saved in the checkpoint so a resumed
run's report still counts the rows screened before the interruption."""

from __future__ import annotations

import heapq
from dataclasses import asdict, dataclass, field
from typing import Any

BINS = 20  # score histogram: 0.00-0.05, ..., 0.95-1.00
TOP = 25


@dataclass(slots=True)
class RunStats:
    rows: int = 0  # rows read, readable or not
    screened: int = 0
    errors: int = 0
    hits: int = 0
    rows_with_hits: int = 0
    seconds: float = 0.0  # screening time, summed over resumed runs
    histogram: list[int] = field(default_factory=lambda: [0] * BINS)
    per_list: dict[str, int] = field(default_factory=dict)
    per_program: dict[str, int] = field(default_factory=dict)
    top: list[dict[str, Any]] = field(default_factory=list)

    def add_chunk(self, rows: int, screened: int, errors: int, hits: list[dict[str, Any]]) -> None:
        self.rows += rows
        self.screened += screened
        self.errors += errors
        self.hits += len(hits)
        self.rows_with_hits += len({h["line"] for h in hits})
        for h in hits:
            score = float(h["score"])
            self.histogram[min(BINS - 1, int(score * BINS))] += 1
            for d in h.get("datasets") or ():
                self.per_list[d] = self.per_list.get(d, 0) + 1
            for p in h.get("programs") or ():
                self.per_program[p] = self.per_program.get(p, 0) + 1
        if hits:
            merged = self.top + [dict(h) for h in hits]
            self.top = heapq.nlargest(TOP, merged, key=lambda h: (h["score"], -h["line"]))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "RunStats":
        return cls(**data) if data else cls()
