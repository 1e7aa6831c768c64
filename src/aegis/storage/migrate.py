"""Run Alembic programmatically, so an installed package can migrate its own database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


_MIGRATION_LOCK = 0x41454D47  # advisory lock id: one migrator at a time on PostgreSQL


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate; several processes starting together on PostgreSQL queue on a lock
    (SQLite serialises DDL by itself)."""
    if not url.startswith("postgresql"):
        command.upgrade(alembic_config(url), revision)
        return
    from sqlalchemy import text

    from aegis.storage.db import make_engine

    engine = make_engine(url, pool=False)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK})
            try:
                command.upgrade(alembic_config(url), revision)
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK})
                conn.commit()
    finally:
        engine.dispose()


def current_head() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def database_revision(url: str) -> str | None:
    """The revision a database is at, or None if it was never migrated (or does not exist).

    Never creates anything: a SQLite path that does not exist is reported as None.
    """
    from alembic.migration import MigrationContext
    from sqlalchemy.engine import make_url

    from aegis.storage.db import make_engine

    parsed = make_url(url)
    on_disk = parsed.get_backend_name() == "sqlite" and parsed.database not in (
        None,
        "",
        ":memory:",
    )
    if on_disk and not Path(str(parsed.database)).exists():
        return None
    engine = make_engine(url, pool=False)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
