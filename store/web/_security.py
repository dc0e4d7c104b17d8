"""What keeps the web view safe to leave running: a Host check, a token gate and strict
response headers."""

from __future__ import annotations

import hmac
import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import quote, urlencode

from starlette.datastructures import Headers
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE = "store_token"
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
"""Sent with every response: no inline script runs, nothing loads from elsewhere."""
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
"""The names this machine reaches itself by."""
WILDCARDS = ("0.0.0.0", "::", "")
"""Binds that listen on every address, loopback included."""
HOST = re.compile(r"(?P<name>\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(?P<port>[0-9]{1,5}))?")
"""A `Host` header: a name, an IPv4 address or a bracketed IPv6 one, and maybe a port."""
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
"""The port a `Host` header without one means, by scheme."""

Allowed = frozenset[tuple[str, int | None]]
"""Served hosts as (name, port); port None: any port."""


def is_loopback(host: str) -> bool:
    """Whether binding `host` serves only this machine (no token needed there)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def served_hosts(bind: str, port: int, extra: Iterable[str] = ()) -> list[str]:
    """The `Host` values a server bound to `bind:port` answers: the bind itself, this
    machine's loopback names where it listens on loopback, and `extra` (`--allow-host`)."""
    names = [f"[{bind}]" if ":" in bind else bind]
    if is_loopback(bind) or bind in WILDCARDS:
        names += LOOPBACK
    return [f"{name}:{port}" for name in dict.fromkeys(names) if name] + list(extra)


def host_entry(text: str) -> tuple[str, int | None]:
    """`NAME` or `NAME:PORT` (IPv6 in brackets, or bare) as (name, port); ValueError if
    it is neither."""
    text = text.strip().lower()
    try:
        return f"[{ipaddress.IPv6Address(text)}]", None
    except ValueError:
        pass
    found = HOST.fullmatch(text)
    if found is None:
        raise ValueError(f"{text!r} is not a host name or NAME:PORT")
    port = found["port"]
    return found["name"], None if port is None else int(port)


def allowed_hosts(hosts: Iterable[str]) -> Allowed:
    """The hosts `HostCheck` lets through; ValueError names one that is not a host."""
    return frozenset(host_entry(h) for h in hosts)


class HostCheck:
    """Refuse (400, one line) a request whose `Host` this server does not serve.

    A page on another site whose name is rebound to 127.0.0.1 (DNS rebinding) reaches this
    server from the person's browser as same-origin, but its requests carry the site's name
    as `Host`. Starlette's `TrustedHostMiddleware` matches the name alone, any port; this
    also checks the port, so another local port's name is no way in either.
    """

    def __init__(self, app: ASGIApp, allowed: Allowed) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass a served request on; answer any other with 400."""
        if scope["type"] not in ("http", "websocket") or self.serves(scope):
            await self.app(scope, receive, send)
            return
        refused = PlainTextResponse(
            "400 Bad Request: this server does not answer to that Host "
            "(store serve --allow-host NAME adds a name)\n",
            status_code=400,
            headers=HEADERS,
        )
        await refused(scope, receive, send)

    def serves(self, scope: Scope) -> bool:
        """Whether the request's `Host` names this server, at its port."""
        found = HOST.fullmatch(Headers(scope=scope).get("host", "").lower())
        if found is None:
            return False
        name, port = found["name"], found["port"]
        given = DEFAULT_PORTS.get(scope.get("scheme", "http"), 80) if port is None else int(port)
        return (name, given) in self.allowed or (name, None) in self.allowed


class SecurityHeaders(BaseHTTPMiddleware):
    """Add the strict headers to every response, errors included."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        """Pass the request on, then set the headers."""
        response = await call_next(request)
        response.headers.update(HEADERS)
        return response


class TokenGate(BaseHTTPMiddleware):
    """With a token: 401 unless the request carries it (`Authorization: Bearer`, cookie, or
    `?token=`).

    `?token=` answers with a redirect to the same path of this server without it, setting
    the cookie, so a shared link works once and the token leaves the address bar.
    """

    def __init__(self, app: ASGIApp, token: str | None = None) -> None:
        super().__init__(app)
        self.token = token

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        """Let the request through, set the cookie, or refuse it."""
        if self.token is None:
            return await call_next(request)
        if self._matches(bearer(request)) or self._matches(request.cookies.get(COOKIE, "")):
            return await call_next(request)
        if self._matches(request.query_params.get("token", "")):
            return self._set_cookie(request)
        return PlainTextResponse(
            "401 Unauthorized: this store serve needs its token", status_code=401
        )

    def _matches(self, given: str) -> bool:
        """Whether `given` is the token (in constant time)."""
        return bool(given) and hmac.compare_digest(given.encode(), str(self.token).encode())

    def _set_cookie(self, request: Request) -> Response:
        """Redirect to the same address without `?token=`, the token in an HttpOnly cookie
        (`Secure` when the request came over HTTPS)."""
        kept = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
        response = RedirectResponse(local_path(request) + (f"?{kept}" if kept else ""), 303)
        response.set_cookie(
            COOKIE,
            str(self.token),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response


def bearer(request: Request) -> str:
    """The credentials of an `Authorization: Bearer …` header; anything else is none."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


def local_path(request: Request) -> str:
    """The request's path as a path of this server: one leading `/`, never `//host` or
    `/\\host` (which a browser reads as another site), every other character quoted."""
    path: str = request.scope["path"]  # decoded, as routing reads it
    return "/" + quote(path.lstrip("/\\"))
