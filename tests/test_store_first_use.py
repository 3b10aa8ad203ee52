"""A fresh install's first use: the packaged SDN snapshot loads by itself, the Python API
gives the same records as `tamiz screen --json`, every `lists` command names the list
versions it used with their dates and warns when one is stale, and a bad file given to
`tamiz lists load` is one clear error that leaves the store as it was."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tamiz.cli.main import app
from tests.conftest import LISTS, need

runner = CliRunner()
SNAPSHOT_DATE = "2021-07-07"
CONS = LISTS / "us_ofac_consolidated"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("first_use")


@pytest.fixture(autouse=True)
def tamiz_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One fresh data dir for the module: the snapshot is loaded and indexed once."""
    monkeypatch.setenv("TAMIZ_HOME", str(home))
    monkeypatch.delenv("TAMIZ_DB", raising=False)
    return home


@pytest.fixture(scope="module")
def loaded(home: Path) -> None:
    """The first command ever run loads the packaged snapshot."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TAMIZ_HOME", str(home))
        mp.delenv("TAMIZ_DB", raising=False)
        invoke("screen", "Nemesio Oseguera")


def invoke(*args: str) -> Result:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def flat(text: str) -> str:
    """Rich wraps long lines at the terminal width: compare on one line."""
    return " ".join(text.split())


def test_python_api_returns_the_records_of_the_json_contract() -> None:
    from tamiz import Screener

    screener = Screener.open()  # empty data dir: loads the packaged snapshot first
    try:
        result = screener.screen("Nemesio Oseguera", schema="Person")
    finally:
        screener.close()
    top = result.results[0]
    assert (top.id, top.schema, top.caption) == ("us_ofac_sdn:17674", "Person", "OSEGUERA CERVANTES, Nemesio")
    assert top.match is True and 0.0 <= top.score <= 1.0 and "oseguera" in top.explanation.lower()
    (sdn,) = result.datasets
    assert (sdn.name, sdn.version, sdn.published, sdn.stale) == ("us_ofac_sdn", 1, SNAPSHOT_DATE, True)

    data = json.loads(invoke("screen", "Nemesio Oseguera", "--schema", "Person", "--json").stdout)
    keys = ("id", "schema", "caption", "score", "match", "explanation")
    assert [{k: r[k] for k in keys} for r in data["results"]] == [
        {k: getattr(r, k) for k in keys} for r in result.results
    ]
    assert data["datasets"] == [s.to_dict() for s in result.datasets]


def _export(tmp: Path) -> Result:
    return invoke("lists", "export", "us_ofac_sdn", "--out", str(tmp / "sdn.ftm.json"))


COMMANDS: dict[str, Callable[[Path], Result]] = {
    "screen": lambda _: invoke("screen", "Ivan Archivaldo Guzman Salazar"),
    "screen --json": lambda _: invoke("screen", "Ivan Archivaldo Guzman Salazar", "--json"),
    "lists status": lambda _: invoke("lists", "status"),
    "lists show": lambda _: invoke("lists", "show", "us_ofac_sdn:13148"),
    "lists show --json": lambda _: invoke("lists", "show", "us_ofac_sdn:13148", "--json"),
    "lists diff": lambda _: invoke("lists", "diff", "us_ofac_sdn"),
    "lists diff --json": lambda _: invoke("lists", "diff", "us_ofac_sdn", "--json"),
    "lists export": _export,
    "lists load (same files)": lambda tmp: invoke("lists", "load", "us_ofac_sdn", *map(str, _snapshot_files(tmp))),
}


def _snapshot_files(tmp: Path) -> list[Path]:
    """The snapshot's own files, unpacked: loading them again makes no new version."""
    from tamiz.sources.snapshot import extract_snapshot

    return extract_snapshot(tmp / "snapshot")


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_names_list_versions_dates_and_warns_when_stale(command: str, tmp_path: Path, loaded: None) -> None:
    said = flat(COMMANDS[command](tmp_path).output)
    assert re.search(r"us_ofac_sdn\W+v?1\b", said), said[:300]
    assert SNAPSHOT_DATE in said
    assert "WARNING" in said and "days old" in said and "run `tamiz lists update`" in said


def test_diff_names_both_versions_with_their_dates(tmp_path: Path, loaded: None) -> None:
    cons = [need(CONS / n) for n in ("cons_prim.csv", "cons_add.csv", "cons_alt.csv", "cons_comments.csv")]
    invoke("lists", "load", "us_ofac_cons", *map(str, cons))
    invoke("lists", "load", "us_ofac_cons", *map(str, cons), "--force")
    versions = json.loads(invoke("lists", "diff", "us_ofac_cons", "--json").stdout)["versions"]
    assert len(versions) == 2 and versions[1]["version"] == versions[0]["version"] + 1
    assert all(v["published"] is None and v["loaded_at"] and v["stale"] is False for v in versions)
    text = flat(invoke("lists", "diff", "us_ofac_cons").output)
    for v in versions:
        assert f"v{v['version']}: published unknown, loaded {v['loaded_at'][:10]}" in text
    assert "publication date unknown" in text  # the current version, named on stderr


# ------------------------------------------------------- bad files: one error, store unchanged


def _cut_xml(tmp: Path) -> tuple[list[str], str, str]:
    data = need(CONS / "consolidated_2018-04-06.xml").read_bytes()
    path = tmp / "consolidated.xml"
    path.write_bytes(data[: len(data) // 2])
    return ["--format", "ofac_xml", str(path)], "consolidated.xml", "truncated"


def _cut_csv(tmp: Path) -> tuple[list[str], str, str]:
    data = need(CONS / "cons_prim.csv").read_bytes()
    path = tmp / "cons_prim.csv"
    path.write_bytes(data[: len(data) // 2])
    return [str(path)], "cons_prim.csv", "broken CSV"


def _wrong_encoding(tmp: Path) -> tuple[list[str], str, str]:
    text = need(CONS / "cons_prim.csv").read_bytes().decode("cp1252")
    path = tmp / "cons_prim.csv"
    path.write_bytes(text.encode("utf-16"))
    return [str(path)], "cons_prim.csv", "UTF-16"


def _wrong_format(tmp: Path) -> tuple[list[str], str, str]:
    """A real list of another publisher (the UK's CSV) under an OFAC file name."""
    path = tmp / "cons_prim.csv"
    path.write_bytes(need(LISTS / "uk_hmt_ofsi" / "sanctionsconlist_2018-04-13.csv").read_bytes())
    return [str(path)], "cons_prim.csv", "not an OFAC entry number"


@pytest.mark.parametrize("make", [_cut_xml, _cut_csv, _wrong_encoding, _wrong_format],
                         ids=["xml cut in half", "truncated csv", "wrong encoding", "wrong format"])
def test_bad_file_is_one_clear_error_and_the_store_is_unchanged(make, tmp_path: Path, loaded: None) -> None:
    from tamiz.store import Store

    with Store.open() as store:
        token, before = store.state_token(), [(v.dataset, v.version) for v in store.datasets()]
    args, file_name, problem = make(tmp_path)
    result = runner.invoke(app, ["lists", "load", "us_ofac_cons", *args])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in result.output
    message = flat(result.stderr)
    assert file_name in message and problem in message, message
    with Store.open() as store:
        assert store.state_token() == token
        assert [(v.dataset, v.version) for v in store.datasets()] == before
        assert store.check_integrity() == []
