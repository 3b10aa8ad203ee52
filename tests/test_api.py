"""The HTTP API on the packaged OFAC SDN snapshot: yente shapes, errors, limits, our own endpoints."""

from __future__ import annotations

import asyncio
import json
import os
import socket

import httpx
import pytest
from api_support import db_url, prepared_home
from conftest import MESSAGES, need
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from tamiz.api import ApiSettings, create_app
from tamiz.api.limits import LoadShedding
from tamiz.api.models import EntityResponse, MatchResponse, SearchResponse

YENTE_EXAMPLE = {
    "queries": {
        "q1": {"schema": "Person", "properties": {"name": ["Arkadiii Romanovich Rotenberg"], "birthDate": ["1951"]}}
    }
}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    home = prepared_home(tmp_path_factory)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TAMIZ_HOME", str(home))
        app = create_app(ApiSettings(db_url=db_url(home), reload_interval=0))
        with TestClient(app) as c:
            yield c


def _error(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["status"] == status and body["detail"]
    return body["detail"]


def test_yente_documented_example(client):
    r = client.post("/match/default", json=YENTE_EXAMPLE)
    assert r.status_code == 200, r.text
    body = r.json()
    MatchResponse.model_validate(body)
    assert body["limit"] == 5
    resp = body["responses"]["q1"]
    assert resp["status"] == 200
    assert resp["query"] == {"id": "q1", "schema": "Person", "properties": YENTE_EXAMPLE["queries"]["q1"]["properties"]}
    top = resp["results"][0]
    assert top["id"] == "us_ofac_sdn:16669" and top["caption"] == "ROTENBERG, Arkady"
    assert top["schema"] == "Person" and top["match"] is True and 0.7 <= top["score"] <= 1.0
    assert top["datasets"] == ["us_ofac_sdn"] and top["target"] is True
    assert all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in top["properties"].values())
    assert "ROTENBERG, Arkady" in top["properties"]["name"]
    assert any(d.startswith("1951") for d in top["properties"]["birthDate"])
    assert "sanction" in top["properties"]["topics"]
    assert top["features"]["name"] > 0.5 and set(top["explanations"]) == set(top["features"])
    assert resp["total"] == {"value": len(resp["results"]), "relation": "eq"}


def test_match_batch_of_two_with_params(client):
    body = {"queries": {
        "cartel": {"schema": "Organization", "properties": {"name": ["Cartel de Jalisco Nueva Generacion"]}},
        "mencho": {"schema": "Person", "properties": {"name": ["Nemesio Oseguera"], "nationality": ["Mexico"],
                                                      "birthDate": ["1966-07-17"]}},
    }}
    r = client.post("/match/sanctions?limit=2&algorithm=logic-v2", json=body)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["limit"] == 2 and data["matcher"]["name"] == "tamiz" and data["matcher"]["requested"] == "logic-v2"
    assert set(data["responses"]) == {"cartel", "mencho"}
    assert data["responses"]["cartel"]["results"][0]["id"] == "us_ofac_sdn:17671"
    mencho = data["responses"]["mencho"]["results"]
    assert mencho[0]["id"] == "us_ofac_sdn:17674" and mencho[0]["features"].get("dob_match", 0) > 0
    assert all(len(v["results"]) <= 2 for v in data["responses"].values())
    # Excluding the top hit and raising the cutoff both filter results.
    r = client.post("/match/default?exclude_entity_ids=us_ofac_sdn:17674&cutoff=0.6", json={"queries": {"m": body["queries"]["mencho"]}})
    results = r.json()["responses"]["m"]["results"]
    assert "us_ofac_sdn:17674" not in [x["id"] for x in results] and all(x["score"] >= 0.6 for x in results)
    r = client.post("/match/default?exclude_schema=Person", json={"queries": {"m": body["queries"]["mencho"]}})
    assert all(x["schema"] != "Person" for x in r.json()["responses"]["m"]["results"])


