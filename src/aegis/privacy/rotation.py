"""``aegis keys rotate``: a new data key, then every ciphertext re-encrypted under it.

No downtime: the new key becomes active first, so new writes use it (other processes
within the key ring's refresh interval); old keys stay readable throughout. Rows are
rewritten with a compare-and-set on their old ciphertexts, so a concurrent update is
never overwritten; a row that changed under us is picked up by the next pass. Passes
repeat until one finds nothing under an old key, and only then are old keys retired
(still kept, never destroyed here: a backup restored later may need them).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select, update

from aegis.api.models import IdempotencyRecord, idempotency_aad
from aegis.privacy.crypto import Vault, aad_for
from aegis.privacy.keys import VaultKeyRepository
from aegis.privacy.registry import ENCRYPTED, EncryptedTable

if TYPE_CHECKING:
    from aegis.platform import Platform

Progress = Callable[[str, int], None]


@dataclass
class RotationReport:
    new_key_id: str
    retired_key_ids: list[str] = field(default_factory=list)
    rows_reencrypted: int = 0
    blobs_reencrypted: int = 0
    passes: int = 0


def _not_under(column: Any, key_id: str) -> Any:
    pattern = f"v1:{key_id}:".replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")
    return and_(column.is_not(None), column.not_like(pattern + "%", escape="\\"))


def _pass_table(platform: Platform, table: EncryptedTable, key_id: str, batch: int) -> int:
    model: Any = table.model
    cols = [getattr(model, c) for c in table.columns]
    pending = or_(*(_not_under(c, key_id) for c in cols))
    done = 0
    last = ""
    while True:
        with platform.db.session() as session:
            rows = session.execute(
                select(model.id, model.tenant_id, *cols)
                .where(pending, model.id > last)
                .order_by(model.id)
                .limit(batch)
            ).all()
            if not rows:
                return done
            for row in rows:
                row_id, tenant_id, olds = row[0], row[1], row[2:]
                values: dict[str, Any] = {}
                guards = [model.id == row_id]
                for name, col, old in zip(table.columns, cols, olds, strict=True):
                    guards.append(col.is_(None) if old is None else col == old)
                    if old is None or old.startswith(f"v1:{key_id}:"):
                        continue
                    aad = aad_for(tenant_id, model.__tablename__, name, row_id)
                    plain = platform.vault.decrypt_bytes(old, aad)
                    values[name] = platform.vault.encrypt_with(key_id, plain, aad)
                if values:
                    if hasattr(model, "updated_at"):
                        # Re-encryption is not a change of the record; keep its onupdate off.
                        values["updated_at"] = model.updated_at
                    result = session.execute(update(model).where(*guards).values(**values))
                    done += int(result.rowcount)  # type: ignore[attr-defined]
            last = rows[-1][0]


def _pass_blobs(platform: Platform, key_id: str) -> int:
    return sum(
        1
        for tenant, blob in platform.blobs.iter_ids()
        if platform.blobs.reseal(tenant, blob, key_id)
    )


def _pass_idempotency(platform: Platform, key_id: str) -> int:
    """Stored responses are sealed blobs in a column; reseal those under older keys."""
    done = 0
    with platform.db.session() as session:
        rows = session.execute(
            select(
                IdempotencyRecord.id,
                IdempotencyRecord.tenant_id,
                IdempotencyRecord.key,
                IdempotencyRecord.response_body,
            ).where(IdempotencyRecord.response_body.is_not(None))
        ).all()
        for row_id, tenant_id, key, body in rows:
            if body is None or Vault.sealed_key_id(body) == key_id:
                continue
            aad = idempotency_aad(tenant_id, key)
            resealed = platform.vault.seal(platform.vault.open(body, aad), aad)
            result = session.execute(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.id == row_id, IdempotencyRecord.response_body == body)
                .values(response_body=resealed)
            )
            done += int(result.rowcount)  # type: ignore[attr-defined]
    return done


def _count_remaining(platform: Platform, key_id: str) -> int:
    remaining = 0
    with platform.db.session(write=False) as session:
        for table in ENCRYPTED:
            model: Any = table.model
            cols = [getattr(model, c) for c in table.columns]
            remaining += len(
                session.execute(
                    select(model.id).where(or_(*(_not_under(c, key_id) for c in cols))).limit(1)
                ).all()
            )
    return remaining


def rotate_data_key(
    platform: Platform,
    *,
    actor: str = "system:rotation",
    batch: int = 200,
    progress: Progress | None = None,
    deadline: float = 600,
) -> RotationReport:
    with platform.db.session() as session:
        repo = VaultKeyRepository(session)
        new = repo.create(platform.master, "data")
        repo.demote_others("data", keep=new.id)
        new_id = new.id
    platform.ring.reload()
    report = RotationReport(new_key_id=new_id)
    settle_until = time.monotonic() + platform.ring.ttl + 0.5
    give_up = time.monotonic() + deadline
    while time.monotonic() < give_up:
        report.passes += 1
        changed = 0
        for table in ENCRYPTED:
            n = _pass_table(platform, table, new_id, batch)
            changed += n
            if progress:
                progress(table.model.__tablename__, n)
        blobs = _pass_blobs(platform, new_id) + _pass_idempotency(platform, new_id)
        report.rows_reencrypted += changed
        report.blobs_reencrypted += blobs
        # Other processes may still encrypt under the old key until their ring refreshes;
        # keep sweeping until that window has passed and a pass finds nothing.
        if (
            time.monotonic() >= settle_until
            and _count_remaining(platform, new_id) == 0
            and not blobs
        ):
            break
        if not changed and not blobs:
            time.sleep(0.2)
    else:
        raise RuntimeError("rotation did not converge; old keys left readable, run it again")
    with platform.db.session() as session:
        repo = VaultKeyRepository(session)
        for key in repo.all():
            if key.purpose == "data" and key.status == "decrypt_only":
                repo.retire(key.id)
                report.retired_key_ids.append(key.id)
        platform.audit.record(
            session,
            None,
            action="vault.data_key_rotated",
            target_type="vault_key",
            target_id=new_id,
            actor=actor,
            details={
                "retired": report.retired_key_ids,
                "rows": report.rows_reencrypted,
                "blobs": report.blobs_reencrypted,
            },
        )
    return report
