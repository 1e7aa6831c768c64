"""``aegis``: serve, worker, db, tenants, keys, audit, kyc, face, document, lists, screen."""

from __future__ import annotations

import os

import typer

from aegis.cli import admin, document, face, kyc, lists, risk, risk_ops, runtime, screen, stream

# Tesseract's OpenMP threads gain nothing on document crops and, beside other work, cost
# up to twice the time; an operator may still set another value.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

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
app.add_typer(face.face_app, name="face")
app.add_typer(document.document_app, name="document")
app.add_typer(lists.lists_app, name="lists")
app.command("screen")(screen.screen)
app.add_typer(stream.stream_app, name="stream")
risk.risk_app.command("train")(risk_ops.train)
risk.risk_app.command("backtest")(risk_ops.backtest)
app.add_typer(risk.risk_app, name="risk")


if __name__ == "__main__":
    app()
