"""The web view shows a concept's change at its element path, and follows one element value."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

import store
from store import web

TWO = [{"name": "a", "path": "/d/a"}, {"name": "b", "path": "/d/b"}]


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    """The web view over a OneTrainer run whose concept 1 was rebalanced twice."""
    with store.open(db_url) as opened:
        opened.create("ot", {"concepts": TWO}, schema="onetrainer")
        opened.update("ot", {"concepts[1].balancing": 3.0})
        opened.update("ot", {"concepts[1].balancing": 2.0})
    with TestClient(web.app(db_url), base_url="http://127.0.0.1:8765") as opened_client:
        yield opened_client


def test_pages_show_a_concept_change_at_its_path(client: TestClient) -> None:
    for address in ("/runs/ot/revisions/2", "/runs/ot", "/diff?a=ot@1&b=ot"):
        page = client.get(address)
        assert page.status_code == 200
        assert "concepts[1].balancing" in page.text
    assert "enable_crop_jitter" not in client.get("/diff?a=ot@1&b=ot").text  # no whole list


def test_an_element_value_has_a_timeline(client: TestClient) -> None:
    page = client.get(f"/runs/ot/fields/{quote('concepts[1].balancing')}")
    assert page.status_code == 200
    api = client.get("/api/runs/ot/history", params={"field": "concepts[1].balancing"})
    assert [r["revision"] for r in api.json()] == [3, 2, 1]
    assert api.json()[0]["changes"] == [{"path": "concepts[1].balancing", "old": 3.0, "new": 2.0}]
