"""The web view in-process (Starlette's test client over httpx): every route, the JSON API
against the CLI's `--json`, 404s, escaping, headers, the token, read-only."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

import store
from store import web
from store._cli import cli
from store.web._timeline import chart
from tests.web.conftest import LOCAL, XSS

PAGES = [
    "/",
    "/?q=dem",
    "/?archived=1",
    "/runs/demo",
    "/runs/demo?field=learning",
    "/runs/demo/revisions/3?field=rate",
    "/runs/demo/revisions/3",
    "/runs/demo/fields/optimizer.learning_rate",
    "/runs/demo/fields/gradient_checkpointing",
    "/diff",
    "/diff?a=demo@1&b=other",
    "/compare",
    "/compare?ref=demo&ref=other@1&ref=demo@head~2",
    "/verify",
]
API = [
    "/api/runs",
    "/api/runs?archived=1",
    "/api/runs/demo",
    "/api/runs/demo?explain=1",
    "/api/runs/demo/history",
    "/api/diff?a=demo@1&b=other",
    "/api/compare?ref=demo&ref=other",
    "/api/verify",
]


@pytest.fixture
def client(filled_url: str) -> Iterator[TestClient]:
    """The app over the filled database, without a token."""
    with TestClient(web.app(filled_url), base_url=LOCAL) as opened:
        yield opened


def cli_json(url: str, *args: str) -> object:
    """What `store --db URL ARGS… --json` prints, parsed."""
    result = CliRunner().invoke(cli, ["--db", url, *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("address", PAGES + API)
def test_every_route_answers_with_strict_headers(client: TestClient, address: str) -> None:
    response = client.get(address)
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_json_api_returns_what_the_cli_prints(client: TestClient, filled_url: str) -> None:
    pairs = {
        "/api/runs": ("runs",),
        "/api/runs/demo": ("show", "demo"),
        "/api/runs/demo/history": ("history", "demo"),
        "/api/runs/demo/history?limit=2&field=optimizer.learning_rate": (
            "history",
            "demo",
            "--limit",
            "2",
            "--field",
            "optimizer.learning_rate",
        ),
        "/api/diff?a=demo@1&b=other@1": ("diff", "demo@1", "other@1"),
        "/api/verify": ("verify",),
    }
    for address, args in pairs.items():
        assert client.get(address).json() == cli_json(filled_url, *args), address


def test_compare_returns_the_comparison_only_changed_unless_all(
    client: TestClient, filled_url: str
) -> None:
    with store.open(filled_url) as opened:
        changed = opened.compare(["demo", "other"], only_changed=True).data()
        every = opened.compare(["demo", "other"]).data()
    assert client.get("/api/compare?ref=demo&ref=other").json() == changed
    assert client.get("/api/compare?ref=demo&ref=other&all=1").json() == every
    page = client.get("/compare?ref=demo&ref=other").text
    assert "epochs" in page and "optimizer.name" not in page
    assert "optimizer.name" in client.get("/compare?ref=demo&ref=other&all=1").text


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("/runs/nope", "no run named &#39;nope&#39;"),
        ("/runs/demo/revisions/99", "there is no revision 99"),
        ("/runs/demo/revisions/0", "there is no revision 0"),
        ("/runs/demo/fields/no.such", "unknown path"),
        ("/diff?a=demo@7&b=other", "there is no revision 7"),
        ("/compare?ref=demo@tagless", "has no tag"),
        ("/no/such/page", "Not Found"),
    ],
)
def test_an_unknown_run_revision_or_address_is_a_404_page(
    client: TestClient, address: str, message: str
) -> None:
    response = client.get(address)
    assert response.status_code in (404, 400) and message in response.text
    assert "Traceback" not in response.text and response.headers["content-type"].startswith(
        "text/html"
    )
    if "field" not in address:
        assert response.status_code == 404


def test_api_errors_are_json(client: TestClient) -> None:
    response = client.get("/api/runs/nope")
    assert (response.status_code, response.json()) == (404, {"error": "no run named 'nope'"})
    assert client.get("/api/diff?a=demo").status_code == 400
    assert client.get("/api/runs/demo/history?limit=x").status_code == 400


@pytest.mark.parametrize("address", ["/", "/runs/demo", "/api/runs", "/verify"])
def test_no_route_writes(client: TestClient, filled_url: str, address: str) -> None:
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert client.request(method, address).status_code == 405
    with store.open(filled_url) as opened:
        assert opened.head("demo").number == 5


def test_messages_authors_and_values_are_shown_as_text(client: TestClient) -> None:
    page = client.get("/runs/demo?before=4").text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and XSS not in page
    assert "&lt;b&gt;eve&lt;/b&gt;" in page and "<b>eve" not in page
    revision = client.get("/runs/demo/revisions/4").text
    assert "&lt;script&gt;x&lt;/script&gt;" in revision and "<script>x" not in revision
    assert not re.search(r"<script(?![^>]*\bsrc=)", client.get("/runs/demo/fields/model").text)


def test_the_run_page_shows_origins_hashes_and_history(client: TestClient, filled_url: str) -> None:
    with store.open(filled_url) as opened:
        reading = opened.read("demo")
    page = client.get("/runs/demo").text
    assert reading.hash in page
    assert "set at revision 5 by ana" in page and "default of schema version 3" in page
    assert "/diff?a=demo%404&amp;b=demo%405" in page
    assert page.index('href="/runs/demo/revisions/5"') < page.index('href="/runs/demo/revisions/1"')


def test_history_is_paginated_fifty_a_page(db_url: str) -> None:
    with store.open(db_url) as opened:
        opened.create("long")
        opened.update_many("long", ({"epochs": i} for i in range(1, 120)))
    with TestClient(web.app(db_url), base_url=LOCAL) as client:
        first = client.get("/runs/long").text
        older = client.get("/runs/long?before=71").text
        last = client.get("/runs/long?before=21").text
    row = re.compile(r'<td><a href="/runs/long/revisions/(\d+)">\d+</a></td>')
    shown = [row.findall(page) for page in (first, older, last)]
    assert [int(n) for n in shown[0]] == list(range(120, 70, -1))
    assert [int(n) for n in shown[1]] == list(range(70, 20, -1))
    assert [int(n) for n in shown[2]] == list(range(20, 0, -1))
    assert 'href="?before=71"' in first and "newer" not in first
    assert 'href="?before=121"' in older and 'href="?before=21"' in older
    assert "older →" not in last


def test_the_timeline_carries_one_point_per_change(client: TestClient) -> None:
    page = client.get("/runs/demo/fields/optimizer.learning_rate").text
    points = json.loads(re.search(r"data-chart='([^']*)'", page).group(1))  # type: ignore[union-attr]
    assert points["revisions"] == [1, 3, 4, 5] and points["numeric"]
    assert points["y"] == [3e-4, 1e-3, 5e-4, 3e-4]
    text = client.get("/runs/demo/fields/gradient_checkpointing").text
    categories = json.loads(re.search(r"data-chart='([^']*)'", text).group(1))  # type: ignore[union-attr]
    assert categories["revisions"] == [1, 3, 5]  # the value it started with, then each change
    assert categories["categories"] == ['"ON"', '"OFF"'] and categories["y"] == [0, 1, 0]
    assert "has its default" in client.get("/runs/demo/fields/seed").text


def test_secrets_are_shown_as_references(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    schema = store.get_schema("onetrainer")
    secret = sorted(schema.version(schema.latest).secrets)[0]
    monkeypatch.setenv("STORE_WEB_SECRET", "hunter2")
    with store.open(db_url) as opened:
        opened.create("cloud", {secret: "env:STORE_WEB_SECRET"}, schema="onetrainer")
    with TestClient(web.app(db_url), base_url=LOCAL) as client:
        pages = [
            client.get(a).text
            for a in ("/runs/cloud", "/api/runs/cloud", "/api/runs/cloud/history")
        ]
    assert "env:STORE_WEB_SECRET" in pages[0]
    assert not any("hunter2" in page for page in pages)


def test_with_a_token_every_request_without_it_is_refused(filled_url: str) -> None:
    with TestClient(web.app(filled_url, token="s3cret"), base_url=LOCAL) as client:
        guarded = ("/", "/runs/demo", "/api/runs", "/static/timeline.js", "/static/filter.js")
        for address in (*guarded, "/nope"):
            assert client.get(address).status_code == 401
        assert client.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/?token=wrong").status_code == 401
        assert client.get("/", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        response = client.get("/runs/demo?before=3&token=s3cret", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/runs/demo?before=3"
        assert "HttpOnly" in response.headers["set-cookie"]
        assert client.get("/api/runs").status_code == 200  # the cookie now carries it


def test_serve_without_the_web_extra_says_which_to_install(
    monkeypatch: pytest.MonkeyPatch, filled_url: str
) -> None:
    for module in ("uvicorn", "store.web", "starlette"):
        monkeypatch.setitem(sys.modules, module, None)
    result = CliRunner().invoke(cli, ["--db", filled_url, "serve"])
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: store serve needs the web extra: pip install 'train-config-store[web]'\n"
    )


def test_serve_refuses_another_address_without_a_token(filled_url: str) -> None:
    result = CliRunner().invoke(cli, ["--db", filled_url, "serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "Error: binding 0.0.0.0 needs --token (or $STORE_SERVE_TOKEN)" in result.stderr


def test_the_timeline_pages_its_table_and_charts_every_change(db_url: str) -> None:
    with store.open(db_url) as opened:
        opened.create("long")
        opened.update_many("long", ({"epochs": i} for i in range(1, 120)))
    with TestClient(web.app(db_url), base_url=LOCAL) as client:
        pages = [
            client.get(f"/runs/long/fields/epochs{query}").text
            for query in ("", "?before=71", "?before=21", "?before=500")
        ]
    row = re.compile(r'<td><a href="/runs/long/revisions/(\d+)">\d+</a></td>')
    shown = [[int(n) for n in row.findall(page)] for page in pages]
    assert shown[:3] == [list(range(120, 70, -1)), list(range(70, 20, -1)), list(range(20, 1, -1))]
    assert shown[3] == shown[0]
    links = [re.findall(r'href="\?before=(\d+)"', page) for page in pages]
    assert [sorted(set(found)) for found in links[:3]] == [["71"], ["121", "21"], ["71"]]
    for page in pages:
        points = json.loads(re.search(r"data-chart='([^']*)'", page).group(1))  # type: ignore[union-attr]
        assert points["revisions"] == list(range(1, 121)) and points["y"] == [100, *range(1, 120)]


def test_booleans_chart_as_categories_and_numbers_on_an_axis() -> None:
    flags = chart(
        [store.Step(1, "t", False, True), store.Step(2, "t", True, False)], START, (2, "t")
    )
    assert (flags["numeric"], flags["categories"], flags["y"]) == (False, ["true", "false"], [0, 1])
    numbers = chart([store.Step(1, "t", 0, 3), store.Step(2, "t", 3, 0.5)], START, (2, "t"))
    assert (numbers["numeric"], numbers["y"], numbers["labels"]) == (True, [3, 0.5], ["3", "0.5"])
    assert numbers["log_offered"] and not numbers["log"]  # 3 and 0.5: within two decades


START = (1, "2026-01-01T00:00:00.000000Z")
"""Revision 1 and its time, where every chart below starts."""


def test_a_text_changed_once_charts_both_states_until_the_head() -> None:
    steps = [store.Step(4, "t4", "ADAMW", "PRODIGY")]
    points = chart(steps, START, (9, "t9"))
    assert points["revisions"] == [1, 4, 9] and points["times"] == [START[1], "t4", "t9"]
    assert points["labels"] == ['"ADAMW"', '"PRODIGY"', '"PRODIGY"']
    assert (points["categories"], points["y"], points["changes"]) == (
        ['"ADAMW"', '"PRODIGY"'],
        [0, 1, 1],
        1,
    )


@pytest.mark.parametrize(
    ("values", "offered", "chosen"),
    [
        ([1e-4, 1e-6], True, True),  # two decades and more: a log axis first
        ([1e-4, 2e-6], True, False),  # fifty-fold: offered, linear first
        ([3, 0.5, 4], True, False),
        ([0.1, 0, 10], False, False),  # zero has no logarithm
        ([-1e-4, 1e-6], False, False),
    ],
)
def test_a_log_axis_is_offered_for_positive_numbers_and_chosen_past_two_decades(
    values: list[float], offered: bool, chosen: bool
) -> None:
    steps = [
        store.Step(n, "t", 1.0 if n == 1 else values[n - 2], v) for n, v in enumerate(values, 1)
    ]
    points = chart(steps, START, (len(values), "t"))
    assert (points["log_offered"], points["log"]) == (offered, chosen)
