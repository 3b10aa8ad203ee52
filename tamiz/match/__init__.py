"""Scoring of a query against listed parties, with the evidence behind every score."""

from tamiz.match.evidence import DEFAULT_WEIGHTS
from tamiz.match.matcher import MATCH_THRESHOLD, Matcher, Query, compare
from tamiz.match.results import Comparison, Feature, Hit

__all__ = ["Matcher", "Query", "Hit", "Feature", "Comparison", "compare", "MATCH_THRESHOLD", "DEFAULT_WEIGHTS"]
