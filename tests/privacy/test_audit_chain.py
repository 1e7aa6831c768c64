"""The audit trail is append-only in effect: any direct edit of the table is detected."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import text

from aegis.auth.context import Actor, Ctx, Scope
from aegis.config import Settings
from aegis.platform import Platform
from tests.support.tenants import TenantHandle


def _fill(platform: Platform, tenant: TenantHandle, n: int = 6) -> None:
    ctx = Ctx(tenant.id, Actor("api_key", tenant.key_id), "req_test", frozenset(Scope))
    with platform.db.session() as session:
        for i in range(n):
            platform.audit.record(
                session,
                ctx,
                action="thing.updated",
                target_type="thing",
                target_id=f"thing_{i}",
                details={"fields": ["status"]},
            )


def _verify(platform: Platform) -> Any:
    with platform.db.session(write=False) as session:
        return platform.audit.verify(session)


def _exec(platform: Platform, sql: str, **params: Any) -> None:
    with platform.db.engine.begin() as conn:
        conn.execute(text(sql), params)


def _seq_row(platform: Platform, chain: str, seq: int) -> dict[str, Any]:
    with platform.db.engine.connect() as conn:
        row = (
            conn.execute(
                text("SELECT * FROM audit_events WHERE chain = :c AND seq = :s"),
                {"c": chain, "s": seq},
            )
            .mappings()
            .one()
        )
        return dict(row)


def test_intact_chain_verifies(platform: Platform, tenant: TenantHandle) -> None:
    _fill(platform, tenant)
    report = _verify(platform)
    assert report.ok, report.findings
    assert report.records >= 7  # tenant creation, key issue, six updates


def test_modified_row_is_detected(platform: Platform, tenant: TenantHandle) -> None:
    _fill(platform, tenant)
    _exec(
        platform,
        "UPDATE audit_events SET actor = 'api_key:someone_else' WHERE chain = :c AND seq = 4",
        c=tenant.id,
    )
    report = _verify(platform)
    assert not report.ok
    assert any(f.seq == 4 and "modified" in f.problem for f in report.findings)


def test_modified_details_are_detected(platform: Platform, tenant: TenantHandle) -> None:
    _fill(platform, tenant)
    _exec(
        platform,
        "UPDATE audit_events SET details = :d WHERE chain = :c AND seq = 5",
        c=tenant.id,
        d=json.dumps({"fields": ["limit"]}),
    )
    assert not _verify(platform).ok


def test_deleted_row_is_detected(platform: Platform, tenant: TenantHandle) -> None:
    _fill(platform, tenant)
    _exec(platform, "DELETE FROM audit_events WHERE chain = :c AND seq = 3", c=tenant.id)
    report = _verify(platform)
    assert any("gap" in f.problem or "broken" in f.problem for f in report.findings)


def test_deleted_last_row_is_detected(platform: Platform, tenant: TenantHandle) -> None:
    _fill(platform, tenant)
    _exec(
        platform,
        "DELETE FROM audit_events WHERE chain = :c AND seq = (SELECT MAX(seq) FROM audit_events WHERE chain = :c)",
        c=tenant.id,
    )
    report = _verify(platform)
    assert any("head" in f.problem for f in report.findings)


def test_inserted_row_is_detected(platform: Platform, tenant: TenantHandle) -> None:
    _fill(platform, tenant)
    row = _seq_row(platform, tenant.id, 3)
    # Make room after seq 3 and slide a forged record in, re-linking prev_hash by hand.
    _exec(
        platform,
        "UPDATE audit_events SET seq = seq + 1000 WHERE chain = :c AND seq > 3",
        c=tenant.id,
    )
    _exec(
        platform,
        "UPDATE audit_events SET seq = seq - 999 WHERE chain = :c AND seq > 1000",
        c=tenant.id,
    )
    forged = {
        **row,
        "id": "aud_forged",
        "seq": 4,
        "action": "thing.deleted",
        "prev_hash": row["hash"],
        "hash": "f" * 64,
    }
    forged.pop("pk")
    if not isinstance(forged["details"], str):
        forged["details"] = json.dumps(forged["details"])
    cols = ", ".join(forged)
    _exec(
        platform,
        f"INSERT INTO audit_events ({cols}) VALUES ({', '.join(':' + k for k in forged)})",
        **forged,
    )
    report = _verify(platform)
    assert not report.ok
    assert any(f.event_id == "aud_forged" for f in report.findings)


def test_reordered_rows_are_detected(platform: Platform, tenant: TenantHandle) -> None:
    _fill(platform, tenant)
    _exec(platform, "UPDATE audit_events SET seq = -1 WHERE chain = :c AND seq = 3", c=tenant.id)
    _exec(platform, "UPDATE audit_events SET seq = 3 WHERE chain = :c AND seq = 4", c=tenant.id)
    _exec(platform, "UPDATE audit_events SET seq = 4 WHERE chain = :c AND seq = -1", c=tenant.id)
    report = _verify(platform)
    assert not report.ok


def test_recomputed_plain_hash_is_still_detected(platform: Platform, tenant: TenantHandle) -> None:
    """The chain is keyed: an attacker with SQL access cannot recompute a valid link."""
    import hashlib

    from sqlalchemy import select

    from aegis.privacy.audit.chain import canonical
    from aegis.privacy.audit.models import AuditEvent
    from aegis.privacy.audit.service import _link

    _fill(platform, tenant)
    with platform.db.session(write=False) as session:
        row = session.scalars(
            select(AuditEvent).where(AuditEvent.chain == tenant.id, AuditEvent.seq == 2)
        ).one()
        fake = hashlib.sha256(canonical(_link(row))).hexdigest()
        row_id = row.id
    _exec(platform, "UPDATE audit_events SET hash = :h WHERE id = :i", h=fake, i=row_id)
    assert not _verify(platform).ok


@pytest.mark.slow
def test_cli_verify_exit_codes(
    platform: Platform, settings: Settings, tenant: TenantHandle
) -> None:
    _fill(platform, tenant)
    env = {
        "AEGIS_DATABASE_URL": settings.resolved_database_url,
        "AEGIS_MASTER_KEY": settings.master_key.get_secret_value() if settings.master_key else "",
        "AEGIS_DATA_DIR": str(settings.data_dir),
        "PATH": "/usr/bin:/bin",
    }
    cmd = [sys.executable, "-m", "aegis.cli.main", "audit", "verify", "--json"]
    ok = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["ok"] is True
    _exec(
        platform,
        "UPDATE audit_events SET target_id = 'x' WHERE chain = :c AND seq = 2",
        c=tenant.id,
    )
    bad = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 1
    out = json.loads(bad.stdout)
    assert out["ok"] is False and out["findings"]


def test_truncation_with_rewound_head_is_caught_by_an_anchor(
    platform: Platform, tenant: TenantHandle
) -> None:
    _fill(platform, tenant)
    anchored = _verify(platform)
    assert anchored.ok
    anchors = list(anchored.heads)
    # Cut the two newest records and rewind the head row to match: self-consistent again.
    head_seq = next(seq for chain, seq, _ in anchors if chain == tenant.id)
    prev = _seq_row(platform, tenant.id, head_seq - 2)
    _exec(
        platform,
        "DELETE FROM audit_events WHERE chain = :c AND seq > :s",
        c=tenant.id,
        s=head_seq - 2,
    )
    _exec(
        platform,
        "UPDATE audit_heads SET seq = :s, hash = :h WHERE chain = :c",
        s=head_seq - 2,
        h=prev["hash"],
        c=tenant.id,
    )
    assert _verify(platform).ok  # undetectable from inside the database alone
    with platform.db.session(write=False) as session:
        report = platform.audit.verify(session, anchors=anchors)
    assert not report.ok
    assert any("cut" in f.problem for f in report.findings)


def test_concurrent_appends_never_fork_the_chain(platform: Platform, tenant: TenantHandle) -> None:
    import threading

    ctx = Ctx(tenant.id, Actor("api_key", tenant.key_id), None, frozenset(Scope))
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(15):
                with platform.db.session() as session:
                    for j in range(2):  # several records in one transaction
                        platform.audit.record(
                            session,
                            ctx,
                            action="thing.updated",
                            target_type="thing",
                            target_id=f"t{n}-{i}-{j}",
                        )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    report = _verify(platform)
    assert report.ok, report.findings
    assert report.records >= 4 * 15 * 2
