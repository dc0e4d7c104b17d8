"""The web view: a read-only ASGI app over the `Store` API (`store serve`, or any ASGI server).

    uvicorn --factory 'store.web:app'          # $STORE_URL, else sqlite:///store.db
    store.web.app("sqlite:///runs.db", token="s3cret", hosts=["store.example.org"])

Every page is server-rendered HTML with a JSON twin under `/api/` that returns what the
command line's `--json` returns. Nothing writes; see `_security` for the Host check, the
token and the headers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware

import store
from store.web._routes import error_handlers, routes
from store.web._security import (
    LOOPBACK,
    HostCheck,
    SecurityHeaders,
    TokenGate,
    allowed_hosts,
)

__all__ = ["app"]


def app(
    url: str | None = None, *, token: str | None = None, hosts: Sequence[str] = LOOPBACK
) -> Starlette:
    """The web view of the store at `url`: it answers only requests whose `Host` is one of
    `hosts` (`NAME`, any port, or `NAME:PORT`; default this machine's loopback names), and
    with a `token`, only those that carry it."""
    allowed = allowed_hosts(hosts)
    opened = store.open(url)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        opened.close()

    return Starlette(
        routes=routes(opened),
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(HostCheck, allowed=allowed),
            Middleware(TokenGate, token=token),
        ],
        exception_handlers=error_handlers(),
        lifespan=lifespan,
    )