def test_match_errors_are_clear_4xx_json(client):
    too_many = {"queries": {f"q{i}": {"schema": "Person", "properties": {"name": [f"Name {i}"]}} for i in range(101)}}
    assert "limit is 100" in _error(client.post("/match/default", json=too_many), 400)
    bad_schema = {"queries": {"a": {"schema": "Banana", "properties": {"name": ["x"]}}}}
    assert "unknown schema 'Banana'" in _error(client.post("/match/default", json=bad_schema), 400)
    bad_prop = {"queries": {"a": {"schema": "Person", "properties": {"flavour": ["x"]}}}}
    assert "unknown property 'flavour'" in _error(client.post("/match/default", json=bad_prop), 400)
    no_name = {"queries": {"a": {"schema": "Person", "properties": {"birthDate": ["1960"]}}}}
    assert "no name" in _error(client.post("/match/default", json=no_name), 400)
    malformed = client.post("/match/default", content=b'{"queries": {', headers={"content-type": "application/json"})
    assert "not valid JSON" in _error(malformed, 400)
    assert "unknown dataset" in _error(client.post("/match/nowhere", json=YENTE_EXAMPLE), 404)
    assert "not loaded" in _error(client.post("/match/un_sc_sanctions", json=YENTE_EXAMPLE), 404)
    assert "algorithm" in _error(client.post("/match/default?algorithm=magic", json=YENTE_EXAMPLE), 400)
    _error(client.post("/match/default?limit=0", json=YENTE_EXAMPLE), 422)
    _error(client.post("/match/default?threshold=nan", json=YENTE_EXAMPLE), 422)
    _error(client.post("/match/default", json={"queries": "everyone"}), 422)
    huge = b'{"queries": {"a": {"schema": "Person", "properties": {"name": ["' + b"x" * 1_100_000 + b'"]}}}}'
    assert "larger than" in _error(client.post("/match/default", content=huge, headers={"content-type": "application/json"}), 413)
    _error(client.get("/no/such/endpoint"), 404)


def test_entity_nests_linked_parties(client):
    r = client.get("/entities/us_ofac_sdn:17674")
    assert r.status_code == 200
    body = r.json()
    EntityResponse.model_validate(body)
    assert body["caption"] == "OSEGUERA CERVANTES, Nemesio" and body["schema"] == "Person"
    assert "SDNTK" in body["properties"]["program"]
    links = body["properties"]["unknownLinkTo"]
    cjng = [obj for link in links for obj in link["properties"]["object"] if isinstance(obj, dict)]
    assert [e["id"] for e in cjng] == ["us_ofac_sdn:17671"]
    assert cjng[0]["caption"] == "CARTEL DE JALISCO NUEVA GENERACION" and cjng[0]["schema"] == "Organization"
    assert links[0]["schema"] == "UnknownLink" and links[0]["properties"]["subject"] == ["us_ofac_sdn:17674"]
    # The cartel sees him from the other side.
    back = client.get("/entities/us_ofac_sdn:17671").json()["properties"]["unknownLinkFrom"]
    assert "us_ofac_sdn:17674" in [link["properties"]["subject"][0]["id"] for link in back]
    flat = client.get("/entities/us_ofac_sdn:17674?nested=false").json()
    assert "unknownLinkTo" not in flat["properties"]
    assert "no entity" in _error(client.get("/entities/us_ofac_sdn:0"), 404)


def test_catalog_flags_the_2021_snapshot_as_stale(client):
    body = client.get("/catalog").json()
    sdn = next(d for d in body["datasets"] if d["name"] == "us_ofac_sdn")
    assert sdn["load"] is True and sdn["published"] == "2021-07-07"
    assert sdn["stale"] is True and sdn["age_days"] > 30 and "lists update" in sdn["warning"]
    assert sdn["entity_count"] > 8000
    assert "us_ofac_sdn" in body["current"] and "us_ofac_sdn" in body["outdated"]
    sanctions = next(d for d in body["datasets"] if d["name"] == "sanctions")
    assert sanctions["type"] == "collection" and "us_ofac_sdn" in sanctions["children"]


