"""The CLI prints one JSON document with --json and drives the same services."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from aegis.cli.main import app
from aegis.config import Settings


@pytest.fixture
def run(settings: Settings):  # type: ignore[no-untyped-def]
    runner = CliRunner()
    env = {
        "AEGIS_DATABASE_URL": settings.resolved_database_url,
        "AEGIS_DATA_DIR": str(settings.data_dir),
        "AEGIS_MASTER_KEY": settings.master_key.get_secret_value() if settings.master_key else "",
    }

    def invoke(*args: str, code: int = 0) -> dict:  # type: ignore[type-arg]
        result = runner.invoke(app, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == code, result.output
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    return invoke


def test_tenant_and_key_lifecycle(run) -> None:  # type: ignore[no-untyped-def]
    assert run("db", "upgrade", "--json")["status"] == "up to date"
    created = run("tenants", "create", "Acme Pay", "--json")
    tenant_id = created["tenant"]["id"]
    assert tenant_id.startswith("ten_")
    assert created["api_key"]["secret"].startswith("aegis_sk_")
    assert created["api_key"]["scopes"] == ["admin"]
    listed = run("tenants", "list", "--json")
    assert tenant_id in [t["id"] for t in listed["tenants"]]

    issued = run("keys", "issue", tenant_id, "--scope", "read", "--scope", "kyc:write", "--json")
    assert sorted(issued["scopes"]) == ["kyc:write", "read"]
    rotated = run("keys", "rotate", tenant_id, issued["id"], "--json")
    assert rotated["rotated_from"] == issued["id"] and rotated["secret"] != issued["secret"]
    revoked = run("keys", "revoke", tenant_id, rotated["id"], "--json")
    assert revoked["status"] == "revoked"
    again = run("keys", "revoke", tenant_id, rotated["id"], "--json", code=1)
    assert "already revoked" in again["error"]
    missing = run("keys", "issue", "ten_doesnotexist", "--json", code=1)
    assert "not found" in missing["error"]

    vault = run("keys", "rotate", "--json")
    assert vault["new_key_id"].startswith("dek_") and vault["retired_key_ids"]
    verified = run("audit", "verify", "--json")
    assert verified["ok"] is True and verified["records"] >= 5


def test_read_only_commands_never_create_a_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    target = tmp_path / "typo.db"
    env = {
        "AEGIS_DATABASE_URL": f"sqlite:///{target}",
        "AEGIS_DATA_DIR": str(tmp_path),
        "AEGIS_MASTER_KEY": "x" * 44,
    }
    result = runner.invoke(app, ["audit", "verify", "--json"], env=env)
    assert result.exit_code == 2
    assert "revision none" in json.loads(result.stdout)["error"]
    assert not target.exists()


def test_bad_master_key_is_one_clean_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    env = {
        "AEGIS_DATA_DIR": str(tmp_path),
        "AEGIS_MASTER_KEY": "not-a-key",
        "AEGIS_ENV": "production",
    }
    result = runner.invoke(app, ["db", "upgrade", "--json"], env=env)
    assert result.exit_code == 2
    assert "master key" in json.loads(result.stdout)["error"]
    assert "Traceback" not in result.output


def test_audit_verify_with_anchor(run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run("tenants", "create", "Anchor Co", "--json")
    first = run("audit", "verify", "--json")
    assert first["heads"]
    anchor = tmp_path / "anchor.json"
    anchor.write_text(json.dumps(first))
    assert run("audit", "verify", "--anchor", str(anchor), "--json")["ok"] is True
