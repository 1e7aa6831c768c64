"""Operator commands: tenants, keys (API keys and the vault), audit."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from aegis.auth.context import Actor, Scope
from aegis.cli.context import open_platform
from aegis.cli.output import emit, err, fail
from aegis.errors import AegisError
from aegis.kit.pagination import PageRequest
from aegis.partners.schemas import ApiKeyCreate
from aegis.partners.service import ApiKeyService, AuthCache, TenantService

tenants_app = typer.Typer(help="Tenants (partners).", no_args_is_help=True)
keys_app = typer.Typer(
    help="API keys, and rotation of the PII vault's data key.", no_args_is_help=True
)
audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def _actor() -> Actor:
    return Actor("cli", os.environ.get("USER", "operator"))


def _key_json(key: object, secret: str | None = None) -> dict[str, object]:
    from aegis.partners.endpoints import key_out

    data = key_out(key).model_dump(mode="json")  # type: ignore[arg-type]
    if secret:
        data["secret"] = secret
    return data


@tenants_app.command("create")
def tenants_create(
    name: str,
    scopes: Annotated[list[Scope], typer.Option("--scope", help="Scopes of the first key.")] = [  # noqa: B006
        Scope.ADMIN
    ],
    as_json: JsonOpt = False,
) -> None:
    """Create a tenant and its first API key (shown once)."""
    platform = open_platform(as_json=as_json)
    actor = _actor()
    with platform.db.session() as session:
        tenant = TenantService(platform.audit).create(session, name=name, actor=actor)
        issued = ApiKeyService(platform.audit, AuthCache(0)).issue(
            session,
            tenant_id=tenant.id,
            spec=ApiKeyCreate(name="initial key", scopes=scopes),
            actor=f"{actor.kind}:{actor.id}",
        )
        data = {
            "tenant": {"id": tenant.id, "name": tenant.name},
            "api_key": _key_json(issued.key, issued.secret),
        }
    emit(
        data,
        as_json=as_json,
        human=f"tenant {tenant.id} created\nAPI key (shown once): {issued.secret}",
    )


@tenants_app.command("list")
def tenants_list(as_json: JsonOpt = False, limit: int = 100) -> None:
    platform = open_platform(as_json=as_json, migrate=False)
    with platform.db.session(write=False) as session:
        page = TenantService(platform.audit).list_page(session, PageRequest(limit=limit))
        rows = [
            {"id": t.id, "name": t.name, "status": t.status, "created_at": t.created_at.isoformat()}
            for t in page.items
        ]
    table = Table("id", "name", "status", "created")
    for r in rows:
        table.add_row(str(r["id"]), str(r["name"]), str(r["status"]), str(r["created_at"]))
    emit({"tenants": rows}, as_json=as_json, human=table)  # type: ignore[arg-type]


@keys_app.command("issue")
def keys_issue(
    tenant_id: str,
    name: Annotated[str, typer.Option(help="What the key is for.")] = "cli key",
    scopes: Annotated[list[Scope], typer.Option("--scope")] = [Scope.READ],  # noqa: B006
    as_json: JsonOpt = False,
) -> None:
    """Issue an API key for a tenant (the secret is shown once)."""
    platform = open_platform(as_json=as_json)
    actor = _actor()
    try:
        with platform.db.session() as session:
            TenantService(platform.audit).get(session, tenant_id)
            issued = ApiKeyService(platform.audit, AuthCache(0)).issue(
                session,
                tenant_id=tenant_id,
                spec=ApiKeyCreate(name=name, scopes=scopes),
                actor=f"{actor.kind}:{actor.id}",
            )
            data = _key_json(issued.key, issued.secret)
    except AegisError as exc:
        fail(exc.detail, as_json=as_json)
    emit(data, as_json=as_json, human=f"{data['id']}: {issued.secret}")


@keys_app.command("revoke")
def keys_revoke(tenant_id: str, key_id: str, as_json: JsonOpt = False) -> None:
    """Revoke an API key now."""
    platform = open_platform(as_json=as_json)
    actor = _actor()
    try:
        with platform.db.session() as session:
            key = ApiKeyService(platform.audit, AuthCache(0)).revoke(
                session, tenant_id=tenant_id, key_id=key_id, actor=f"{actor.kind}:{actor.id}"
            )
            data = _key_json(key)
    except AegisError as exc:
        fail(exc.detail, as_json=as_json)
    emit(data, as_json=as_json, human=f"{key_id} revoked")


@keys_app.command("rotate")
def keys_rotate(
    tenant_id: Annotated[
        str | None, typer.Argument(help="With KEY_ID: rotate that API key.")
    ] = None,
    key_id: Annotated[str | None, typer.Argument()] = None,
    grace_seconds: Annotated[int, typer.Option(help="Old API key keeps working this long.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Without arguments: new vault data key, everything re-encrypted under it, no downtime.
    With TENANT_ID KEY_ID: rotate that API key (new secret, same scopes)."""
    platform = open_platform(as_json=as_json)
    if tenant_id is None:
        from aegis.privacy.rotation import rotate_data_key

        def progress(table: str, n: int) -> None:
            if not as_json and n:
                err.print(f"  {table}: {n} rows re-encrypted")

        actor = _actor()
        report = rotate_data_key(platform, progress=progress, actor=f"{actor.kind}:{actor.id}")
        emit(
            {
                "new_key_id": report.new_key_id,
                "retired_key_ids": report.retired_key_ids,
                "rows_reencrypted": report.rows_reencrypted,
                "blobs_reencrypted": report.blobs_reencrypted,
                "passes": report.passes,
            },
            as_json=as_json,
            human=f"data key rotated to {report.new_key_id}: {report.rows_reencrypted} rows, "
            f"{report.blobs_reencrypted} blobs re-encrypted; retired {report.retired_key_ids}",
        )
        return
    if key_id is None:
        fail("give both TENANT_ID and KEY_ID to rotate an API key", as_json=as_json, code=2)
    actor = _actor()
    try:
        with platform.db.session() as session:
            issued = ApiKeyService(platform.audit, AuthCache(0)).rotate(
                session,
                tenant_id=tenant_id,
                key_id=str(key_id),
                actor=f"{actor.kind}:{actor.id}",
                grace_seconds=grace_seconds,
            )
            data = _key_json(issued.key, issued.secret)
    except AegisError as exc:
        fail(exc.detail, as_json=as_json)
    emit(data, as_json=as_json, human=f"{key_id} rotated to {data['id']}: {issued.secret}")


