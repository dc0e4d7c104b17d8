"""Fixtures of the web view's tests: a store with runs worth looking at."""

from __future__ import annotations

import pytest

import store

XSS = "<img src=x onerror=alert(1)>"
"""A message that would run script if the page did not escape it."""
LOCAL = "http://127.0.0.1:8765"
"""The base address of the test client: a loopback name the app answers by default."""


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fixed author, and no `$STORE_URL` or token leaking in from the shell."""
    monkeypatch.setenv("STORE_AUTHOR", "ana")
    monkeypatch.delenv("STORE_URL", raising=False)
    monkeypatch.delenv("STORE_SERVE_TOKEN", raising=False)


def fill(url: str) -> None:
    """Two runs: `demo` (five revisions, one message an XSS attempt) and `other`."""
    with store.open(url) as opened:
        opened.create("demo", {"optimizer.learning_rate": 3e-4}, message="first try")
        opened.update("demo", {"batch_size": 8}, message="bigger batches", author="bo")
        opened.update(
            "demo",
            {"optimizer.learning_rate": 1e-3, "gradient_checkpointing": "OFF"},
            message=XSS,
            author="<b>eve</b>",
        )
        opened.update("demo", {"optimizer.learning_rate": 5e-4, "model": "<script>x</script>"})
        opened.rollback("demo", to=2)
        opened.create("other", {"epochs": 10, "optimizer.learning_rate": 1e-3})


@pytest.fixture
def filled_url(db_url: str) -> str:
    """The URL of a database holding `demo` and `other`."""
    fill(db_url)
    return db_url
