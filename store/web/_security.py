"""What keeps the web view safe to leave running: a token gate and strict response headers."""

from __future__ import annotations

import hmac
import ipaddress
from urllib.parse import urlencode

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp

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


def is_loopback(host: str) -> bool:
    """Whether binding `host` serves only this machine (no token needed there)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SecurityHeaders(BaseHTTPMiddleware):
    """Add the strict headers to every response, errors included."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        """Pass the request on, then set the headers."""
        response = await call_next(request)
        response.headers.update(HEADERS)
        return response


class TokenGate(BaseHTTPMiddleware):
    """With a token: 401 unless the request carries it (bearer header, cookie, or `?token=`).

    `?token=` answers with a redirect to the same address without it, setting the cookie, so
    a shared link works once and the token leaves the address bar.
    """

    def __init__(self, app: ASGIApp, token: str | None = None) -> None:
        super().__init__(app)
        self.token = token

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        """Let the request through, set the cookie, or refuse it."""
        if self.token is None:
            return await call_next(request)
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if self._matches(bearer) or self._matches(request.cookies.get(COOKIE, "")):
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
        """Redirect to the same address without `?token=`, the token in an HttpOnly cookie."""
        kept = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
        response = RedirectResponse(request.url.path + (f"?{kept}" if kept else ""), 303)
        response.set_cookie(COOKIE, str(self.token), httponly=True, samesite="strict")
        return response
