"""Property-based run of every documented operation: whatever the input, never a 5xx.

Bounded (a few dozen examples per operation, a few hundred requests in all)
so it stays a fast test; the lists are loaded, so a 503 would be a bug too.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from api_support import copied_home, db_url
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from tamiz.api import ApiSettings, create_app

EXAMPLES = 15


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    home = copied_home(tmp_path_factory, "schemathesis_home")  # it calls admin endpoints (policy...)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TAMIZ_HOME", str(home))
        app = create_app(ApiSettings(db_url=db_url(home), reload_interval=0))
        with TestClient(app):  # runs the lifespan: lists and index loaded
            yield schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case):
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:500]}"
    content_type = response.headers.get("content-type") or [""]
    if case.path == "/audit/export" and response.status_code == 200:
        assert content_type[0].startswith("application/x-ndjson")  # JSON lines, one audit record each
    else:
        assert content_type[0].startswith("application/json")
    if response.status_code >= 400:
        body = response.json()
        assert body["status"] == response.status_code and body["detail"]
