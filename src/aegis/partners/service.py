"""Tenants and API keys: the business rules, no HTTP and no commits."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from aegis.auth.context import Actor, Ctx, Scope, effective_scopes
from aegis.errors import InvalidState, NotFound, Unauthorized
from aegis.ids import new_id
from aegis.kit.pagination import Page, PageRequest
from aegis.kit.time import utcnow
from aegis.partners.models import ApiKey, Tenant
from aegis.partners.repository import (
    ApiKeyRepository,
    TenantRow,
    TenantStore,
    find_key_by_hash,
    read_tenant,
    touch_key,
)
from aegis.partners.schemas import ApiKeyCreate, TenantSettings, TenantUpdate
from aegis.privacy.audit.service import AuditTrail
from aegis.storage.hot import Reads

SECRET_PREFIX = "aegis_sk_"  # noqa: S105 - a prefix, not a secret


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def key_status(key: ApiKey, now: datetime) -> str:
    if key.status == "revoked":
        return "revoked"
    if key.expires_at is not None and key.expires_at <= now:
        return "expired"
    return "active"


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key: ApiKey
    secret: str


class TenantService:
    def __init__(self, audit: AuditTrail) -> None:
        self.audit = audit

    def create(self, session: Session, *, name: str, actor: Actor) -> Tenant:
        tenant = TenantStore(session).add(
            Tenant(
                id=new_id("ten"),
                name=name,
                status="active",
                settings=TenantSettings().model_dump(),
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
        self.audit.record(
            session,
            None,
            action="tenant.created",
            target_type="tenant",
            target_id=tenant.id,
            actor=f"{actor.kind}:{actor.id}",
            tenant_id=tenant.id,
        )
        return tenant

    def get(self, session: Session, tenant_id: str) -> Tenant:
        tenant = TenantStore(session).get(tenant_id)
        if tenant is None:
            raise NotFound(f"tenant {tenant_id} not found")
        return tenant

    def read(self, reads: Reads, tenant_id: str) -> TenantRow:
        """``get`` without the ORM, for reads on the event loop (see ``LoopReads``)."""
        tenant = read_tenant(reads, tenant_id)
        if tenant is None:
            raise NotFound(f"tenant {tenant_id} not found")
        return tenant

    def list_page(self, session: Session, page: PageRequest) -> Page[Tenant]:
        return TenantStore(session).list_page(page)

    def update(self, session: Session, ctx: Ctx, change: TenantUpdate) -> Tenant:
        tenant = self.get(session, ctx.tenant_id)
        fields = sorted(change.model_fields_set)
        if change.name is not None:
            tenant.name = change.name
        if change.settings is not None:
            # A patch: settings not named keep their value.
            # null, like absent, means "leave as is".
            patch = change.settings.model_dump(mode="json", exclude_unset=True, exclude_none=True)
            merged = {**tenant.settings, **patch}
            tenant.settings = TenantSettings.model_validate(merged).model_dump(mode="json")
        tenant.updated_at = utcnow()
        self.audit.record(
            session,
            ctx,
            action="tenant.updated",
            target_type="tenant",
            target_id=tenant.id,
            details={"fields": fields},
        )
        return tenant


class AuthCache:
    """Verified keys, trusted for a few seconds so a read does not cost a key lookup."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, Ctx, datetime | None]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> Ctx | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        stamp, ctx, expires_at = entry
        if time.monotonic() - stamp > self.ttl or (
            expires_at is not None and expires_at <= utcnow()
        ):
            return None
        return ctx

    def put(self, digest: str, ctx: Ctx, expires_at: datetime | None) -> None:
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[digest] = (time.monotonic(), ctx, expires_at)

    def forget_key(self, key_id: str) -> None:
        with self._lock:
            for digest in [d for d, (_, c, _) in self._entries.items() if c.actor.id == key_id]:
                del self._entries[digest]


