"""Candidate generation over every name and alias of every listed party."""

from tamiz.index.inverted import CandidateIndex, IndexedName

__all__ = ["CandidateIndex", "IndexedName"]