@audit_app.command("verify")
def audit_verify(
    anchor: Annotated[
        Path | None,
        typer.Option(
            help="A previous `verify --json` output: also prove nothing was cut or "
            "rewritten since then."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Recompute every chain; exit 1 if any record was modified, removed, inserted or moved.

    Keep each run's JSON output somewhere the database's writers cannot reach: passed back
    as --anchor, its chain heads catch even a truncation of the newest records."""
    platform = open_platform(as_json=as_json, migrate=False)
    anchors: list[tuple[str, int, str]] = []
    if anchor is not None:
        try:
            heads = json.loads(anchor.read_text())["heads"]
            anchors = [(str(h["chain"]), int(h["seq"]), str(h["hash"])) for h in heads]
        except (OSError, ValueError, KeyError, TypeError):
            fail(f"{anchor} is not the JSON output of `aegis audit verify --json`", as_json=as_json)
    with platform.db.session(write=False) as session:
        report = platform.audit.verify(session, anchors=anchors)
    data = {
        "ok": report.ok,
        "chains": report.chains,
        "records": report.records,
        "heads": [{"chain": c, "seq": seq, "hash": h} for c, seq, h in report.heads],
        "findings": [
            {"chain": f.chain, "seq": f.seq, "event_id": f.event_id, "problem": f.problem}
            for f in report.findings
        ],
    }
    human = (
        f"audit trail intact: {report.records} records in {report.chains} chains"
        if report.ok
        else "AUDIT TRAIL TAMPERED:\n"
        + "\n".join(f"  chain {f.chain} seq {f.seq}: {f.problem}" for f in report.findings)
    )
    emit(data, as_json=as_json, human=human)
    if not report.ok:
        raise typer.Exit(1)
