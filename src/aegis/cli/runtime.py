"""Long-running commands: serve and worker; and database migration."""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Annotated

import typer

from aegis.auth.context import Actor
from aegis.cli.output import emit, err
from aegis.config import Environment, Settings
from aegis.logging import configure_logging

db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


@db_app.command("upgrade")
def db_upgrade(as_json: JsonOpt = False) -> None:
    """Apply every migration (and create the vault's first keys)."""
    from aegis.cli.context import open_platform
    from aegis.storage.migrate import current_head

    platform = open_platform(as_json=as_json, migrate=True)
    platform.close()
    emit(
        {"revision": current_head(), "status": "up to date"},
        as_json=as_json,
        human=f"database at revision {current_head()}",
    )


def _seed_demo(settings: Settings) -> str | None:
    """A demo tenant with an admin key, remembered in the data folder (development only)."""
    from aegis.auth.context import Scope
    from aegis.partners.repository import TenantStore
    from aegis.partners.schemas import ApiKeyCreate
    from aegis.partners.service import ApiKeyService, AuthCache, TenantService
    from aegis.platform import Platform

    key_file = settings.data_dir / "demo-api-key"
    platform = Platform.build(settings, run_migrations=True)
    try:
        with platform.db.session() as session:
            existing = TenantStore(session).by_name("Demo")
            if existing is not None and key_file.exists():
                return key_file.read_text().strip()
            tenants = TenantService(platform.audit)
            tenant = existing or tenants.create(session, name="Demo", actor=_cli_actor())
            issued = ApiKeyService(platform.audit, AuthCache(0)).issue(
                session,
                tenant_id=tenant.id,
                spec=ApiKeyCreate(name="demo admin", scopes=[Scope.ADMIN]),
                actor="cli:serve",
            )
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(issued.secret)
        return issued.secret
    finally:
        platform.close()


def _cli_actor() -> Actor:
    return Actor("cli", os.environ.get("USER", "operator"))


def _refuse_bad_configuration(settings: Settings) -> None:
    """Fail before uvicorn starts, with one line instead of a worker's traceback."""
    from aegis.checks.document.mrz_reader import MrzModelError, MrzReaderConfig
    from aegis.kyc.adapters import AdapterConfigError, KycAdapters
    from aegis.privacy.master_key import MasterKeyError, load_master_key

    try:
        load_master_key(settings)
        KycAdapters.from_settings(settings)
        MrzReaderConfig(
            tessdata_dir=settings.mrz_tessdata_dir, language=settings.mrz_language
        ).check_model()
    except (MasterKeyError, AdapterConfigError, MrzModelError) as exc:
        err.print(f"[red]error:[/red] {exc}", soft_wrap=True, highlight=False)
        raise typer.Exit(2) from None


def serve(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    workers: Annotated[int | None, typer.Option(help="Web worker processes.")] = None,
    demo: Annotated[bool, typer.Option(help="Seed a demo tenant and print its key.")] = False,
    with_worker: Annotated[
        bool | None, typer.Option("--with-worker/--no-worker", help="Run jobs in-process.")
    ] = None,
) -> None:
    """Run the API (and, by default, the job worker) on the configured stores."""
    import uvicorn

    settings = Settings()
    configure_logging(settings.log_level, json=settings.log_json)
    _refuse_bad_configuration(settings)
    if demo and settings.env is not Environment.PRODUCTION:
        secret = _seed_demo(settings)
        bind = f"http://{host or settings.host}:{port or settings.port}"
        for line in (
            f"[bold]Aegis[/bold] demo tenant ready at {bind}",
            f"  API key (admin): [green]{secret}[/green]",
            f"  try: curl -H 'Authorization: Bearer {secret}' {bind}/v1/tenant",
            f"  API docs: {bind}/docs",
        ):
            err.print(line, soft_wrap=True, highlight=False)
    else:
        from aegis.storage.migrate import upgrade

        settings.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade(settings.resolved_database_url)
    os.environ["AEGIS_EMBEDDED_WORKER"] = str(
        settings.embedded_worker if with_worker is None else with_worker
    ).lower()
    uvicorn.run(
        "aegis.asgi:create",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.web_workers,
        # uvloop with connections shared fairly between the workers (see ``FairLoop``).
        loop="aegis.asgi:FairLoop",
        # httptools, serving the fast lane before the ASGI stack (see ``LaneProtocol``).
        http="aegis.api.lane_protocol:LaneProtocol",
        log_config=None,
        access_log=False,
        proxy_headers=False,
        # A spawned worker answers the supervisor's ping only once it has re-imported the CLI
        # (seconds on a busy machine); uvicorn's default of 5 s kills and respawns it forever.
        timeout_worker_healthcheck=60,
    )


def worker(
    threads: Annotated[int | None, typer.Option(help="Worker threads.")] = None,
) -> None:
    """Run background jobs until SIGINT or SIGTERM (finishing the jobs under way)."""
    from aegis.platform import Platform
    from aegis.queue.transport import Worker

    settings = Settings()
    configure_logging(settings.log_level, json=settings.log_json)
    platform = Platform.build(settings, run_migrations=False)
    runner = Worker(
        platform.queue,
        threads=threads or settings.queue_workers,
        sweep_interval=settings.sweep_interval_seconds,
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    runner.start()
    stop.wait()
    runner.stop()
    platform.close()
    sys.exit(0)
