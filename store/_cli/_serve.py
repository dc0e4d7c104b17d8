"""`store serve`: the read-only web view, served by uvicorn (the `web` extra)."""

from __future__ import annotations

import errno
import socket

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
@click.option(
    "--allow-host",
    "allow_hosts",
    metavar="NAME[:PORT]",
    multiple=True,
    help="Also answer requests for this Host, e.g. the name of a reverse proxy in front "
    "(repeatable; without :PORT any port). Any other Host gets 400.",
)
def serve(host: str, port: int, token: str | None, allow_hosts: tuple[str, ...]) -> None:
    """Serve a read-only web view of runs, history, diffs and timelines."""
    try:
        import uvicorn

        from store import web
        from store.web._security import allowed_hosts, is_loopback, served_hosts
    except ImportError:
        raise click.ClickException(EXTRA) from None
    if not token and not is_loopback(host):
        raise click.UsageError(f"binding {host} needs --token (or $STORE_SERVE_TOKEN)")
    try:
        allowed_hosts(allow_hosts)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--allow-host'") from None
    bound = bind(host, port)
    port = bound.getsockname()[1]
    app = web.app(database_url(), token=token, hosts=served_hosts(host, port, allow_hosts))
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"store serve: http://{shown}:{port}/ (read-only; Ctrl-C stops it)")
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[bound])


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on `host:port`, made before anything is printed, so that a busy
    port is one `Error:` line and not a ready banner followed by uvicorn's error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise click.ClickException(
                f"port {port} is in use (another store serve?); choose another with --port"
            ) from None
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