class ApiKeyService:
    def __init__(self, audit: AuditTrail, cache: AuthCache) -> None:
        self.audit = audit
        self.cache = cache

    def issue(
        self, session: Session, *, tenant_id: str, spec: ApiKeyCreate, actor: str,
        ctx: Ctx | None = None, rotated_from: str | None = None,
    ) -> IssuedKey:  # fmt: skip
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        key = ApiKeyRepository(session, tenant_id).add(
            ApiKey(
                id=new_id("key"),
                tenant_id=tenant_id,
                name=spec.name,
                secret_hash=hash_secret(secret),
                prefix=secret[: len(SECRET_PREFIX) + 4],
                scopes=sorted(s.value for s in spec.scopes),
                status="active",
                expires_at=spec.expires_at,
                rotated_from=rotated_from,
                created_by=actor,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
        self.audit.record(
            session,
            ctx,
            action="api_key.issued",
            target_type="api_key",
            target_id=key.id,
            details={"scopes": key.scopes},
            actor=actor,
            tenant_id=tenant_id,
        )
        return IssuedKey(key, secret)

    def get(self, session: Session, tenant_id: str, key_id: str) -> ApiKey:
        key = ApiKeyRepository(session, tenant_id).get(key_id)
        if key is None:
            raise NotFound(f"api key {key_id} not found")
        return key

    def list_page(self, session: Session, tenant_id: str, page: PageRequest) -> Page[ApiKey]:
        return ApiKeyRepository(session, tenant_id).list_page(page)

    def revoke(
        self, session: Session, *, tenant_id: str, key_id: str, actor: str, ctx: Ctx | None = None
    ) -> ApiKey:
        key = self.get(session, tenant_id, key_id)
        if key.status == "revoked":
            raise InvalidState(f"api key {key_id} is already revoked")
        key.status = "revoked"
        key.revoked_at = utcnow()
        key.updated_at = utcnow()
        self.audit.record(
            session,
            ctx,
            action="api_key.revoked",
            target_type="api_key",
            target_id=key.id,
            actor=actor,
            tenant_id=tenant_id,
        )
        self.cache.forget_key(key.id)
        return key

    def rotate(
        self, session: Session, *, tenant_id: str, key_id: str, actor: str, grace_seconds: int = 0,
        ctx: Ctx | None = None,
    ) -> IssuedKey:  # fmt: skip
        old = self.get(session, tenant_id, key_id)
        if key_status(old, utcnow()) != "active":
            raise InvalidState(f"api key {key_id} is not active")
        issued = self.issue(
            session,
            tenant_id=tenant_id,
            spec=ApiKeyCreate(
                name=old.name, scopes=[Scope(s) for s in old.scopes], expires_at=old.expires_at
            ),
            actor=actor,
            ctx=ctx,
            rotated_from=old.id,
        )
        if grace_seconds:
            old.expires_at = utcnow() + timedelta(seconds=grace_seconds)
            old.updated_at = utcnow()
            self.audit.record(
                session,
                ctx,
                action="api_key.expiring",
                target_type="api_key",
                target_id=old.id,
                details={"grace_seconds": grace_seconds},
                actor=actor,
                tenant_id=tenant_id,
            )
            self.cache.forget_key(old.id)
        else:
            self.revoke(session, tenant_id=tenant_id, key_id=old.id, actor=actor, ctx=ctx)
        return issued

    def authenticate(
        self, session: Session, secret: str, request_id: str | None
    ) -> tuple[Ctx, bool]:
        """The caller's context, and whether ``last_used_at`` is due for a refresh."""
        cached = self.from_cache(secret, request_id)
        if cached is not None:
            return cached, False
        digest = hash_secret(secret)
        found = find_key_by_hash(session, digest)
        now = utcnow()
        if found is None:
            raise Unauthorized("API key is not recognised")
        key, tenant = found
        if key_status(key, now) != "active":
            raise Unauthorized(f"API key is {key_status(key, now)}")
        if tenant.status != "active":
            raise Unauthorized("tenant is suspended")
        networks = tuple((tenant.settings or {}).get("ip_allowlist", ()))
        ctx = Ctx(
            key.tenant_id,
            Actor("api_key", key.id),
            request_id,
            effective_scopes(key.scopes),
            networks,
        )
        self.cache.put(digest, ctx, key.expires_at)
        stale = key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1)
        return ctx, stale

    def from_cache(self, secret: str, request_id: str | None) -> Ctx | None:
        """The caller's context if the key was verified recently; no I/O, so callers on
        the event loop can try it before going to the database in a thread."""
        if not secret.startswith(SECRET_PREFIX) or len(secret) > 100:
            raise Unauthorized("API key is malformed")
        cached = self.cache.get(hash_secret(secret))
        if cached is None:
            return None
        return Ctx(cached.tenant_id, cached.actor, request_id, cached.scopes, cached.networks)

    def touch(self, session: Session, key_id: str) -> None:
        touch_key(session, key_id, utcnow())
