"""The pages as a person reads them, on OneTrainer runs (two concepts, a tag, a fork, an
archived run, an old preset's import): typed runs, the values changed from the defaults,
pinned changes folded into one line, long values folded, their JSON twins."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

import store
from store import web
from store._cli import cli
from store._element_paths import default_at, spread
from store._registry import get_schema
from store.web._present import divergence
from tests.web.conftest import LOCAL, XSS

RUN = "sd_1.5_LoRA"


@pytest.fixture
def client(onetrainer_url: str) -> Iterator[TestClient]:
    """The app over the OneTrainer runs."""
    with TestClient(web.app(onetrainer_url), base_url=LOCAL) as opened:
        yield opened


def cli_json(url: str, *args: str) -> object:
    """What `store --db URL ARGS… --json` prints, parsed."""
    result = CliRunner().invoke(cli, ["--db", url, *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def rows(page: str, table: str) -> list[str]:
    """The rows of one table of a page, as HTML."""
    body = page.split(f'<table id="{table}">', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr\b.*?</tr>", body.split("<tbody>", 1)[1], re.S)


def test_the_runs_page_types_its_values_and_keeps_archived_runs_behind_a_toggle(
    client: TestClient,
) -> None:
    page = client.get("/").text
    listed = rows(page, "runs")
    assert len(listed) == 3 and "abandoned" not in page
    assert '<a id="archived" href="?archived=1">show 1 archived run</a>' in page
    lora = next(r for r in listed if f">{RUN}<" in r)
    assert '<span class="chip">baseline</span>' in lora
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", lora)
    assert "False" not in page and "[]" not in page and "()" not in page
    fork = next(r for r in listed if ">sd15_prodigy<" in r)
    assert f'<a href="/runs/{RUN}/revisions/3">{RUN}@3</a>' in fork

    every = client.get("/?archived=1").text
    archived = next(r for r in rows(every, "runs") if ">abandoned<" in r)
    assert 'class="archived"' in archived and '<span class="badge">archived</span>' in archived
    assert "<td>yes</td>" in archived and "<td>no</td>" in every
    assert '<a id="archived" href="?">hide archived runs</a>' in every
    assert "show 1 archived run" in client.get("/?q=aband").text


def test_the_runs_json_twin_takes_archived_as_the_cli_takes_all(
    client: TestClient, onetrainer_url: str
) -> None:
    assert client.get("/api/runs").json() == cli_json(onetrainer_url, "runs")
    every = client.get("/api/runs?archived=1").json()
    assert every == cli_json(onetrainer_url, "runs", "--all")
    assert [r["name"] for r in every if r["archived"]] == ["abandoned"]


def test_the_run_page_leads_with_the_values_changed_from_the_defaults(
    client: TestClient, onetrainer_url: str
) -> None:
    page = client.get(f"/runs/{RUN}").text
    assert page.index('id="changed"') < page.index('id="history"') < page.index('id="config"')
    found = [re.search(r"fields/([^\"]+)\"", r) for r in rows(page, "changed")]
    changed = [unquote(f.group(1)) for f in found if f]
    schema = get_schema("onetrainer")
    leaves = schema.version(schema.latest).leaves
    with store.open(onetrainer_url) as opened:
        values = spread(opened.read(RUN).values, leaves)  # concepts by element
    assert sorted(changed) == sorted(p for p, v in values.items() if v != default_at(leaves, p))
    assert {"concepts[1].balancing", "learning_rate", "optimizer.optimizer", "epochs"} <= set(
        changed
    )
    assert len(rows(page, "config")) == len(values)


def test_the_run_page_shows_tags_the_fork_origin_and_the_archived_state(
    client: TestClient,
) -> None:
    page = client.get(f"/runs/{RUN}").text
    assert f'<span class="chip"><a href="/runs/{RUN}/revisions/3">baseline</a></span>' in page
    assert 'id="forked-from"' not in page and "badge" not in page
    fork = client.get("/runs/sd15_prodigy").text
    assert f'<dd id="forked-from"><a href="/runs/{RUN}/revisions/3">{RUN}@3</a></dd>' in fork
    archived = client.get("/runs/abandoned").text
    assert '<span class="badge" id="archived">archived</span>' in archived
    assert f'<a href="/runs/{RUN}/revisions/1">{RUN}@1</a>' in archived


def test_the_config_filter_works_without_script(client: TestClient) -> None:
    page = client.get(f"/runs/{RUN}?field=Learning_Rate").text
    shown = [r for r in rows(page, "config") if " hidden>" not in r.split("\n", 1)[0]]
    paths = [re.search(r'data-path="([^"]+)"', r).group(1) for r in shown]  # type: ignore[union-attr]
    assert paths and all("learning_rate" in p for p in paths) and "learning_rate" in paths
    assert f"{len(paths)} of {len(rows(page, 'config'))} fields" in page
    assert 'src="/static/filter.js"' in page


def test_a_revision_that_pins_fields_shows_them_as_one_line_that_opens(
    client: TestClient, onetrainer_url: str
) -> None:
    with store.open(onetrainer_url) as opened:
        changes = opened.history("old_preset")[0].changes
    pinned = [c for c in changes if json.dumps(c.old) == json.dumps(c.new)]
    moved = [c for c in changes if c not in pinned]
    assert len(pinned) > 10 and moved
    page = client.get("/runs/old_preset/revisions/1").text
    head, folded = page.split('<li class="pinned">', 1)
    summary = f"<summary>pinned {len(pinned)} fields at their current value</summary>"
    assert folded.lstrip().startswith(f"<details>{summary}")
    assert all(f'/fields/{c.path}"' in folded for c in pinned)
    assert all(f'/fields/{c.path}"' in head for c in moved)
    run_page = client.get("/runs/old_preset").text
    assert f"pinned {len(pinned)} fields at their current value" in run_page


def test_long_values_are_folded_open_at_their_first_difference(
    client: TestClient, onetrainer_url: str
) -> None:
    long = "models/" + "x" * 2000
    with store.open(onetrainer_url) as opened:
        opened.create("long", {"base_model_name": long + "-a"}, schema="onetrainer")
        opened.update("long", {"base_model_name": long + "-b"})
    page = client.get("/diff?a=long@1&b=long@2").text
    found = re.findall(r'<details class="fold (old|new)"><summary>(.*?) <span', page, re.S)
    folds = [(kind, html.unescape(text)) for kind, text in found]
    assert [kind for kind, _ in folds] == ["old", "new"]
    assert 'x-a"' in folds[0][1] and 'x-b"' in folds[1][1]
    assert all(len(text) <= 82 and text.startswith("…") for _, text in folds)
    assert page.count("<pre>") == 2
    assert "2,011 characters" in client.get("/runs/long").text


def test_a_long_value_is_escaped_when_folded_and_opened(db_url: str) -> None:
    with store.open(db_url) as opened:
        opened.create("x", {"model": XSS * 10})
    with TestClient(web.app(db_url), base_url=LOCAL) as client:
        page = client.get("/runs/x").text
    assert '<details class="fold value"><summary>&#34;&lt;img src=x' in page
    assert XSS not in page and page.count("&lt;img src=x onerror=alert(1)&gt;") >= 10


def test_the_divergence_of_a_change_keeps_some_context() -> None:
    long = [{"name": "cat", "balancing": 1.0}] * 4
    moved = store.Change("concepts", long, [*long[:3], {"name": "cat", "balancing": 3.0}])
    text = json.dumps(long)
    start = divergence(moved)
    assert 0 < start < text.index("1.0", len(text) - 20) < start + 80
    assert divergence(store.Change("a", 1, 2)) == 0
    assert divergence(store.Change("a", "x" * 100, "y" * 100)) == 0


def test_the_explain_twin_returns_what_show_explain_prints(
    client: TestClient, onetrainer_url: str
) -> None:
    shown = client.get(f"/api/runs/{RUN}?explain=1").json()
    assert shown == cli_json(onetrainer_url, "show", RUN, "--explain")


def test_text_and_numbers_over_decades_chart_as_states_and_on_a_log_axis(
    client: TestClient,
) -> None:
    def points(path: str) -> dict[str, object]:
        page = client.get(f"/runs/{RUN}/fields/{path}").text
        return json.loads(re.search(r"data-chart='([^']*)'", page).group(1))  # type: ignore[union-attr,no-any-return]

    optimizer = points("optimizer.optimizer")
    assert optimizer["labels"] == ['"ADAMW"', '"PRODIGY"', '"PRODIGY"']
    assert optimizer["revisions"] == [1, 5, 6] and optimizer["changes"] == 1
    rate = points("learning_rate")
    assert rate["y"] == [3e-4, 1e-4, 1e-6, 1.0] and rate["log"] and rate["log_offered"]
    assert len(rate["times"]) == 4  # type: ignore[arg-type]


def test_the_revision_page_filters_its_config_too(client: TestClient) -> None:
    page = client.get(f"/runs/{RUN}/revisions/3?field=EPOCHS").text
    shown = [r for r in rows(page, "config") if " hidden>" not in r.split("\n", 1)[0]]
    assert [re.search(r'data-path="([^"]+)"', r).group(1) for r in shown] == ["epochs"]  # type: ignore[union-attr]
    assert "1 of 480 fields" in page and len(rows(page, "config")) == 480


def test_values_pinned_away_from_the_default_count_as_changed(client: TestClient) -> None:
    page = client.get("/runs/old_preset").text
    changed = rows(page, "changed")
    assert any("default pinned when the run crossed to version" in r for r in changed)
    assert not any("default of schema version" in r for r in changed)
