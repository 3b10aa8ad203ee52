"""The process-wide name caches stay small and a screener starts with them empty (soak finding 8).

A server screens mostly new names, so each cache is only flat once full: they
must be bounded small (full within minutes), skip keys that need no cache, and
not start out holding the index build's listed names. The party below is
fictional.
"""

from __future__ import annotations

from pathlib import Path

from tamiz.normalize import keys
from tamiz.normalize.caches import CACHES, cache_info, clear_caches
from tamiz.screen.screener import Screener
from tamiz.sources.registry import parse_files
from tamiz.store import Store

CSV = """id,name,schema,aliases,weak_aliases,birth_date,nationality,country,id_numbers,address,program,reason,listed_on,notes,linked_to
P-001,Aurelio Vasquez Montenegro,Person,Aurelio Vasques,,1971-03-14,Mexico,MX,,,EXITED_FOR_CAUSE,structuring,2023-05-02,,
C-77,Cobalt Horizon Trading FZE,Company,Cobalt Horizon General Trading,,,,ae,,,FRONT_COMPANY,,2024-01,,
"""


def test_every_name_cache_is_bounded_small():
    for name, info in cache_info().items():
        assert info["maxsize"] is not None and info["maxsize"] <= 1 << 16, name
    # rigour's own metaphone memo (131,072 entries) is bypassed: ours is the only bound.
    assert keys._metaphone("makarnic") == keys.phonetic("makarnic")
    assert not hasattr(keys._metaphone, "cache_info")


def test_tokens_that_get_no_key_take_no_cache_slot():
    clear_caches()
    for token in ("12345", "67890", "ab", "x1y2z"):
        assert keys.phonetic(token) == "" and keys.skeleton(token) == ""
    assert cache_info()["phonetic"]["currsize"] == 0 and cache_info()["skeleton"]["currsize"] == 0
    assert keys.skeleton("davalos") == "dvls" and cache_info()["skeleton"]["currsize"] == 1


def test_vowel_ratio_counts_vowels():
    assert keys.vowel_ratio.__wrapped__("aeiou") == 1.0
    assert keys.vowel_ratio.__wrapped__("mhmd") == 0.0
    assert keys.vowel_ratio.__wrapped__("mohammed") == 3 / 8
    assert keys.vowel_ratio.__wrapped__("") == 0.0


def test_a_screener_opens_with_the_caches_empty_and_screening_refills_them(tmp_path: Path):
    path = tmp_path / "internal.csv"
    path.write_text(CSV, encoding="utf-8")
    store = Store.open(f"sqlite:///{tmp_path / 'tamiz.db'}")
    store.load(parse_files("acme_internal", [path], format="internal"))
    screener = Screener.open(store=store, load_default=False, audit=False)  # builds the index: fills the caches
    assert {name: info["currsize"] for name, info in cache_info().items()} == dict.fromkeys(CACHES, 0)
    result = screener.screen("Aurelio Vazquez Montenegro", schema="Person", audit=False)
    assert result.matches and result.matches[0].id == "acme_internal:P-001"
    assert cache_info()["analyse"]["currsize"] > 0 and cache_info()["fold_text"]["currsize"] > 0
