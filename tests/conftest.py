"""Shared fixtures. Every database test runs on SQLite, and on PostgreSQL when
``AEGIS_TEST_DATABASE_URL`` is set (CI sets it and ``AEGIS_TEST_REQUIRE_SERVICES``)."""

from __future__ import annotations

import base64
import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from aegis.app import create_app
from aegis.config import Environment, Settings
from aegis.platform import Platform
from aegis.storage import migrate
from aegis.storage.all_models import metadata
from aegis.storage.db import make_engine
from tests.support.tenants import TenantHandle, make_tenant

PG_URL = os.environ.get("AEGIS_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("AEGIS_TEST_REDIS_URL")
NATS_URL = os.environ.get("AEGIS_TEST_NATS_URL")
REQUIRE = os.environ.get("AEGIS_TEST_REQUIRE_SERVICES") == "1"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 3
        ):
            return True
    except OSError:
        return False


def service_url(name: str, url: str | None, port: int) -> str:
    """The service's URL, or skip (locally) / fail (in CI) when it is not there."""
    if url is None:
        if REQUIRE:
            pytest.fail(f"AEGIS_TEST_{name}_URL is required in CI")
        pytest.skip(f"AEGIS_TEST_{name}_URL not set")
    if not _reachable(url, port):
        if REQUIRE:
            pytest.fail(f"{name} at {url} is unreachable")
        pytest.skip(f"{name} at {url} is unreachable")
    return url


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str]:
    """A throwaway schema in the test database, migrated once per session."""
    url = service_url("DATABASE", PG_URL, 5432)
    schema = "aegis_t_" + secrets.token_hex(4)
    admin = make_engine(url, pool=False)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    scoped = f"{url}{sep}options={quote(f'-csearch_path={schema}')}"
    migrate.upgrade(scoped)
    yield scoped
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'aegis.db'}"
        migrate.upgrade(url)
        yield url
        return
    url = request.getfixturevalue("pg_schema_url")
    yield url
    engine = make_engine(url, pool=False)
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


def make_settings(data_dir: Path, database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": Environment.TEST,
        "data_dir": data_dir,
        "database_url": database_url,
        "master_key": base64.b64encode(b"k" * 32).decode(),
        "webhook_allow_private_targets": True,
        "auth_cache_seconds": 0.0,
        "log_json": True,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return make_settings(tmp_path / "data", db_url)


@pytest.fixture
def platform(settings: Settings) -> Iterator[Platform]:
    p = Platform.build(settings, immediate_jobs=True)
    yield p
    p.close()


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def tenant(platform: Platform) -> TenantHandle:
    return make_tenant(platform, "Tenant A")


@pytest.fixture
def other_tenant(platform: Platform) -> TenantHandle:
    return make_tenant(platform, "Tenant B")
