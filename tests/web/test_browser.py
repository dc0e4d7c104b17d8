"""The web view in a real browser: Debian's Chromium driven by Playwright, against `store
serve` started as a subprocess on a free port. Screenshots land in the test's folder, and
in docs/ with `$STORE_WEB_DOCS` set (see `shoot`)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import store
from tests.web.conftest import fill, fill_onetrainer

CHROMIUM = Path("/usr/bin/chromium")
DOCS = Path(__file__).parent.parent.parent / "docs"
RUN = "sd_1.5_LoRA"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install chromium)"
    ),
]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextlib.contextmanager
def serving(url: str) -> Iterator[str]:
    """`store serve` on a database, as a user starts it; its base address."""
    port = free_port()
    root = str(Path(store.__file__).parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    server = subprocess.Popen(
        [sys.executable, "-m", "store", "--db", url, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/api/runs", timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, server.communicate()
                time.sleep(0.05)
        yield base
    finally:
        server.terminate()
        server.communicate(timeout=10)


@pytest.fixture
def served(sqlite_url: str) -> Iterator[str]:
    """`store serve` on a database holding `demo` and `other`."""
    fill(sqlite_url)
    with serving(sqlite_url) as base:
        yield base


@pytest.fixture
def page() -> Iterator[playwright.Page]:
    """A fresh browser page; any JavaScript dialog or error fails the test."""
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        opened = browser.new_page(viewport={"width": 1200, "height": 900})
        dialogs: list[str] = []
        opened.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        errors: list[str] = []
        opened.on("pageerror", lambda error: errors.append(str(error)))
        yield opened
        browser.close()
        assert dialogs == [], "a page ran script it was given as data"
        assert errors == []


def shoot(page: playwright.Page, folder: Path, name: str, height: int = 1500) -> None:
    """A screenshot of the page's top `height` pixels into the test's folder; also into
    `docs/web-NAME.png` when `$STORE_WEB_DOCS` is set (how the README's pictures are made:
    `STORE_WEB_DOCS=1 python -m pytest tests/web/test_browser.py`)."""
    path = folder / f"{name}.png"
    tall = page.evaluate("document.documentElement.scrollHeight")
    clip = {"x": 0, "y": 0, "width": 1200, "height": min(tall, height)}
    page.screenshot(path=path, full_page=True, clip=clip)
    if os.environ.get("STORE_WEB_DOCS"):
        shutil.copyfile(path, DOCS / f"web-{name}.png")


def test_a_person_browses_runs_history_a_diff_and_a_timeline(
    page: playwright.Page, served: str, tmp_path: Path
) -> None:
    page.goto(served + "/")
    page.screenshot(path=tmp_path / "runs.png", full_page=True)
    page.click("#runs >> text=demo")
    page.wait_for_url("**/runs/demo")
    assert page.inner_text("h1") == "demo"
    assert page.locator("#history td.message").nth(2).inner_text() == "<img src=x onerror=alert(1)>"
    page.screenshot(path=tmp_path / "run.png", full_page=True)

    page.click("#history tr:nth-child(3) a.diff")
    page.wait_for_url("**/diff?a=demo%402&b=demo%403")
    assert page.locator("#diff tbody tr").count() == 2
    page.screenshot(path=tmp_path / "diff.png", full_page=True)

    page.goto(served + "/runs/demo")
    page.click("#config >> text=optimizer.learning_rate")
    page.wait_for_url("**/runs/demo/fields/optimizer.learning_rate")
    page.wait_for_selector("#chart[data-points='4'] canvas")
    assert page.locator("#points tbody tr").count() == 4
    page.screenshot(path=tmp_path / "timeline.png", full_page=True)

    page.click("#points a >> text='3'")
    page.wait_for_url("**/runs/demo/revisions/3")
    assert "<b>eve</b>" in page.inner_text("dl.facts")
    page.screenshot(path=tmp_path / "revision.png", full_page=True)

    page.goto(served + "/runs/demo/fields/gradient_checkpointing")
    page.wait_for_selector("#chart[data-points='3'] canvas")  # ON, OFF, back to ON
    for name in ("runs", "run", "diff", "timeline", "revision"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000


def test_a_long_timeline_charts_every_change_and_pages_its_table(
    page: playwright.Page, served: str, sqlite_url: str, tmp_path: Path
) -> None:
    with store.open(sqlite_url) as opened:
        opened.create("long")
        opened.update_many("long", ({"epochs": i} for i in range(1, 121)))
    page.goto(served + "/runs/long/fields/epochs")
    page.wait_for_selector("#chart[data-points='121'] canvas")  # the default, then 120 changes
    assert page.locator("#points tbody tr").count() == 50
    page.click("a[rel=next]")
    page.wait_for_url("**/runs/long/fields/epochs?before=72")
    page.wait_for_selector("#chart[data-points='121'] canvas")
    assert page.locator("#points td a").first.inner_text() == "71"
    page.screenshot(path=tmp_path / "long-timeline.png", full_page=True)


def test_every_page_works_with_javascript_off(served: str, tmp_path: Path) -> None:
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_context(java_script_enabled=False).new_page()
        page.goto(served + "/")
        page.fill("input[name=q]", "oth")
        page.click("button[type=submit]")
        page.wait_for_url("**/?q=oth")  # loaded: counting before then races the navigation
        assert page.locator("#runs tbody tr").count() == 1
        page.goto(served + "/compare")
        page.fill("input[name=ref]", "demo")
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/compare\?ref=demo$"))
        page.fill("input[name=ref] >> nth=1", "other")
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/compare\?ref=demo&ref=other"))
        assert page.locator("#compare thead th").count() == 3
        page.goto(served + "/runs/demo/fields/optimizer.learning_rate")
        assert page.locator("#points tbody tr").count() == 4
        page.goto(served + "/runs/demo")
        page.fill("input[name=field]", "learning")
        page.click("#filter button")
        page.wait_for_url("**/runs/demo?field=learning#config-title")
        assert page.locator("#config tbody tr:visible").count() == 1
        assert page.inner_text("#shown") == "1 of 11 fields"
        page.screenshot(path=tmp_path / "no-js.png", full_page=True)
        browser.close()


def test_a_rebound_name_gets_one_line_and_no_page(served: str) -> None:
    """DNS rebinding as a browser meets it: Chromium resolves `evil.example` to 127.0.0.1
    (as an attacker's DNS would after a page loaded) and asks the server under that name."""
    port = served.rsplit(":", 1)[1]
    rebind = [*ARGS, "--host-resolver-rules=MAP evil.example 127.0.0.1"]
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=rebind)
        page = browser.new_page()
        for address in ("/", "/api/runs", "/runs/demo"):
            response = page.goto(f"http://evil.example:{port}{address}")
            assert response is not None and response.status == 400
            assert page.inner_text("body").startswith("400 Bad Request: this server does not")
            assert "demo" not in page.content()
        response = page.goto(f"http://localhost:{port}/api/runs")
        assert response is not None and response.status == 200
        assert "demo" in page.inner_text("body")
        browser.close()


