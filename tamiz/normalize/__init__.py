"""Name analysis: text folding, tagging of name parts, lookup keys."""

from tamiz.normalize.keys import deletes, equivalent, phonetic, skeleton
from tamiz.normalize.names import TAG_WEIGHT, NameParts, Tag, analyse
from tamiz.normalize.text import fold_text

__all__ = ["fold_text", "analyse", "NameParts", "Tag", "TAG_WEIGHT", "phonetic", "skeleton", "deletes", "equivalent"]
