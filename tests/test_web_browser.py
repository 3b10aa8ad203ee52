"""The analyst's pages in a real browser (Debian's Chromium via Playwright) against a real server.

The server runs under uvicorn on 127.0.0.1 in a subprocess. While it runs, a
second SDN version (one party removed, one re-designated) lands in its store:
the server swaps in the new index by itself and the lists page shows the diff.
Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from api_support import copied_home, db_url
from conftest import REPO
from tamiz.api.ready import wait_until_ready

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = REPO / "artifacts" / "screenshots"

playwright_api = pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _second_version(home: Path) -> list[Path]:
    """The snapshot's files with one party removed and one re-designated."""
    from tamiz.sources.snapshot import extract_snapshot

    out = home / "sdn_v2"
    out.mkdir()
    files = []
    for path in extract_snapshot(home / "sdn_v1"):
        target = out / path.name
        if path.name == "sdn.csv":
            lines = path.read_bytes().split(b"\r\n")
            lines = [ln for ln in lines if not ln.startswith(b"36,")]  # AEROCARIBBEAN AIRLINES removed
            lines = [ln.replace(b'"UKRAINE-EO13661"', b'"UKRAINE-EO13661] [RUSSIA-EO14024"')
                     if ln.startswith(b"16669,") else ln for ln in lines]
            target.write_bytes(b"\r\n".join(lines))
        else:
            shutil.copy(path, target)
        files.append(target)
    return files


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = copied_home(tmp_path_factory, "browser_home")
    port = _free_port()
    env = {**os.environ, "TAMIZ_HOME": str(home), "TAMIZ_DB": db_url(home), "TAMIZ_API_RELOAD_INTERVAL": "0.5"}
    log = open(home / "server.log", "w")  # noqa: SIM115 - open for the server's whole life
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "tamiz.api.app:app_from_env", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, 90)
        yield {"base": base, "home": home}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def page():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        yield context.new_page()
        browser.close()


def test_search_entity_graph_and_list_diff(server, page):
    base = server["base"]
    page.goto(base + "/")
    # Keyboard and labels: the form is reachable and labelled.
    page.get_by_label("Name", exact=True).fill("Nemesio Oseguera")
    page.get_by_label("Date of birth").fill("1966")
    page.get_by_label("Country").fill("Mexico")
    page.get_by_label("Type").select_option("Person")
    page.get_by_label("Name", exact=True).press("Enter")
    page.wait_for_selector("ol.hits li.hit")
    first = page.locator("ol.hits li.hit").first
    assert "OSEGUERA CERVANTES, Nemesio" in first.locator("a.caption").inner_text()
    assert first.locator(".score .num").inner_text() >= "0.70"
    assert "Name" in first.locator(".explanation").inner_text()
    first.locator("summary").click()
    assert first.locator("table.features tbody tr").count() >= 2  # name + date of birth
    assert page.locator(".banner.stale").count() == 1
    page.screenshot(path=str(SHOTS / "search.png"), full_page=True)

    first.locator("a.caption").click()
    page.wait_for_url("**/ui/entity/us_ofac_sdn:17674")
    assert page.locator("h1").inner_text() == "OSEGUERA CERVANTES, Nemesio"
    names = page.locator("table.names").inner_text()
    assert "Mencho" in names and "weak alias" in names
    assert "17 Jul 1966" in page.locator("main").inner_text() and "SDNTK" in page.locator("main").inner_text()
    node = page.locator("svg a.node")
    assert node.count() == 1
    page.screenshot(path=str(SHOTS / "entity.png"), full_page=True)

    node.first.click()
    page.wait_for_url("**/ui/entity/us_ofac_sdn:17671")
    assert page.locator("h1").inner_text() == "CARTEL DE JALISCO NUEVA GENERACION"
    linked = page.locator("svg a.node")
    assert linked.count() >= 5  # the people OFAC links to the cartel, drawn around it
    # Keyboard: a graph node can be focused and followed with Enter.
    linked.first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/ui/entity/us_ofac_sdn:*")
    assert "CARTEL DE JALISCO" not in page.locator("h1").inner_text()
    page.go_back()
    page.screenshot(path=str(SHOTS / "entity_graph.png"), full_page=True)

    # A new list version lands while the server runs: it swaps its index by itself.
    from tamiz.sources.registry import parse_files
    from tamiz.store import Store

    store = Store.open(db_url(server["home"]))
    result = store.load(parse_files("us_ofac_sdn", _second_version(server["home"])))
    assert result.created and result.removed == 1 and result.changed >= 1
    ready = wait_until_ready(base, 90, ok=lambda r: r.status_code == 200 and r.json()["index"]["reloads"] >= 1)
    assert ready.json()["datasets"][0]["version"] == 2
    assert httpx.get(base + "/entities/us_ofac_sdn:36").status_code == 404
    assert "RUSSIA-EO14024" in httpx.get(base + "/entities/us_ofac_sdn:16669").json()["properties"]["program"]

    page.goto(base + "/")
    page.get_by_role("link", name="Lists").click()
    page.wait_for_url("**/ui/lists")
    versions = page.locator("table.versions tbody tr")
    assert versions.count() == 2
    assert "current" in versions.first.inner_text() and "v2" in versions.first.inner_text()
    diff = page.locator("pre.diff").inner_text()
    assert "1 removed" in page.locator("p.counts").inner_text()
    assert "AEROCARIBBEAN AIRLINES" in diff and "ROTENBERG, Arkady" in diff and "+ RUSSIA-EO14024" in diff
    page.screenshot(path=str(SHOTS / "lists_diff.png"), full_page=True)
    store.close()