def test_health_readiness_algorithms(client):
    assert client.get("/healthz").json()["status"] == "ok"
    r = client.get("/readyz")
    assert r.status_code == 200, r.text
    ready = r.json()
    assert ready["entities"] == ready["datasets"][0]["entity_count"] > 8000
    assert ready["datasets"][0]["stale"] is True and ready["warnings"]
    algos = client.get("/algorithms").json()
    assert algos["default"] == algos["best"] == "tamiz" and "name" in algos["algorithms"][0]["features"]


def test_readyz_is_503_until_lists_load(tmp_path):
    # Without its lifespan the app has loaded nothing: readiness and screening say so.
    c = TestClient(create_app(ApiSettings(db_url=f"sqlite:///{tmp_path / 'y.db'}", reload_interval=0)))
    r = c.get("/readyz")
    assert r.status_code == 503 and "loading" in r.json()["detail"] and r.headers["retry-after"]
    assert "loading" in _error(c.post("/match/default", json=YENTE_EXAMPLE), 503)
    assert c.get("/healthz").status_code == 200
    assert c.get("/").status_code == 503


def test_search_ranks_filters_and_pages(client):
    r = client.get("/search/default", params={"q": "cartel jalisco", "limit": 3})
    body = r.json()
    SearchResponse.model_validate(body)
    assert body["results"][0]["id"] == "us_ofac_sdn:17671" and len(body["results"]) <= 3
    total = body["total"]["value"]
    page2 = client.get("/search/default", params={"q": "cartel jalisco", "limit": 3, "offset": 3}).json()
    assert page2["offset"] == 3 and not {x["id"] for x in page2["results"]} & {x["id"] for x in body["results"]}
    assert page2["total"]["value"] == total
    people = client.get("/search/default", params={"q": "cartel jalisco", "schema": "Person"}).json()["results"]
    assert people and all(x["schema"] == "Person" for x in people)
    # Banco Nacional de Cuba is listed with offices in Zurich, Madrid, Tokyo and Panama.
    panama = client.get("/search/default", params={"q": "banco nacional", "countries": "Panama", "limit": 50}).json()["results"]
    assert "us_ofac_sdn:306" in [x["id"] for x in panama] and all("pa" in (x["properties"].get("country", []) + x["properties"].get("nationality", [])) for x in panama)
    browse = client.get("/search/us_ofac_sdn", params={"limit": 2, "offset": 10}).json()
    assert len(browse["results"]) == 2 and browse["total"]["value"] > 8000
    assert "unknown schema" in _error(client.get("/search/default", params={"q": "x", "schema": "Banana"}), 400)


def test_screen_single_and_batch(client):
    r = client.post("/screen", json={"name": "Nemesio Oseguera", "dob": "1966", "country": "Mexico"})
    assert r.status_code == 200, r.text
    (one,) = r.json()["results"]
    assert one["results"][0]["id"] == "us_ofac_sdn:17674" and one["datasets"][0]["stale"] is True
    r = client.post("/screen", json={"queries": [{"name": "Banco Nacional de Cuba"}, {"name": "Zzyzx Qwerty Nobody"}], "limit": 3})
    first, second = r.json()["results"]
    assert first["results"][0]["id"] == "us_ofac_sdn:306" and not [h for h in second["results"] if h["match"]]
    assert "give a `name`" in _error(client.post("/screen", json={}), 400)
    assert "unknown schema" in _error(client.post("/screen", json={"name": "x", "schema": "Banana"}), 400)


