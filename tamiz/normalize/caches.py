"""The process-wide caches of name analysis, and emptying them once an index is built.

Building an index analyses every listed name once; what that leaves in these
caches is not what queries ask for. A screener empties them when it opens, so
a server whose index was just built starts like one whose index came from
disk, and query traffic refills the memory the build freed instead of new.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tamiz.normalize import keys, names, similarity, text

CACHES: dict[str, Callable[..., object]] = {
    "fold_text": text.fold_text,
    "analyse": names.analyse,
    "phonetic": keys._phonetic,
    "skeleton": keys._skeleton,
    "vowel_ratio": keys.vowel_ratio,
    "ocr_variants": keys.ocr_variants,
    "token_similarity": similarity.token_similarity,
}


def clear_caches() -> None:
    for fn in CACHES.values():
        fn.cache_clear()  # type: ignore[attr-defined]


def cache_info() -> dict[str, dict[str, Any]]:
    """Size, bound and hit counts of each cache: how a memory investigation sees they are full."""
    return {name: fn.cache_info()._asdict() for name, fn in CACHES.items()}  # type: ignore[attr-defined]
