"""Hostile list files and payment messages: refused with a SourceError naming the
file, nothing stored, no network touched, no hang.

An attacker who can get a file into the feed (a compromised mirror, a crafted
upload to `lists load`, a payment message from outside) must not be able to
read local files (XXE), reach the network (SSRF via external DTDs), exhaust
memory (entity expansion, deep nesting, decompression bombs) or crash the
loader with anything but a clean, actionable error.
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from security.corpus import FORMATS, MESSAGE_FILES, XML_FORMATS, Format, by_name, sample_bytes, write_input
from security.servers import Bodies, Canary

from tamiz.errors import SourceError
from tamiz.normalize import fold_text
from tamiz.screen.messages import parse_messages
from tamiz.sources.base import ParsedList
from tamiz.sources.fetch import FetchLimits, fetch_dataset
from tamiz.sources.registry import DatasetSpec
from tamiz.store import Store

SECRET = "TOP-SECRET-5f1c"
FORMAT_IDS = [f.name for f in FORMATS]


def _need(fmt: Format) -> Format:
    if not fmt.available and fmt.name != "internal":
        pytest.skip(f"real data not available for {fmt.name}")
    return fmt


def _parse(fmt: Format, directory: Path, data: bytes) -> ParsedList:
    return fmt.parse()(write_input(fmt, directory, data), fmt.dataset)  # type: ignore[return-value]


# -- hostile XML ----------------------------------------------------------------------------


def _xml_attacks(secret_file: Path, canary_url: str) -> dict[str, str]:
    lol = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    big = "A" * 50_000
    return {
        "xxe_file": f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret_file}">]>\n<r>&x;</r>',
        "xxe_http": f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "{canary_url}">]>\n<r>&x;</r>',
        "external_dtd": f'<?xml version="1.0"?>\n<!DOCTYPE r SYSTEM "{canary_url}">\n<r>&leak;</r>',
        "parameter_entity": f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY % p SYSTEM "{canary_url}"> %p;]>\n<r>&leak;</r>',
        "billion_laughs": f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY l0 "ha">{lol}]>\n<r>&l9;</r>',
        "quadratic_blowup": f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "{big}">]>\n<r>{"&a;" * 20_000}</r>',
        # A DOCTYPE far behind a comment that itself looks like a start tag.
        "late_doctype": '<?xml version="1.0"?>\n<!-- <a ' + "x" * 6000
        + f' -->\n<!DOCTYPE r SYSTEM "{canary_url}">\n<r>&leak;</r>',
        "xinclude": f'<r xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="{canary_url}" parse="text"/>'
        f'<xi:include href="file://{secret_file}" parse="text"/></r>',
    }


def _encodings(text: str) -> dict[str, bytes]:
    utf16 = text.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
    return {"utf8": text.encode(), "utf16": utf16.encode("utf-16")}


XML_TARGETS = [f.name for f in XML_FORMATS] + ["messages"]


def _run_xml(target: str, directory: Path, data: bytes) -> object:
    if target == "messages":
        return parse_messages(data, source="hostile.xml")
    return _parse(_need(by_name(target)), directory, data)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("target", XML_TARGETS)
def test_xml_attacks_are_refused_without_reading_files_or_network(target: str, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    with Canary() as canary:
        for name, text in _xml_attacks(secret, canary.url()).items():
            for enc, data in _encodings(text).items():
                with pytest.raises(SourceError) as caught:
                    _run_xml(target, tmp_path / f"{name}-{enc}", data)
                message = str(caught.value)
                assert SECRET not in message, (name, enc)
                expected_name = "hostile.xml" if target == "messages" else by_name(target).file_name
                assert expected_name in message, (name, enc, message)
        assert canary.hits == [], f"{target} fetched {canary.hits} while parsing"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("target", XML_TARGETS)
def test_deeply_nested_xml_is_refused(target: str, tmp_path: Path) -> None:
    data = b'<?xml version="1.0"?>' + b"<a>" * 100_000 + b"</a>" * 100_000
    with pytest.raises(SourceError):
        _run_xml(target, tmp_path, data)


# -- deep JSON ------------------------------------------------------------------------------

DEEP_JSON = {
    "array": b"[" * 100_000 + b"]" * 100_000 + b"\n",
    "object": b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b"\n",
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("shape", sorted(DEEP_JSON))
@pytest.mark.parametrize(
    "target",
    ["ftm", "internal"],
)
def test_deeply_nested_json_is_refused(target: str, shape: str, tmp_path: Path) -> None:
    fmt = _need(by_name(target))
    with pytest.raises(SourceError) as caught:
        _parse(fmt, tmp_path, DEEP_JSON[shape])
    assert fmt.file_name in str(caught.value)


# -- garbage, empty, oversized ----------------------------------------------------------------

GARBAGE = {
    "random_bytes": bytes((i * 131 + 7) % 256 for i in range(4096)),
    "nul_bytes": b"\x00" * 4096,
    "bom_only": b"\xef\xbb\xbf",
    "gzip_instead": gzip.compress(b"name,id\nfoo,1\n" * 100),
    "png_header": b"\x89PNG\r\n\x1a\n" + b"\x00" * 200,
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
def test_binary_garbage_is_a_source_error_naming_the_file(fmt: Format, tmp_path: Path) -> None:
    _need(fmt)
    for name, data in GARBAGE.items():
        with pytest.raises(SourceError) as caught:
            _parse(fmt, tmp_path / name, data)
        assert fmt.file_name in str(caught.value), (name, str(caught.value))


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "fmt",
    FORMATS,
    ids=FORMAT_IDS,
)
def test_empty_file_is_a_source_error(fmt: Format, tmp_path: Path) -> None:
    _need(fmt)
    for name, data in {"empty": b"", "blank": b"  \r\n\n"}.items():
        with pytest.raises(SourceError) as caught:
            _parse(fmt, tmp_path / name, data)
        assert fmt.file_name in str(caught.value)


@pytest.mark.timeout(60)
def test_message_garbage_and_oversize_are_refused(tmp_path: Path) -> None:
    for name, data in {**GARBAGE, "empty": b""}.items():
        with pytest.raises(SourceError):
            parse_messages(data, source=name)
    big = tmp_path / "huge.xml"
    with open(big, "wb") as fh:  # sparse: 65 MiB on paper, nothing on disk
        fh.truncate(65 * 1024 * 1024)
    with pytest.raises(SourceError) as caught:
        parse_messages(big)
    assert "huge.xml" in str(caught.value) and "larger" in str(caught.value)


# -- nothing stored: through the CLI into a real store -----------------------------------------


def _store_state(db: Path) -> tuple[list[tuple[str, int, int]], list[str]]:
    with Store.open(f"sqlite:///{db}") as store:
        versions = [(v.dataset, v.version, v.entity_count) for v in store.datasets()]
        return versions, store.check_integrity()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("fmt", [f for f in FORMATS if f.name in ("un_xml", "ofac_csv", "ftm")], ids=lambda f: f.name)
def test_cli_load_of_hostile_file_fails_cleanly_and_stores_nothing(fmt: Format, tmp_path: Path) -> None:
    from tamiz.cli.main import app

    _need(fmt)
    db = tmp_path / "tamiz.db"
    good = write_input(fmt, tmp_path / "good", sample_bytes(fmt))
    runner = CliRunner()
    first = runner.invoke(app, ["lists", "load", fmt.dataset, *map(str, good), "--db", str(db)])
    assert first.exit_code == 0, first.output
    before = _store_state(db)
    assert before[0] and before[1] == []
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    with Canary() as canary:
        hostile = {
            "xxe": _xml_attacks(secret, canary.url())["xxe_file"].encode(),
            "garbage": GARBAGE["random_bytes"],
            "truncated": sample_bytes(fmt)[: len(sample_bytes(fmt)) // 2],
        }
        for name, data in hostile.items():
            paths = write_input(fmt, tmp_path / name, data)
            res = runner.invoke(app, ["lists", "load", fmt.dataset, *map(str, paths), "--db", str(db)])
            assert res.exit_code == 1, (name, res.output)
            assert not isinstance(res.exception, SystemExit) or res.exception.code == 1
            assert "Traceback" not in res.output and SECRET not in res.output
            assert fmt.file_name in res.output.replace("\n", ""), (name, res.output)
            assert _store_state(db) == before, name
        assert canary.hits == []


# -- downloads: bombs and hostile files never land -----------------------------------------------

TINY = FetchLimits(max_bytes=2_000_000, max_unpacked_bytes=1_000_000, tries=1, backoff=0, timeout=10)


def _spec(urls: list[str], parser: str = "tamiz.sources.un_xml:parse", name: str = "un_sc_sanctions") -> DatasetSpec:
    return DatasetSpec(name=name, title="t", publisher="p", format="", parser=parser, urls=urls)


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.mark.timeout(60)
def test_download_bombs_are_refused(tmp_path: Path) -> None:
    zeros = b"\x00" * 20_000_000
    with Bodies() as srv:
        srv.routes["bomb.xml.gz"] = (gzip.compress(zeros), {})
        srv.routes["transfer.xml"] = (gzip.compress(zeros), {"Content-Encoding": "gzip"})
        srv.routes["bomb.zip"] = (_zip({"a.xml": zeros}), {})
        srv.routes["many.zip"] = (_zip({f"m{i}.xml": b"<a/>" for i in range(300)}), {})
        srv.routes["spread.zip"] = (_zip({f"m{i}.xml": b"\x00" * 400_000 for i in range(5)}), {})
        for name in srv.routes:
            dest = tmp_path / name
            result = fetch_dataset(_spec([srv.url(name)]), dest, limits=TINY)
            assert result.status == "failed", name
            assert result.error and srv.url(name).split("/")[-1].split(".")[0] in result.error, result.error
            left = [p for p in dest.rglob("*") if p.is_file()]
            assert sum(p.stat().st_size for p in left) <= TINY.max_unpacked_bytes, (name, left)


@pytest.mark.timeout(60)
def test_zip_member_names_cannot_escape_the_download_folder(tmp_path: Path) -> None:
    with Bodies() as srv:
        srv.routes["evil.zip"] = (_zip({"../../escaped.xml": b"<a/>", "/abs/escaped2.xml": b"<b/>"}), {})
        dest = tmp_path / "d" / "e"
        result = fetch_dataset(_spec([srv.url("evil.zip")]), dest, limits=TINY)
    assert result.ok, result.error
    assert all(p.parent == dest for p in result.paths)
    assert not (tmp_path / "escaped.xml").exists() and not Path("/abs/escaped2.xml").exists()


@pytest.mark.timeout(120)
def test_update_with_hostile_download_keeps_previous_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tamiz.sources.update import update_datasets

    fmt = _need(by_name("un_xml"))
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    db = tmp_path / "tamiz.db"
    with Canary() as canary, Bodies() as srv:
        srv.routes["consolidated.xml"] = (sample_bytes(fmt), {})
        override = tmp_path / "sources.json"
        override.write_text(json.dumps({"un_sc_sanctions": {"urls": [srv.url("consolidated.xml")]}}))
        monkeypatch.setenv("TAMIZ_SOURCES", str(override))
        with Store.open(f"sqlite:///{db}") as store:
            [first] = update_datasets(store, ["un_sc_sanctions"], limits=TINY)
            assert first.status == "updated", first.message
        before = _store_state(db)
        attacks = _xml_attacks(secret, canary.url())
        for name in ("xxe_file", "xxe_http", "billion_laughs"):
            srv.routes["consolidated.xml"] = (attacks[name].encode(), {})
            with Store.open(f"sqlite:///{db}") as store:
                [outcome] = update_datasets(store, ["un_sc_sanctions"], limits=TINY, force=True)
            assert outcome.status == "refused", (name, outcome)
            assert "consolidated.xml" in outcome.message and SECRET not in outcome.message
            assert _store_state(db) == before
        srv.routes["consolidated.xml"] = (gzip.compress(b"\x00" * 5_000_000), {"Content-Encoding": "gzip"})
        with Store.open(f"sqlite:///{db}") as store:
            [outcome] = update_datasets(store, ["un_sc_sanctions"], limits=TINY, force=True)
        assert outcome.status == "failed" and "decompression bomb" in outcome.message
        assert _store_state(db) == before
        assert canary.hits == []


# -- properties: any bytes, mutated real files --------------------------------------------------

PROPS = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def _mutate(data: bytes, ops: list[tuple[int, int, int]]) -> bytes:
    """Apply (kind, position, value) edits: flip a byte, insert one, delete a run, duplicate a run."""
    buf = bytearray(data)
    for kind, pos, value in ops:
        if not buf:
            buf.append(value)
            continue
        pos %= len(buf)
        if kind == 0:
            buf[pos] = value
        elif kind == 1:
            buf.insert(pos, value)
        elif kind == 2:
            del buf[pos : pos + value % 64 + 1]
        else:
            buf[pos:pos] = buf[pos : pos + value % 256 + 1]
    return bytes(buf)


MUTATIONS = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 1 << 20), st.integers(0, 255)), min_size=1, max_size=8)


# Crashes the fuzzers found that are not fixed yet: (exception type, function that raised it).
# The properties let exactly these through; each has a strict xfail regression test below.
KNOWN_BUGS: dict[str, tuple[type[BaseException], str]] = {}


def _known_bug(fmt: Format, exc: BaseException) -> bool:
    known = KNOWN_BUGS.get(fmt.name)
    if known is None or not isinstance(exc, known[0]):
        return False
    tb, names = exc.__traceback__, []
    while tb is not None:
        names.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    return known[1] in names


def _parse_or_source_error(fmt: Format, directory: Path, data: bytes) -> None:
    try:
        parsed = _parse(fmt, directory, data)
    except SourceError as exc:
        assert fmt.file_name in str(exc)
        return
    except Exception as exc:
        if _known_bug(fmt, exc):
            return
        raise
    assert isinstance(parsed, ParsedList)


CRASHES = Path(__file__).resolve().parents[2] / "fuzz" / "crashes"


def test_regression_ofac_advanced_non_numeric_date(tmp_path: Path) -> None:
    fmt = by_name("ofac_advanced_xml")
    _parse_or_source_error_strict(fmt, tmp_path, (CRASHES / "ofac_advanced_xml-int-date.xml").read_bytes())


def test_regression_ofac_xml_unknown_encoding(tmp_path: Path) -> None:
    fmt = by_name("ofac_xml")
    _parse_or_source_error_strict(fmt, tmp_path, (CRASHES / "ofac_xml-unknown-encoding.xml").read_bytes())


def _parse_or_source_error_strict(fmt: Format, directory: Path, data: bytes) -> None:
    try:
        _parse(fmt, directory, data)
    except SourceError:
        pass


@pytest.mark.timeout(120)
@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
def test_property_any_bytes_give_parsed_list_or_source_error(fmt: Format, tmp_path_factory: pytest.TempPathFactory) -> None:
    _need(fmt)
    directory = tmp_path_factory.mktemp(f"any-{fmt.name}")

    @PROPS
    @given(st.binary(max_size=3000))
    def check(data: bytes) -> None:
        _parse_or_source_error(fmt, directory, data)

    check()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
def test_property_mutated_real_file_gives_parsed_list_or_source_error(
    fmt: Format, tmp_path_factory: pytest.TempPathFactory
) -> None:
    _need(fmt)
    directory = tmp_path_factory.mktemp(f"mut-{fmt.name}")
    seed = sample_bytes(fmt)

    @PROPS
    @given(MUTATIONS)
    def check(ops: list[tuple[int, int, int]]) -> None:
        _parse_or_source_error(fmt, directory, _mutate(seed, ops))

    check()


@pytest.mark.timeout(120)
def test_property_messages_any_or_mutated_bytes() -> None:
    seeds = [p.read_bytes() for p in MESSAGE_FILES if p.exists()]
    if not seeds:
        pytest.skip("real messages not available")

    @PROPS
    @given(st.sampled_from(range(len(seeds))), MUTATIONS, st.binary(max_size=2000), st.booleans())
    def check(i: int, ops: list[tuple[int, int, int]], raw: bytes, use_raw: bool) -> None:
        data = raw if use_raw else _mutate(seeds[i], ops)
        try:
            out = parse_messages(data, source="fuzz.msg")
        except SourceError as exc:
            assert "fuzz.msg" in str(exc)
            return
        assert isinstance(out, list)

    check()


ALPHABET = set("abcdefghijklmnopqrstuvwxyz0123456789 ")
NAMEISH = st.text(
    st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Z", "Cf", "Cc")), max_size=80
)


@pytest.mark.timeout(120)
@settings(max_examples=400, deadline=None, database=None)
@given(st.one_of(NAMEISH, st.text(max_size=80)))
def test_property_normaliser_total_idempotent_and_ascii(text: str) -> None:
    folded = fold_text(text)
    assert set(folded) <= ALPHABET
    assert folded == " ".join(folded.split())  # no leading, trailing or double spaces
    # Folding its own output changes nothing.
    assert fold_text(folded) == folded


def test_normaliser_is_idempotent_with_symbol_swaps() -> None:
    for text in ("0@A", "$4L4Z4R", "5@L4Z@R"):
        folded = fold_text(text)
        assert fold_text(folded) == folded, (text, folded)


@pytest.mark.timeout(60)
def test_normaliser_survives_huge_and_pathological_names() -> None:
    from tamiz.normalize import analyse

    samples = [
        "A" * 200_000,
        "\u200b" * 100_000 + "GUZMAN",
        "\u0301" * 50_000,  # combining marks with no base
        "\U0010fffd" * 1000,
        "Ｇ" * 10_000,
        "1" * 10_000 + "a",
        " ".join(["de"] * 20_000),
    ]
    for s in samples:
        folded = fold_text(s)
        assert set(folded) <= ALPHABET
        analyse(s[:5000])