def test_text_finds_mentions(client):
    text = "Invoice 44 paid via correspondent; beneficiary named as Nemesio Oseguera Cervantes in the remarks."
    r = client.post("/text", json={"text": text})
    assert r.status_code == 200, r.text
    mentions = r.json()["mentions"]
    found = [m for m in mentions if m["id"] == "us_ofac_sdn:17674"]
    assert found and found[0]["score"] >= 0.7
    if "start" in found[0]:
        assert "Oseguera" in text[found[0]["start"]: found[0]["end"]]
    assert r.json()["datasets"][0]["name"] == "us_ofac_sdn"
    assert "limit is" in _error(client.post("/text", json={"text": "x " * 15_000}), 400)


def test_messages_screens_a_real_mt103_batch(client):
    path = need(MESSAGES / "swift_mt103" / "MT103-out-ack.rje")
    r = client.post("/messages", content=path.read_bytes(), headers={"content-type": "text/plain"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["summary"]["messages"] == 13 and len(body["messages"]) == 13
    assert "not a recognised payment message" in _error(client.post("/messages", content=b"hello world"), 400)
    assert "empty body" in _error(client.post("/messages", content=b""), 400)


def test_web_pages_render_and_escape(client):
    r = client.get("/", params={"q": "Nemesio Oseguera", "dob": "1966"})
    assert r.status_code == 200 and 'href="/ui/entity/us_ofac_sdn:17674"' in r.text
    assert "Why this score" in r.text and "stale" in r.text.lower()
    evil = client.get("/", params={"q": "<script>alert(1)</script>"})
    assert "<script>alert(1)</script>" not in evil.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in evil.text
    page = client.get("/ui/entity/us_ofac_sdn:17674").text
    assert "<svg" in page and 'href="/ui/entity/us_ofac_sdn:17671"' in page and "Mencho" in page
    assert client.get("/ui/entity/nope:1").status_code == 404
    lists = client.get("/ui/lists").text
    assert "us_ofac_sdn" in lists and "v1" in lists


def test_load_shedding_refuses_at_once_and_recovers():
    release = asyncio.Event()

    async def slow(request):
        await release.wait()
        return JSONResponse({"ok": True})

    app = LoadShedding(Starlette(routes=[Route("/slow", slow), Route("/healthz", slow)]), max_in_flight=2)

    async def scenario() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            held = [asyncio.create_task(c.get("/slow")) for _ in range(2)]
            await asyncio.sleep(0.05)
            shed = await asyncio.wait_for(c.get("/slow"), timeout=2)
            assert shed.headers["retry-after"] == "1" and json.loads(shed.text)["status"] == 503
            release.set()
            done = [r.status_code for r in await asyncio.gather(*held)]
            again = await c.get("/slow")
            return [shed.status_code, *done, again.status_code]

    assert asyncio.run(scenario()) == [503, 200, 200, 200]
    assert app.in_flight == 0 and app.shed == 1


def test_every_api_screening_is_audited(client):
    screener = client.app.state.holder.current.screener
    screener.flush()  # the web page tests' screenings (group commit) land before we count
    audit = screener.audit
    before = audit.count()
    batch = {"queries": {"a": {"schema": "Person", "properties": {"name": ["Arkady Rotenberg"]}},
                         "b": {"schema": "Organization", "properties": {"name": ["CJNG"], "alias": ["Cartel Jalisco"]}}}}
    assert client.post("/match/default", json=batch).status_code == 200
    assert client.post("/screen", json={"name": "Nemesio Oseguera"}).status_code == 200
    records = list(audit.records(first_seq=before + 1))
    assert len(records) == 4  # a, b (two names), and /screen: committed before the answers went out
    assert {r.actor for r in records} == {"api:testclient"}
    assert [r.payload["input"]["name"] for r in records[:3]] == ["Arkady Rotenberg", "CJNG", "Cartel Jalisco"]
    assert all(r.payload["list_versions"]["us_ofac_sdn"]["version"] == 1 for r in records)
    assert {r.payload["served_by"] for r in records} == {f"{socket.gethostname()}:{os.getpid()}"}  # which replica
    assert audit.verify().ok
