"""`oia keys ...`: create, list and revoke API keys (the commands; the SQL is service.ops.keys)."""

from __future__ import annotations

import json
import uuid
from typing import Annotated

import typer

from service.ops.runner import run_with_session
from service.schemas.vocab import Role, Sensitivity

keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="admin, editor or reader")],
    name: Annotated[str, typer.Option(help="Who or what uses the key")],
    component: Annotated[
        str | None, typer.Option(help="The component an editor writes for (required for editors)")
    ] = None,
    clearance: Annotated[
        Sensitivity | None,
        typer.Option(help="The most sensitive marking it may read (default: les for admin, else sbu)"),
    ] = None,
    expires_in: Annotated[
        float | None, typer.Option("--expires-in", help="Days until it stops working (fractions allowed)")
    ] = None,
) -> None:
    """Make a key; it is printed once, alone on the last line, and stored only as a hash."""
    from service.ops.keys import create_key

    if not name.strip() or len(name) > 100:
        raise typer.BadParameter("--name must be 1 to 100 characters")
    try:
        key_id, key = run_with_session(
            lambda s: create_key(
                s, name=name, role=role, component=component, clearance=clearance, expires_in_days=expires_in
            )
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"created {role.value} key {key_id} ({name}); it will not be shown again:")
    typer.echo(key)


@keys_app.command("list")
def keys_list(
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array instead of a table")] = False,
) -> None:
    """List keys (never the keys themselves)."""
    from service.ops.keys import list_keys

    rows = run_with_session(list_keys)
    if as_json:
        typer.echo(json.dumps(rows))
        return
    for row in rows:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        if not row["revoked_at"] and row["expires_at"]:
            state += f", expires {row['expires_at']}"
        where = f"{row['role']:<6} {row['component'] or '-':<8} {row['clearance']:<6}"
        typer.echo(f"{row['id']}  {where} {row['name']}  ({state})")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id")]) -> None:
    """Revoke a key; API processes stop accepting it within AUTH_CACHE_SECONDS."""
    from service.ops.keys import revoke_key

    try:
        parsed = uuid.UUID(key_id)
    except ValueError as exc:
        typer.echo(f"error: {key_id!r} is not a key id", err=True)
        raise typer.Exit(2) from exc
    if not run_with_session(lambda s: revoke_key(s, parsed)):
        typer.echo(f"error: no active key {key_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")
