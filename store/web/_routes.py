"""The web view's routes: each page and its JSON twin call the `Store` API; the twin returns
what the command line's `--json` returns (the shapes of `store._shapes`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

import store
from store._element_paths import ElementPath, default_at, parse
from store._leaves import Leaf
from store._registry import get_schema
from store._shapes import (
    changes_data,
    config_data,
    origins_data,
    revision_data,
    runs_data,
    verify_data,
)
from store.web._present import (
    FILTERS,
    changed_from_defaults,
    element_name,
    element_sections,
    filtered_out,
)
from store.web._security import HEADERS
from store.web._timeline import chart, table_page

HERE = Path(__file__).parent
PAGE = 50
"""Revisions on one page of a run's history, or of a field's timeline."""
NOT_FOUND = (store.RunNotFound, store.RevisionNotFound, store.InvalidReference)
"""Errors that mean the address names nothing: a 404, never a traceback."""

WHOLE = re.compile(r"[0-9]{1,18}")
"""A whole-number query parameter: ASCII digits (not `²`, not other scripts' digits) that
fit in 64 bits."""

Handler = Callable[[Request, Exception], Coroutine[Any, Any, Response]]


TEMPLATES = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
)
TEMPLATES.env.filters.update(FILTERS)


class Views:
    """The pages and JSON routes over one open store; each is a plain function, so that
    Starlette runs it in its thread pool and a long read never holds up another request."""

    def __init__(self, opened: store.Store) -> None:
        self.store = opened

    def runs(self, request: Request) -> Response:
        """Every run (filtered by name) with its summary; archived ones behind `archived=1`."""
        query = request.query_params.get("q", "")
        archived = request.query_params.get("archived") == "1"
        named = [s for s in self.store.runs(archived=True) if query.lower() in s.name.lower()]
        rows = [s for s in named if archived or not s.archived]
        toggle = archived_toggle(query, archived, sum(s.archived for s in named))
        return page(request, "runs.html", query=query, archived=archived, rows=rows, toggle=toggle)

    def run(self, request: Request) -> Response:
        """A run: its tags, origin and state, the values that differ from the schema's
        defaults, each element of its lists of sections with its own, a page of its history,
        its whole config (filtered by `field`) with each value's origin."""
        name = request.path_params["run"]
        before = number_param(request, "before")
        field = request.query_params.get("field", "")
        reading = self.store.read(name)
        origins = self.store.explain(name, reading.revision)
        schema = get_schema(reading.schema)
        leaves = schema.version(schema.latest).leaves
        defaults = {o.path: default_at(leaves, o.path) for o in origins}
        revisions = self.store.history(name, limit=PAGE, before=before)
        top = revisions[0].number if revisions else reading.revision
        return page(
            request,
            "run.html",
            reading=reading,
            config_hash=getattr(reading, "config_hash", None),
            archived=self.store.archived(name),
            tags={t.name: t.revision for t in self.store.tags(name)},
            changed=changed_from_defaults(origins, defaults),
            elements=element_sections(leaves, reading.values, origins, defaults),
            defaults=defaults,
            field=field,
            origins=origins,
            hidden=filtered_out((o.path for o in origins), field),
            revisions=revisions,
            before=before,
            newer=top + PAGE + 1 if top < reading.revision else None,
            older=revisions[-1].number if revisions and revisions[-1].number > 1 else None,
        )

    def element(self, request: Request) -> Response:
        """One element of a list of sections (`concepts[1]`): the revisions that touched it,
        newest first, each with only its changes, 50 a page (`?before=N`)."""
        name, path = request.path_params["run"], request.path_params["path"]
        before = number_param(request, "before")
        reading = self.store.read(name)
        schema = get_schema(reading.schema)
        parsed = element_path(schema.version(schema.latest).leaves, path)
        revisions = self.store.history(name, field=path, limit=PAGE, before=before)
        if not revisions and before is None:
            raise HTTPException(404, f"{name} never had an element {path}")
        items = reading.values.get(parsed.field) or []
        index = parsed.position or 0
        return page(
            request,
            "element.html",
            run=name,
            path=path,
            name=element_name(items[index]) if index < len(items) else "",
            present=index < len(items),
            revisions=revisions,
            before=before,
            older=revisions[-1].number if len(revisions) == PAGE else None,
        )

    def revision(self, request: Request) -> Response:
        """One revision: who, when, why, what it changed, and the config right after it
        (filtered by `field`)."""
        name, number = request.path_params["run"], request.path_params["number"]
        field = request.query_params.get("field", "")
        reading = self.store.read(name, number)
        found = self.store.history(name, limit=1, before=number + 1)[0]
        head = self.store.resolve(name)[1]
        return page(
            request,
            "revision.html",
            reading=reading,
            revision=found,
            head=head,
            field=field,
            hidden=filtered_out(reading.values, field),
        )

    def timeline(self, request: Request) -> Response:
        """One field's value over the run's revisions: a step chart of every change, and a
        table of them 50 a page (newest first, as history)."""
        name, path = request.path_params["run"], request.path_params["path"]
        steps = self.store.timeline(name, path)
        rows, newer, older = table_page(steps, number_param(request, "before"), PAGE)
        head = self.store.head(name)
        # the chart starts at revision 1: its time is read only when no change is there
        later = steps and steps[0].revision > 1
        first = self.store.history(name, limit=1, before=2)[0] if later else head
        return page(
            request,
            "timeline.html",
            run=name,
            path=path,
            points=chart(steps, (1, first.created_at), (head.number, head.created_at)),
            rows=rows,
            newer=newer,
            older=older,
        )

    def diff(self, request: Request) -> Response:
        """The fields that differ between two references (a form when none are given)."""
        a, b = request.query_params.get("a", ""), request.query_params.get("b", "")
        changes = self.store.diff(a, b) if a and b else None
        return page(request, "diff.html", a=a, b=b, changes=changes)

    def compare(self, request: Request) -> Response:
        """Several configs side by side, only the fields that differ unless `all=1`."""
        refs = [r for r in request.query_params.getlist("ref") if r]
        every = request.query_params.get("all") == "1"
        found = self.store.compare(refs, only_changed=not every) if refs else None
        return page(request, "compare.html", refs=refs, every=every, comparison=found)

    def verify(self, request: Request) -> Response:
        """Recompute every hash chain and show what is wrong, if anything."""
        return page(request, "verify.html", report=self.store.verify())

    def api_runs(self, request: Request) -> Response:
        """`store runs --json` (`archived=1`: `--all`)."""
        archived = request.query_params.get("archived") == "1"
        return JSONResponse(runs_data(self.store.runs(archived=archived)))

    def api_show(self, request: Request) -> Response:
        """`store show RUN --json` (`explain=1`: `--explain --json`)."""
        name = request.path_params["run"]
        if request.query_params.get("explain") == "1":
            return JSONResponse(origins_data(self.store.explain(name)))
        return JSONResponse(config_data(self.store.read(name)))

    def api_history(self, request: Request) -> Response:
        """`store history RUN --json [--field PATH] [--limit N]` (and `before=N`), newest
        first, `PAGE` revisions unless `limit` says."""
        limit = number_param(request, "limit")
        revisions = self.store.history(
            request.path_params["run"],
            field=request.query_params.get("field"),
            limit=PAGE if limit is None else limit,
            before=number_param(request, "before"),
        )
        return JSONResponse([revision_data(r) for r in revisions])

    def api_diff(self, request: Request) -> Response:
        """`store diff A@N B@M --json`, for any two references."""
        a, b = required(request, "a"), required(request, "b")
        return JSONResponse(changes_data(self.store.diff(a, b)))

    def api_compare(self, request: Request) -> Response:
        """`{"columns", "rows"}` of `Store.compare` (only what differs unless `all=1`)."""
        refs = request.query_params.getlist("ref")
        every = request.query_params.get("all") == "1"
        return JSONResponse(self.store.compare(refs, only_changed=not every).data())

    def api_verify(self, _request: Request) -> Response:
        """`store verify --json`."""
        return JSONResponse(verify_data(self.store.verify()))


def routes(opened: store.Store) -> list[BaseRoute]:
    """Every route of the web view (GET only: nothing writes)."""
    views = Views(opened)
    return [
        Route("/", views.runs),
        Route("/runs/{run}", views.run),
        Route("/runs/{run}/revisions/{number:int}", views.revision),
        Route("/runs/{run}/fields/{path}", views.timeline),
        Route("/runs/{run}/elements/{path}", views.element),
        Route("/diff", views.diff),
        Route("/compare", views.compare),
        Route("/verify", views.verify),
        Route("/api/runs", views.api_runs),
        Route("/api/runs/{run}", views.api_show),
        Route("/api/runs/{run}/history", views.api_history),
        Route("/api/diff", views.api_diff),
        Route("/api/compare", views.api_compare),
        Route("/api/verify", views.api_verify),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]


def page(request: Request, template: str, **context: Any) -> Response:
    """A server-rendered page (autoescaped: every value, message and name shows as text)."""
    return TEMPLATES.TemplateResponse(request, template, context)


def archived_toggle(query: str, shown: bool, count: int) -> tuple[str, str] | None:
    """The link that shows or hides the `count` archived runs, and its text (None: none)."""
    if not count:
        return None
    params = {"q": query} if query else {}
    if shown:
        return "?" + urlencode(params), "hide archived runs"
    plural = "s" if count != 1 else ""
    return "?" + urlencode({**params, "archived": "1"}), f"show {count} archived run{plural}"


def element_path(leaves: Mapping[str, Leaf], path: str) -> ElementPath:
    """The parts of an element's own path (`concepts[1]`); any other path names no element
    there is a page for: a 404."""
    try:
        parsed = parse(path)
    except store.InvalidChange:
        parsed = None
    leaf = leaves.get(parsed.field) if parsed is not None else None
    if parsed is None or parsed.insert or parsed.rest or leaf is None or leaf.elements is None:
        raise HTTPException(404, f"{path!r} is no element of a list of sections: use FIELD[N]")
    return parsed


def number_param(request: Request, name: str) -> int | None:
    """A whole-number query parameter, if given; anything else is a 400."""
    text = request.query_params.get(name)
    if text is None or text == "":
        return None
    if not WHOLE.fullmatch(text):
        raise HTTPException(400, f"{name}={text!r} is not a whole number")
    return int(text)


def required(request: Request, name: str) -> str:
    """A query parameter that must be given; missing is a 400."""
    text = request.query_params.get(name)
    if not text:
        raise HTTPException(400, f"give ?{name}=REF")
    return text


def error_handlers() -> Mapping[Any, Handler]:
    """A library error or an unknown address as a page (or JSON under `/api/`), no traceback."""
    return {store.StoreError: store_error, HTTPException: http_error, Exception: server_error}


async def store_error(request: Request, exc: Exception) -> Response:
    """An unknown run, revision or reference is a 404; any other refused read a 400."""
    return error(request, 404 if isinstance(exc, NOT_FOUND) else 400, str(exc))


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (unknown address, wrong method) in the same form."""
    assert isinstance(exc, HTTPException)
    return error(request, exc.status_code, exc.detail, exc.headers)


async def server_error(request: Request, _exc: Exception) -> Response:
    """Anything unforeseen: a 500 without a traceback, with the strict headers (Starlette
    sends it from outside every middleware, so it sets them itself)."""
    return error(request, 500, "Internal Server Error", HEADERS)


def error(
    request: Request, status: int, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """`{"error": …}` under `/api/`, else the error page."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status, headers)
    response = page(request, "error.html", status=status, message=message)
    response.status_code = status
    if headers:
        response.headers.update(headers)
    return response