def test_decide_an_alert_and_monitor_a_customer(server, page):
    base = server["base"]
    # A screening for a customer opens an alert (auth is off on this server: no key exists).
    r = httpx.post(base + "/screen", json={"name": "Nemesio Oseguera Cervantes", "dob": "1966-07-17",
                                            "reference": "CUST-<7>"}, timeout=30)
    assert r.status_code == 200, r.text
    (alert,) = r.json()["results"][0]["alerts"]
    page.goto(base + "/")
    page.get_by_role("link", name="Alerts").click()
    page.wait_for_url("**/ui/alerts")
    page.get_by_label("Customer reference").fill("CUST-<7>")
    page.get_by_role("button", name="Filter").click()
    card = page.locator(f"#alert-{alert['id']}")
    assert "OSEGUERA CERVANTES, Nemesio" in card.locator("a.caption").inner_text()
    assert "CUST-<7>" in card.locator(".reference").inner_text()  # shown as text, not markup
    assert float(card.locator(".score .num").inner_text()) >= 0.7 and card.locator(".explanation").inner_text()
    card.locator("summary", has_text="Why this score").click()
    assert card.locator("table.features tbody tr").count() >= 2
    page.screenshot(path=str(SHOTS / "alerts.png"), full_page=True)

    form = card.locator("form.decide")
    form.get_by_role("radio", name="false positive").check()
    form.get_by_label("Reason").fill("Customer born 1981 in Guadalajara; different person")
    form.get_by_label("Allow-list this customer").check()
    form.get_by_label("Allow-list expires").fill("2099-12-31")
    form.get_by_role("button", name="Record decision").click()
    page.wait_for_selector("p.done")
    assert f"Alert {alert['id']}" in page.locator("p.done").inner_text() and "closed" in page.locator("p.done").inner_text()
    detail = httpx.get(f"{base}/alerts/{alert['id']}", timeout=10).json()
    assert detail["status"] == "closed" and detail["decision"] == "false_positive"
    again = httpx.post(base + "/screen", json={"name": "Nemesio Oseguera Cervantes", "dob": "1966-07-17",
                                                "reference": "CUST-<7>"}, timeout=30).json()
    assert [a["status"] for a in again["results"][0]["alerts"]] == ["suppressed"]

    page.get_by_role("link", name="Customers").click()
    page.wait_for_url("**/ui/customers")
    page.get_by_label("Reference").fill("CUST-9")
    page.get_by_label("Name", exact=True).fill("Blue Falcon Trading")
    page.get_by_label("Type").select_option("Company")
    page.get_by_role("button", name="Monitor").click()
    page.wait_for_selector("p.done")
    assert "CUST-9" in page.locator("table.customers").inner_text()
    page.get_by_role("button", name="Re-screen against the latest list updates").click()
    page.wait_for_selector("p.done")
    assert "Monitoring run" in page.locator("p.done").inner_text()
    page.screenshot(path=str(SHOTS / "customers.png"), full_page=True)

    page.goto(base + "/docs")
    assert page.locator("h1").inner_text().startswith("tamiz API")
    assert page.locator("section.operation").count() >= 20
    page.screenshot(path=str(SHOTS / "api_docs.png"))