@pytest.fixture
def served_onetrainer(sqlite_url: str) -> Iterator[str]:
    """`store serve` on OneTrainer runs: two concepts, a tag, a fork, an archived run."""
    fill_onetrainer(sqlite_url)
    with serving(sqlite_url) as base:
        yield base


def test_a_person_reads_a_onetrainer_run(
    page: playwright.Page, served_onetrainer: str, tmp_path: Path
) -> None:
    base = served_onetrainer
    page.goto(base + "/")
    assert page.locator("#runs tbody tr").count() == 3
    page.click("#archived")
    page.wait_for_url("**/?archived=1")
    assert page.locator("#runs tr.archived .badge").inner_text() == "archived"
    assert page.locator("#runs .chip").inner_text() == "baseline"
    shoot(page, tmp_path, "runs")

    page.click(f"#runs a[href='/runs/{RUN}']")
    page.wait_for_url(f"**/runs/{RUN}")
    assert page.locator("#changed tbody tr").count() == 17  # concepts by element
    assert page.locator("#tags .chip").inner_text() == "baseline"
    shoot(page, tmp_path, "run")
    page.fill("input[name=field]", "learning_rate")
    visible = page.locator("#config tbody tr:visible")
    paths = [row.get_attribute("data-path") or "" for row in visible.all()]
    assert 1 < len(paths) < 577 and all("learning_rate" in path for path in paths)
    assert (
        page.inner_text("#shown") == f"{visible.count()} of 577 fields"
    )  # 479 + 2 concepts by element
    page.locator("section:has(#config)").screenshot(path=tmp_path / "filter.png")

    page.goto(base + "/runs/sd15_prodigy")
    page.click("#forked-from a")
    page.wait_for_url(f"**/runs/{RUN}/revisions/3")
    assert page.locator("h1 .chip").inner_text() == "baseline"

    page.goto(base + "/runs/old_preset/revisions/1")
    pinned = page.locator("li.pinned")
    assert "pinned 44 fields at their current value" in pinned.inner_text()
    assert not pinned.locator("ul.changes li").first.is_visible()
    pinned.locator("summary").click()
    assert pinned.locator("ul.changes li").first.is_visible()
    shoot(page, tmp_path, "revision", height=1100)

    page.goto(base + f"/diff?a={RUN}@3&b={RUN}@4")
    diff = page.inner_text("#diff")
    assert "concepts[1].balancing" in diff and "3.0" in diff  # the concept by its path
    assert '"name"' not in diff  # not the whole list
    shoot(page, tmp_path, "diff", height=1100)


