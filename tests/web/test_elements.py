"""Concepts and samples on the web view: a section per element with the values that differ
from the element's own defaults, and an element's history (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import quote, unquote

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

import store
from store import web
from store._cli import cli
from store._element_paths import default_at, spread
from store._registry import get_schema
from tests.web.conftest import LOCAL, XSS

RUN = "sd_1.5_LoRA"


@pytest.fixture
def client(onetrainer_url: str) -> Iterator[TestClient]:
    """The app over the OneTrainer runs (`sd_1.5_LoRA` has two concepts, cat and dog)."""
    with TestClient(web.app(onetrainer_url), base_url=LOCAL) as opened:
        yield opened


def element_section(page: str, path: str) -> str:
    """One element's section of a run page, as HTML."""
    start = page.index(f'<section class="element" data-path="{path}">')
    return page[start : page.index("</section>", start)]


def test_the_run_page_has_a_section_per_concept_with_its_changed_values(
    client: TestClient, onetrainer_url: str
) -> None:
    page = client.get(f"/runs/{RUN}").text
    assert page.count('<section class="element"') == 2  # no samples, no embeddings
    assert (
        page.index('id="changed"')
        < page.index('id="elements-concepts"')
        < page.index('id="history"')
    )
    leaves = get_schema("onetrainer").version(get_schema("onetrainer").latest).leaves
    with store.open(onetrainer_url) as opened:
        values = spread(opened.read(RUN).values, leaves)
    for index, name in enumerate(["cat", "dog"]):
        element = f"concepts[{index}]"
        section = element_section(page, element)
        assert f"<h3>{element} · {name}</h3>" in section
        linked = [unquote(p) for p in re.findall(rf'href="/runs/{RUN}/fields/([^"]+)"', section)]
        expected = [
            p
            for p, v in values.items()
            if p.startswith(f"{element}.") and v != default_at(leaves, p)
        ]
        assert sorted(linked) == sorted(expected) and expected
        assert f'href="/runs/{RUN}/elements/{quote(element)}"' in section
    dog = element_section(page, "concepts[1]")
    assert f'href="/runs/{RUN}/fields/concepts%5B1%5D.balancing"' in dog
    row = next(r for r in re.findall(r"<tr>.*?</tr>", dog, re.S) if "balancing<" in r)
    assert '<span class="value">3.0</span>' in row
    assert '<span class="value default">1.0</span>' in row


def test_an_elements_history_lists_only_the_revisions_that_touched_it(
    client: TestClient, onetrainer_url: str
) -> None:
    page = client.get(f"/runs/{RUN}/elements/{quote('concepts[1]')}")
    assert page.status_code == 200
    assert "<h1>" in page.text and "concepts[1] · dog" in page.text
    body = page.text.split('<table id="history">', 1)[1]
    numbers = re.findall(rf'<td><a href="/runs/{RUN}/revisions/(\d+)">', body)
    assert numbers == ["4", "2"]
    assert "concepts[1].balancing" in body and "concepts[0]" not in body
    added = f'<a href="/runs/{RUN}/elements/concepts%5B1%5D" class="path">concepts[1]</a>'
    assert added in body  # an element added links to its history, not to a timeline
    assert "learning_rate" not in body
    twin = f"/api/runs/{RUN}/history?field={quote('concepts[1]')}"
    assert f'href="{twin}"' in page.text
    result = CliRunner().invoke(
        cli, ["--db", onetrainer_url, "history", RUN, "--field", "concepts[1]", "--json"]
    )
    assert result.exit_code == 0
    assert client.get(twin).json() == json.loads(result.stdout)


@pytest.mark.parametrize(
    "path",
    [
        "concepts[9]",
        "concepts[1].balancing",
        "concepts[+]",
        "concepts",
        "concepts[x]",
        "learning_rate[0]",
        "nope[0]",
        "samples[0]",
    ],
)
def test_an_unknown_element_is_a_404(client: TestClient, path: str) -> None:
    page = client.get(f"/runs/{RUN}/elements/{quote(path)}")
    assert page.status_code == 404
    assert "Traceback" not in page.text
    assert client.get(f"/runs/nobody/elements/{quote('concepts[0]')}").status_code == 404


def test_a_removed_element_keeps_its_history(db_url: str) -> None:
    with store.open(db_url) as opened:
        opened.create("ot", {"concepts": [{"name": "a", "path": "/a"}]}, schema="onetrainer")
        opened.update("ot", {"concepts[+]": {"name": "b", "path": "/b"}})
        opened.update("ot", {"concepts[1].balancing": 2.0})
        opened.unset("ot", ["concepts[1]"])
    with TestClient(web.app(db_url), base_url=LOCAL) as client:
        page = client.get(f"/runs/ot/elements/{quote('concepts[1]')}")
        assert page.status_code == 200
        body = page.text.split('<table id="history">', 1)[1]
        assert re.findall(r'<td><a href="/runs/ot/revisions/(\d+)">', body) == ["4", "3", "2"]
        assert "not in the run now" in page.text
        assert 'data-path="concepts[1]"' not in client.get("/runs/ot").text


def test_an_element_name_is_escaped(db_url: str) -> None:
    with store.open(db_url) as opened:
        opened.create("ot", {"concepts": [{"name": XSS, "path": "/x"}]}, schema="onetrainer")
    with TestClient(web.app(db_url), base_url=LOCAL) as client:
        for address in ("/runs/ot", f"/runs/ot/elements/{quote('concepts[0]')}"):
            page = client.get(address).text
            assert XSS not in page
            assert "concepts[0] · &lt;img src=x onerror=alert(1)&gt;" in page
