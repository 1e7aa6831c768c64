"""``aegis``: serve, worker, db, tenants, keys, audit."""

from __future__ import annotations

import typer

from aegis.cli import admin, kyc, runtime

app = typer.Typer(
    name="aegis",
    help="Aegis: identity verification (KYC) and payment risk control.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("serve")(runtime.serve)
app.command("worker")(runtime.worker)
app.add_typer(runtime.db_app, name="db")
app.add_typer(admin.tenants_app, name="tenants")
app.add_typer(admin.keys_app, name="keys")
app.add_typer(admin.audit_app, name="audit")
app.add_typer(kyc.kyc_app, name="kyc")


if __name__ == "__main__":
    app()