def test_timelines_chart_states_and_decades(
    page: playwright.Page, served_onetrainer: str, tmp_path: Path
) -> None:
    page.goto(served_onetrainer + f"/runs/{RUN}/fields/learning_rate")
    page.wait_for_selector("#chart[data-axis='revision log'][data-points='4'] canvas")
    shoot(page, tmp_path, "timeline", height=620)
    page.select_option("select[name=x]", "time")
    page.wait_for_selector("#chart[data-axis='time log'] canvas")
    page.select_option("select[name=y]", "linear")
    page.wait_for_selector("#chart[data-axis='time linear'] canvas")
    assert page.locator("#chart canvas").count() == 1

    page.goto(served_onetrainer + f"/runs/{RUN}/fields/optimizer.optimizer")
    page.wait_for_selector("#chart[data-axis='revision linear'][data-points='3'] canvas")
    assert not page.locator("select[name=y]").is_visible()  # no log axis for text
    shoot(page, tmp_path, "timeline-states", height=620)


def test_a_person_reads_each_concept_and_opens_its_history(
    page: playwright.Page, served_onetrainer: str, tmp_path: Path
) -> None:
    page.goto(served_onetrainer + f"/runs/{RUN}")
    elements = page.locator("#elements-concepts section.element")
    assert elements.count() == 2
    assert [h.inner_text() for h in elements.locator("h3").all()] == [
        "concepts[0] · cat",
        "concepts[1] · dog",
    ]
    dog = page.locator("section.element[data-path='concepts[1]']")
    assert "concepts[1].balancing" in dog.locator("table").inner_text()
    page.locator("#elements-concepts").screenshot(path=tmp_path / "elements.png")
    dog.locator("a.element-history").click()
    page.wait_for_url(f"**/runs/{RUN}/elements/concepts%5B1%5D")
    assert page.locator("h1").inner_text() == f"{RUN} · concepts[1] · dog"
    assert page.locator("#history tbody tr").count() == 2
    assert "concepts[1].balancing" in page.inner_text("#history")
    shoot(page, tmp_path, "element", height=900)
