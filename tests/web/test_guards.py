"""What the web view refuses, in-process and through a real server: a `Host` it does not
serve (DNS rebinding), a token sent other than as a bearer, a redirect off-site, bad numbers
in the address; and what it keeps: strict headers on a 500, other requests answered while a
slow one runs, `store serve` failing in one line on a busy port."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner
from starlette.testclient import TestClient

import store
from store import web
from store._cli import cli
from store._cli._serve import bind
from store.web._security import served_hosts
from tests.cli.test_executable import run_store
from tests.web.conftest import LOCAL
from tests.web.test_app import API, PAGES

ROOT = os.pathsep.join([str(Path(store.__file__).parent.parent), os.environ.get("PYTHONPATH", "")])
"""This checkout first on the path of a `store` started as a subprocess."""
EVERY = [*PAGES, *API, "/static/timeline.js", "/no/such/page"]
"""Every route, a static file and an unknown address."""


def status(client: TestClient, address: str, host: str, **headers: str) -> int:
    """The status of GET `address` sent with `Host: host`."""
    return client.get(address, headers={"host": host, **headers}).status_code


@pytest.fixture
def loopback(filled_url: str) -> Iterator[TestClient]:
    """The app as `store serve --port 8794` builds it (the default loopback bind)."""
    with TestClient(web.app(filled_url, hosts=served_hosts("127.0.0.1", 8794))) as client:
        yield client


def test_a_loopback_bind_serves_its_loopback_names_at_its_port() -> None:
    assert served_hosts("127.0.0.1", 8794) == ["127.0.0.1:8794", "localhost:8794", "[::1]:8794"]
    assert served_hosts("::1", 80) == ["[::1]:80", "127.0.0.1:80", "localhost:80"]
    assert served_hosts("10.0.0.5", 8000, ["store.example.org"]) == [
        "10.0.0.5:8000",
        "store.example.org",
    ]
    assert served_hosts("0.0.0.0", 8000)[1:] == ["127.0.0.1:8000", "localhost:8000", "[::1]:8000"]


@pytest.mark.parametrize("address", EVERY)
def test_a_foreign_host_is_refused_on_every_route(loopback: TestClient, address: str) -> None:
    response = loopback.get(address, headers={"host": "evil.com:8794"})
    assert response.status_code == 400
    assert response.text == (
        "400 Bad Request: this server does not answer to that Host "
        "(store serve --allow-host NAME adds a name)\n"
    )
    assert response.headers["content-type"].startswith("text/plain")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    "host",
    [
        "evil.com:8794",
        "evil.com",
        "127.0.0.1.evil.com:8794",
        "127.0.0.1:8795",  # another port of this machine
        "127.0.0.1",  # port 80
        "localhost:80",
        "10.0.0.5:8794",
        "",
        "127.0.0.1:8794 x",
        "user@127.0.0.1:8794",
    ],
)
def test_a_loopback_bind_refuses_every_other_host(loopback: TestClient, host: str) -> None:
    assert status(loopback, "/api/runs", host) == 400


@pytest.mark.parametrize(
    "host", ["127.0.0.1:8794", "localhost:8794", "LocalHost:8794", "[::1]:8794"]
)
def test_a_loopback_bind_answers_its_names(loopback: TestClient, host: str) -> None:
    assert status(loopback, "/api/runs", host) == 200
    assert status(loopback, "/runs/demo", host) == 200


def test_another_bind_answers_its_address_and_allowed_names_only(filled_url: str) -> None:
    hosts = served_hosts("10.0.0.5", 8000, ["store.example.org", "proxy.example:8443"])
    bearer = {"authorization": "Bearer s3cret"}
    with TestClient(web.app(filled_url, token="s3cret", hosts=hosts)) as client:
        for host in (
            "10.0.0.5:8000",
            "store.example.org",
            "store.example.org:9",
            "proxy.example:8443",
        ):
            assert status(client, "/api/runs", host, **bearer) == 200, host
            assert status(client, "/api/runs", host) == 401, host  # and the token still counts
        for host in (
            "evil.com:8000",
            "127.0.0.1:8000",
            "localhost:8000",
            "10.0.0.5:8001",
            "proxy.example",
        ):
            assert status(client, "/api/runs", host, **bearer) == 400, host
    with TestClient(
        web.app(filled_url, hosts=["proxy.example:443"]), base_url="https://x"
    ) as client:
        assert status(client, "/api/runs", "proxy.example") == 200  # https: port 443


def test_the_app_answers_loopback_names_by_default(filled_url: str) -> None:
    with TestClient(web.app(filled_url)) as client:  # Host: testserver
        assert client.get("/api/runs").status_code == 400
        assert status(client, "/api/runs", "localhost:1234") == 200
    with pytest.raises(ValueError, match="'bad host' is not a host name or NAME:PORT"):
        web.app(filled_url, hosts=["bad host"])


def test_serve_refuses_an_allowed_host_that_is_not_one(filled_url: str) -> None:
    result = CliRunner().invoke(cli, ["--db", filled_url, "serve", "--allow-host", "a/b"])
    assert result.exit_code == 2
    assert "Error: Invalid value for '--allow-host': 'a/b' is not a host name" in result.stderr


def test_the_token_counts_only_as_a_bearer(filled_url: str) -> None:
    with TestClient(web.app(filled_url, token="s3cret"), base_url=LOCAL) as client:
        for given in ("s3cret", "Basic s3cret", "Bearers3cret", "Token s3cret", "Bearer"):
            assert client.get("/api/runs", headers={"authorization": given}).status_code == 401
        for given in ("Bearer s3cret", "bearer s3cret"):
            assert client.get("/api/runs", headers={"authorization": given}).status_code == 200


@pytest.mark.parametrize(
    ("address", "location"),
    [
        ("//evil.example/?token=s3cret", "/evil.example/"),
        ("///evil.example/?token=s3cret&a=1", "/evil.example/?a=1"),
        ("/%2F%2Fevil.example/?token=s3cret", "/evil.example/"),
        ("/%5Cevil.example/?token=s3cret", "/evil.example/"),
        ("/\\/evil.example/?token=s3cret", "/evil.example/"),
        ("/runs/a%09b?token=s3cret", "/runs/a%09b"),
    ],
)
def test_the_token_link_redirects_only_within_this_server(
    filled_url: str, address: str, location: str
) -> None:
    with TestClient(web.app(filled_url, token="s3cret"), base_url=LOCAL) as client:
        response = client.get(LOCAL + address, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, location)


def test_the_cookie_is_secure_over_https(filled_url: str) -> None:
    app = web.app(filled_url, token="s3cret", hosts=["localhost"])
    with TestClient(app, base_url="https://localhost") as client:
        cookie = client.get("/?token=s3cret", follow_redirects=False).headers["set-cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    with TestClient(app, base_url="http://localhost") as client:
        assert (
            "Secure"
            not in client.get("/?token=s3cret", follow_redirects=False).headers["set-cookie"]
        )


@pytest.mark.parametrize(
    "address",
    [
        "/runs/demo?before=²",
        "/runs/demo?before=%D9%A1",  # ARABIC-INDIC DIGIT ONE
        "/runs/demo?before=-1",
        "/runs/demo?before=1.5",
        "/runs/demo?before=99999999999999999999",
        "/runs/demo/fields/epochs?before=²",
        "/api/runs/demo/history?limit=²",
        "/api/runs/demo/history?limit=-1",
        "/api/runs/demo/history?limit=0",
        "/api/runs/demo/history?before=%C2%B2",
        "/api/runs/demo/history?before=0x10",
    ],
)
def test_a_bad_number_in_the_address_is_a_400(loopback: TestClient, address: str) -> None:
    response = loopback.get(address, headers={"host": "127.0.0.1:8794"})
    assert response.status_code == 400, response.text
    assert "Traceback" not in response.text
    if address.startswith("/api/"):
        assert set(response.json()) == {"error"}
    else:
        assert response.headers["content-type"].startswith("text/html")


def test_an_unforeseen_error_is_a_500_with_the_strict_headers(
    filled_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(store.Store, "runs", broken)
    app = web.app(filled_url)
    with TestClient(app, base_url=LOCAL, raise_server_exceptions=False) as client:
        page, api = client.get("/"), client.get("/api/runs")
    assert (page.status_code, api.status_code) == (500, 500)
    assert api.json() == {"error": "Internal Server Error"}
    assert "a bug" not in page.text and "Traceback" not in page.text
    for response in (page, api):
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"


def test_the_api_history_is_paged_fifty_by_default(db_url: str) -> None:
    with store.open(db_url) as opened:
        opened.create("long")
        opened.update_many("long", ({"epochs": i} for i in range(1, 120)))
    with TestClient(web.app(db_url), base_url=LOCAL) as client:

        def numbers(query: str) -> list[int]:
            return [r["revision"] for r in client.get(f"/api/runs/long/history{query}").json()]

        assert numbers("") == list(range(120, 70, -1))
        assert numbers("?before=71") == list(range(70, 20, -1))
        assert numbers("?limit=120") == list(range(120, 0, -1))
        assert numbers("?limit=3&before=3") == [2, 1]


@pytest.fixture
def real_server(filled_url: str) -> Iterator[str]:
    """The app under uvicorn in a thread, on a free loopback port; its base address."""
    bound = bind("127.0.0.1", 0)
    port = bound.getsockname()[1]
    app = web.app(filled_url, hosts=served_hosts("127.0.0.1", port))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [bound]})
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive()
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def fetch(address: str) -> float:
    """GET `address` through a real socket; the seconds it took."""
    started = time.monotonic()
    with urllib.request.urlopen(address, timeout=10) as response:
        assert response.status == 200
        response.read()
    return time.monotonic() - started


def test_a_slow_read_does_not_hold_up_other_requests(
    real_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three requests whose store call takes a second (as `verify` of a large store does)
    are in flight; the run list still answers at once."""
    real = store.Store.verify

    def slow(self: store.Store, *args: Any, **kwargs: Any) -> Any:
        time.sleep(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(store.Store, "verify", slow)
    with ThreadPoolExecutor(3) as pool:
        slow_ones = [pool.submit(fetch, f"{real_server}/api/verify") for _ in range(3)]
        time.sleep(0.2)  # all three are inside the store call now
        quick = fetch(f"{real_server}/api/runs")
        assert not any(f.done() for f in slow_ones)
        assert quick < 0.5
        assert all(0.9 < f.result() < 5 for f in slow_ones)


def test_serve_on_a_busy_port_is_one_error_line_before_any_banner(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        url = f"sqlite:///{tmp_path / 'runs.db'}"
        result = run_store("--db", url, "serve", "--port", str(port), cwd=tmp_path)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"Error: port {port} is in use (another store serve?); choose another with --port\n"
    )


def test_serve_answers_its_port_and_allowed_names_only(tmp_path: Path) -> None:
    """`store serve --port 0 --allow-host proxy.example` as a user starts it: the banner names
    the port it got, and only that port's loopback names and the allowed name are answered."""
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    with store.open(url) as opened:
        opened.create("demo")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": ROOT}
    command = [sys.executable, "-m", "store", "--db", url, "serve", "--port", "0"]
    server = subprocess.Popen(
        [*command, "--allow-host", "proxy.example"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()
        found = re.fullmatch(r"store serve: http://127\.0\.0\.1:(\d+)/ \(read-only; .*\)\n", banner)
        assert found, banner
        port = int(found[1])

        def answer(host: str) -> int:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/runs", headers={"Host": host}
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return int(response.status)
            except urllib.error.HTTPError as refused:
                return refused.code

        for host in (f"localhost:{port}", "proxy.example", "proxy.example:8443"):
            assert answer(host) == 200, host
        for host in (f"evil.com:{port}", f"localhost:{port + 1}", "127.0.0.1"):
            assert answer(host) == 400, host
    finally:
        server.terminate()
        server.communicate(timeout=10)
