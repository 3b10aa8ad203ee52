"""Similarity of two folded name tokens (lives in normalize so that the index can use it too)."""

from tamiz.normalize.similarity import FLOOR, token_similarity

__all__ = ["FLOOR", "token_similarity"]
