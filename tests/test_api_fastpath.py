"""/match's short path (tamiz.api.fastpath) answers exactly as FastAPI's own handler does.

A request with a query string always takes FastAPI's handler; `?limit=5` is
the default, so the same body sent with and without it must get the same
answer, whichever path served it. The route counts its short-path answers,
which shows which path ran.
"""

from __future__ import annotations

import json

import pytest
from api_support import db_url, prepared_home
from fastapi import APIRouter, Request
from fastapi.testclient import TestClient

from tamiz.api import ApiSettings, create_app, yente
from tamiz.api.fastpath import FastBodyRoute
from tamiz.api.models import MatchResponse

PERSON = {"schema": "Person", "properties": {"name": ["Arkadiii Romanovich Rotenberg"], "birthDate": ["1951"]}}


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return prepared_home(tmp_path_factory)


@pytest.fixture(scope="module")
def client(home):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TAMIZ_HOME", str(home))
        mp.setenv("TAMIZ_AUTH", "off")
        with TestClient(create_app(ApiSettings(db_url=db_url(home), reload_interval=0)),
                        raise_server_exceptions=False) as c:
            yield c


def short_path_answers() -> int:
    (route,) = [r for r in yente.router.routes if isinstance(r, FastBodyRoute)]
    return route.short_path_answers


def both(client: TestClient, content: bytes, content_type: str | None = "application/json", dataset: str = "default"):
    """The answer without a query string (short path when it can) and with `?limit=5` (FastAPI's)."""
    headers = {"content-type": content_type} if content_type else {}
    plain = client.post(f"/match/{dataset}", content=content, headers=headers)
    slow = client.post(f"/match/{dataset}?limit=5", content=content, headers=headers)
    return plain, slow


@pytest.mark.parametrize("body", [
    {"queries": {"q1": PERSON}},
    {"queries": {"a": {"properties": {"name": "Nemesio Oseguera"}}, "b": {"schema": "Vessel", "properties": {}}}},
    {"queries": {"a": {"schema": "Company", "properties": {"name": ["Bellosom Enterprise"], "country": ["pa"]}}},
     "weights": {"name": 2.0, "unknown_feature": 1}, "config": {"any": [1, "x"]}},
    {"queries": {"m": {"id": "mine", "schema": "Person", "properties": {
        "name": ["Nemesio Oseguera", "El Mencho"], "nationality": ["Mexico"], "birthDate": ["1966-07-17"]}}}},
])
def test_short_path_answers_valid_requests_like_fastapi(client, body):
    before = short_path_answers()
    plain, slow = both(client, json.dumps(body).encode())
    assert short_path_answers() == before + 1, "the plain request did not take the short path"
    assert plain.status_code == slow.status_code
    assert plain.json() == slow.json()
    assert plain.headers["content-type"] == slow.headers["content-type"]
    if plain.status_code == 200:
        MatchResponse.model_validate(plain.json())


@pytest.mark.parametrize(("content", "content_type"), [
    (b'{"queries": "everyone"}', "application/json"),
    (b'{"queries": {"a": {"properties": {"name": [5]}}}}', "application/json"),
    (b'{"queries": {"a": {"properties": {"name": ["x"]}}}, "weights": {"name": NaN}}', "application/json"),
    (b'{"queries": {"a": {"properties": {"name": ["x"]}}}, "weights": {"name": 1e400}}', "application/json"),
    (b'{"queries": {"a": {"schema": "Person"}, "a": {"properties": {"name": ["Rotenberg"]}}}}', "application/json"),
    (b'\xef\xbb\xbf{"queries": {"a": {"properties": {"name": ["Rotenberg"]}}}}', "application/json"),
    (b'{"queries": {"a": {"properties": {"name": ["\\ud800 Rotenberg"]}}}}', "application/json"),
    (b'{"queries": {"\\udfff": {"properties": {"name": ["Rotenberg"]}}}}', "application/json"),
    (b'{"queries": {"a": {"properties": {"name": ["\xff"]}}}}', "application/json"),
    (b'{"queries": {}} trailing', "application/json"),
    (b'{"queries": {', "application/json"),
    (b"", "application/json"),
    (b'{"queries": {"a": {"properties": {"name": ["Rotenberg"]}}}}', "text/plain"),
    (b'{"queries": {"a": {"properties": {"name": ["Rotenberg"]}}}}', None),
    (b'{"queries": {"a": {"properties": {"name": ["Rotenberg"]}}}}', "application/vnd.api+json"),
    (b'{"queries": {"a": {"properties": {"name": ["Rotenberg"]}}}}', "Application/JSON; charset=utf-8"),
    (b'{"queries": {"a": {"schema": "Banana", "properties": {"name": ["x"]}}}}', "application/json"),
    (b'{"queries": {"a": {"properties": {"flavour": ["x"]}}}}', "application/json"),
    (b'{"queries": {"a": {"properties": {"alias": []}}}}', "application/json"),
    (json.dumps({"queries": {f"q{i}": {"properties": {"name": ["x"]}} for i in range(101)}}).encode(), "application/json"),
])
def test_odd_requests_answer_as_fastapi_does(client, content, content_type):
    plain, slow = both(client, content, content_type)
    assert plain.status_code == slow.status_code, (plain.text, slow.text)
    assert plain.json() == slow.json()
    assert plain.status_code < 500, plain.text
    if plain.status_code != 200:
        assert plain.json()["status"] == plain.status_code and plain.json()["detail"]


