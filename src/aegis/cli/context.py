"""Building the platform for a command, with logs on stderr so stdout stays parseable."""

from __future__ import annotations

import sys

from pydantic import ValidationError

from aegis.config import Settings
from aegis.kyc.adapters import AdapterConfigError
from aegis.logging import configure_logging
from aegis.platform import Platform
from aegis.privacy.master_key import MasterKeyError
from aegis.storage.migrate import current_head, database_revision


class CliError(Exception):
    """A problem the operator must fix; printed as one line (or one JSON document)."""


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        fields = ", ".join(
            "AEGIS_" + "_".join(str(p) for p in e["loc"]).upper() for e in exc.errors()
        )
        raise CliError(f"invalid settings: {fields}") from None


def platform_for_cli(*, migrate: bool = True) -> Platform:
    """``migrate=False`` is for read-only commands: they never create or change a database,
    so pointing one at a wrong URL fails instead of reporting on an empty new database."""
    settings = load_settings()
    configure_logging("WARNING", json=settings.log_json, stream=sys.stderr)
    if not migrate:
        revision = database_revision(settings.resolved_database_url)
        if revision != current_head():
            raise CliError(
                f"database is at revision {revision or 'none'}, expected {current_head()}: "
                "check AEGIS_DATABASE_URL or run `aegis db upgrade`"
            )
    try:
        return Platform.build(settings, run_migrations=migrate, bootstrap_keys=migrate)
    except (MasterKeyError, AdapterConfigError) as exc:
        raise CliError(str(exc)) from None


def open_platform(*, as_json: bool, migrate: bool = True) -> Platform:
    from aegis.cli.output import fail

    try:
        return platform_for_cli(migrate=migrate)
    except CliError as exc:
        fail(str(exc), as_json=as_json, code=2)
        raise  # unreachable: fail() exits
