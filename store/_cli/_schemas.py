"""Commands that show the installed schemas: `schemas`, `schema NAME [--version N] [--changes]`."""

from __future__ import annotations

import click

import store
from store._cli._output import Output, Table, output_options


@click.command()
@output_options
def schemas() -> Output:
    """List every installed schema: name, newest version, where it comes from."""
    found = store.schemas()
    return Output(
        [
            {"name": s.schema.name, "latest": s.schema.latest, "origin": s.origin,
             "description": s.schema.description}
            for s in found
        ],
        Table(
            ("name", "newest", "from", "description"),
            [(s.schema.name, s.schema.latest, s.origin, s.schema.description) for s in found],
        ),
    )  # fmt: skip


@click.command()
@click.argument("name")
@click.option("--version", "version", type=int, help="Show this version (default: the newest).")
@click.option("--changes", is_flag=True, help="Show what each upcaster does instead.")
@output_options
def schema(name: str, version: int | None, changes: bool) -> Output:
    """Show a schema's fields (type, default, secret), or with --changes its upcasters."""
    if changes:
        steps = store.schema_changes(name)
        return Output(
            [s._asdict() for s in steps],
            Table(
                ("step", "kind", "path", "what"),
                [(f"{s.source}->{s.target}", s.kind, s.path, s.text) for s in steps],
                empty="no upcasters: the schema has one version",
            ),
        )
    fields = store.schema_fields(name, version)
    return Output(
        [f._asdict() for f in fields],
        Table(  # the type last: `one of: …` can be long, and a last column is never padded
            ("path", "default", "secret", "type"),
            [(f.path, f.default, "yes" if f.secret else "", f.type) for f in fields],
            values=frozenset({1}),
        ),
    )