@pytest.mark.parametrize(("dataset", "status"), [("nowhere", 404), ("un_sc_sanctions", 404), ("x" * 201, 422),
                                                  ("us_ofac_sdn", 200), ("sanctions", 200)])
def test_dataset_path_checks_stay(client, dataset, status):
    plain, slow = both(client, json.dumps({"queries": {"q": PERSON}}).encode(), dataset=dataset)
    assert plain.status_code == slow.status_code == status, plain.text
    assert plain.json() == slow.json()


def test_short_path_keeps_the_role_check(home, monkeypatch):
    monkeypatch.setenv("TAMIZ_HOME", str(home))
    monkeypatch.setenv("TAMIZ_AUTH", "on")
    body = {"queries": {"q": PERSON}}
    with TestClient(create_app(ApiSettings(db_url=db_url(home), reload_interval=0))) as c:
        before = short_path_answers()
        for headers in ({}, {"Authorization": "Bearer nope"}, {"X-API-Key": "nope"}):
            r = c.post("/match/default", json=body, headers=headers)
            assert r.status_code == 401 and r.json()["status"] == 401, r.text
            assert r.headers["www-authenticate"] == "Bearer"
        assert short_path_answers() == before


def test_dependency_overrides_take_fastapis_path(home, monkeypatch):
    from fastapi import HTTPException

    from tamiz.api import access

    monkeypatch.setenv("TAMIZ_HOME", str(home))
    monkeypatch.setenv("TAMIZ_AUTH", "off")
    app = create_app(ApiSettings(db_url=db_url(home), reload_interval=0))

    def refuse(request: Request) -> None:
        raise HTTPException(status_code=403, detail="overridden")

    app.dependency_overrides[access.role("screener")] = refuse
    with TestClient(app) as c:
        before = short_path_answers()
        r = c.post("/match/default", json={"queries": {"q": PERSON}})
        assert r.status_code == 403 and r.json()["detail"] == "overridden"
        assert short_path_answers() == before


def test_route_class_refuses_routes_it_cannot_serve():
    router = APIRouter()

    async def no_body(request: Request, name: str) -> dict[str, str]:
        return {"name": name}

    with pytest.raises(TypeError, match="JSON body"):
        router.add_api_route("/x/{name}", no_body, methods=["POST"], route_class_override=FastBodyRoute)


def test_body_limit_counts_streamed_bodies_and_trusts_content_length(home, monkeypatch):
    # BodyLimit skips counting when Content-Length is declared (the server reads exactly that
    # much); a streamed (chunked) body has none and must still be cut off at the limit.
    monkeypatch.setenv("TAMIZ_HOME", str(home))
    monkeypatch.setenv("TAMIZ_AUTH", "off")
    app = create_app(ApiSettings(db_url=db_url(home), reload_interval=0, max_body_bytes=4096))
    small = json.dumps({"queries": {"q": PERSON}}).encode()
    big = json.dumps({"queries": {"q": PERSON}, "config": {"pad": "x" * 8000}}).encode()

    def chunks(data: bytes):
        for i in range(0, len(data), 1000):
            yield data[i: i + 1000]

    with TestClient(app) as c:
        headers = {"content-type": "application/json"}
        assert c.post("/match/default", content=small, headers=headers).status_code == 200
        assert c.post("/match/default", content=big, headers=headers).status_code == 413
        streamed = c.post("/match/default", content=chunks(small), headers=headers)
        assert streamed.status_code == 200, streamed.text
        streamed = c.post("/match/default", content=chunks(big), headers=headers)
        assert streamed.status_code == 413 and "larger than" in streamed.json()["detail"]


def test_route_class_refuses_required_query_parameters():
    from pydantic import BaseModel

    class Body(BaseModel):
        x: int

    async def needs_query(request: Request, name: str, body: Body, must: int) -> dict[str, int]:
        return {"x": body.x + must}

    with pytest.raises(TypeError, match="optional query parameters"):
        APIRouter().add_api_route("/x/{name}", needs_query, methods=["POST"], route_class_override=FastBodyRoute)
