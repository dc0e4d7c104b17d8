"""`store serve`: the read-only web view, served by uvicorn (the `web` extra)."""

from __future__ import annotations

import click

from store._cli._options import database_url

EXTRA = "store serve needs the web extra: pip install 'train-config-store[web]'"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="Port to bind."
)
@click.option(
    "--token",
    envvar="STORE_SERVE_TOKEN",
    help="Require this token on every request (needed to bind other than 127.0.0.1; "
    "default $STORE_SERVE_TOKEN).",
)
def serve(host: str, port: int, token: str | None) -> None:
    """Serve a read-only web view of runs, history, diffs and timelines."""
    try:
        import uvicorn

        from store import web
        from store.web._security import is_loopback
    except ImportError:
        raise click.ClickException(EXTRA) from None
    if not token and not is_loopback(host):
        raise click.UsageError(f"binding {host} needs --token (or $STORE_SERVE_TOKEN)")
    app = web.app(database_url(), token=token)
    click.echo(f"store serve: http://{host}:{port}/ (read-only; Ctrl-C stops it)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
