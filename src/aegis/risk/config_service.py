"""Tenants' risk configuration: rule set versions (draft, publish), allow/block list
entries, account restrictions. Every change is audited; a publish or a list change is in
force for the next decision in this process and within the refresh period in the others."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from aegis.auth.context import Ctx
from aegis.errors import FieldError, InvalidState, NotFound, ValidationFailed
from aegis.ids import new_id
from aegis.kit.pagination import Page, PageRequest
from aegis.kit.time import utcnow
from aegis.partners.webhooks.service import emit
from aegis.privacy.blind_index import IndexKind
from aegis.privacy.masking import mask_id_number
from aegis.privacy.registry import row_aad
from aegis.risk.features import FEATURE_NAMES
from aegis.risk.lists import ListKind, normalize_value
from aegis.risk.models import AccountRestriction, RiskListEntry, RiskRuleSet
from aegis.risk.repository import ListEntryRepository, RestrictionRepository, RuleSetRepository
from aegis.risk.rules import RuleSet, compile_rule_set, default_rule_set
from aegis.risk.runtime import DEFAULT_RULE_SET
from aegis.risk.schemas import ListEntryIn, RestrictionIn
from aegis.storage.db import after_commit

if TYPE_CHECKING:
    from aegis.platform import Platform


def _pointer_errors(exc: ValidationError) -> list[FieldError]:
    return [
        FieldError("#/" + "/".join(str(p) for p in e["loc"]), e["msg"], e["type"])
        for e in exc.errors(include_input=False)
    ]


class RiskConfigService:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.vault = platform.vault
        self.indexer = platform.indexer
        self.audit = platform.audit

    def _changed(self, session: Session, tenant_id: str) -> None:
        after_commit(session, lambda: self.platform.risk.invalidate(tenant_id))

    # --- rule sets ------------------------------------------------------------------
    def rule_set_view(
        self, row: RiskRuleSet | None, *, name: str = DEFAULT_RULE_SET
    ) -> dict[str, Any]:
        if row is None:  # the built-in pack, in force until the tenant publishes its own
            builtin = default_rule_set()
            return {
                **builtin.model_dump(mode="json"),
                "name": name,
                "builtin": True,
                "created_by": "aegis",
                "published_by": None,
                "published_at": None,
            }
        return {
            **row.body,
            "name": row.name,
            "version": row.version,
            "status": row.status,
            "builtin": False,
            "created_by": row.created_by,
            "published_by": row.published_by,
            "published_at": row.published_at,
        }

    def rule_sets(self, session: Session, ctx: Ctx) -> list[dict[str, Any]]:
        repo = RuleSetRepository(session, ctx.tenant_id)
        names = sorted({DEFAULT_RULE_SET, *repo.names()})
        out = []
        for name in names:
            versions = repo.versions(name)
            published = next((v for v in versions if v.status == "published"), None)
            out.append(
                {
                    "name": name,
                    "published_version": published.version
                    if published
                    else (1 if name == DEFAULT_RULE_SET else None),
                    "versions": [v.version for v in versions] or [1],
                }
            )
        return out

    def versions(self, session: Session, ctx: Ctx, name: str) -> list[dict[str, Any]]:
        rows = RuleSetRepository(session, ctx.tenant_id).versions(name)
        if not rows and name != DEFAULT_RULE_SET:
            raise NotFound(f"rule set {name} not found")
        views = [self.rule_set_view(r) for r in rows]
        if name == DEFAULT_RULE_SET and not any(r.version == 1 for r in rows):
            builtin = self.rule_set_view(None, name=name)
            if any(r.status == "published" for r in rows):
                builtin["status"] = "retired"  # the tenant's own version replaced it
            views.insert(0, builtin)
        return views

    def version(self, session: Session, ctx: Ctx, name: str, version: int) -> dict[str, Any]:
        row = RuleSetRepository(session, ctx.tenant_id).by_version(name, version)
        if row is None:
            if name == DEFAULT_RULE_SET and version == 1:
                return self.rule_set_view(None)
            raise NotFound(f"rule set {name} version {version} not found")
        return self.rule_set_view(row)

    def draft(self, session: Session, ctx: Ctx, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """A new draft version (the next number), validated and compiled before it is kept."""
        repo = RuleSetRepository(session, ctx.tenant_id)
        existing = repo.versions(name)
        version = (
            max((r.version for r in existing), default=1 if name == DEFAULT_RULE_SET else 0) + 1
        )
        try:
            rule_set = RuleSet.model_validate(
                {**body, "name": name, "version": version, "status": "draft"}
            )
        except ValidationError as exc:
            raise ValidationFailed(errors=_pointer_errors(exc)) from None
        compile_rule_set(rule_set, known_features=FEATURE_NAMES)  # RuleSetInvalid: 422
        row = RiskRuleSet(
            id=new_id("rls"),
            tenant_id=ctx.tenant_id,
            name=name,
            version=version,
            status="draft",
            body=rule_set.model_dump(mode="json", exclude={"name", "version", "status"}),
            created_by=ctx.actor_ref,
        )
        row.created_at = row.updated_at = utcnow()
        repo.add(row)
        self.audit.record(
            session, ctx, action="risk.rule_set_drafted", target_type="rule_set",
            target_id=row.id, details={"name": name, "version": version},
        )  # fmt: skip
        return self.rule_set_view(row)

    def publish(self, session: Session, ctx: Ctx, name: str, version: int) -> dict[str, Any]:
        repo = RuleSetRepository(session, ctx.tenant_id)
        row = repo.by_version(name, version)
        if row is None:
            raise NotFound(f"rule set {name} version {version} not found")
        if row.status != "draft":
            raise InvalidState(f"version {version} is {row.status}; only a draft can be published")
        previous = repo.published(name)
        if previous is not None:
            previous.status = "retired"
        row.status, row.published_by, row.published_at = "published", ctx.actor_ref, utcnow()
        self.audit.record(
            session, ctx, action="risk.rule_set_published", target_type="rule_set",
            target_id=row.id,
            details={"name": name, "version": version,
                     "previous": previous.version if previous else None},
        )  # fmt: skip
        emit(session, ctx.tenant_id, "risk.rule_set_published", {"name": name, "version": version})
        self._changed(session, ctx.tenant_id)
        return self.rule_set_view(row)

    # --- allow and block lists --------------------------------------------------------
    def entry_view(self, row: RiskListEntry) -> dict[str, Any]:
        value = self.vault.decrypt(row.value_enc, row_aad(row, "value_enc"))
        shown = value if row.kind in ("country", "ip") else mask_id_number(value)
        return {
            "id": row.id, "list": row.list_type, "kind": row.kind, "value": shown,
            "reason": row.reason, "expires_at": row.expires_at, "created_by": row.created_by,
            "created_at": row.created_at,
        }  # fmt: skip

    def add_entry(self, session: Session, ctx: Ctx, body: ListEntryIn) -> RiskListEntry:
        try:
            value = normalize_value(ListKind(body.kind), body.value)
        except ValueError as exc:
            raise ValidationFailed(
                errors=[FieldError("#/value", str(exc), "invalid_value")]
            ) from None
        row = RiskListEntry(
            id=new_id("rle"),
            tenant_id=ctx.tenant_id,
            list_type=body.list.value,
            kind=body.kind.value,
            value_bidx=self.indexer.compute(
                ctx.tenant_id, IndexKind.RISK_VALUE, f"{body.kind}:{value}"
            ),
            reason=body.reason,
            expires_at=body.expires_at,
            created_by=ctx.actor_ref,
        )
        row.created_at = row.updated_at = utcnow()
        row.value_enc = self.vault.encrypt(value, row_aad(row, "value_enc"))
        ListEntryRepository(session, ctx.tenant_id).add(row)
        self.audit.record(
            session, ctx, action="risk.list_entry_added", target_type="list_entry",
            target_id=row.id, details={"list": row.list_type, "kind": row.kind},
        )  # fmt: skip
        self._changed(session, ctx.tenant_id)
        return row

    def entries(
        self,
        session: Session,
        ctx: Ctx,
        page: PageRequest,
        *,
        list_name: str | None,
        kind: str | None,
    ) -> Page[RiskListEntry]:
        return ListEntryRepository(session, ctx.tenant_id).page(
            page, list_name=list_name, kind=kind
        )

    def delete_entry(self, session: Session, ctx: Ctx, entry_id: str) -> None:
        repo = ListEntryRepository(session, ctx.tenant_id)
        row = repo.get(entry_id)
        if row is None:
            raise NotFound(f"list entry {entry_id} not found")
        session.delete(row)
        self.audit.record(
            session, ctx, action="risk.list_entry_removed", target_type="list_entry",
            target_id=entry_id, details={"list": row.list_type, "kind": row.kind},
        )  # fmt: skip
        self._changed(session, ctx.tenant_id)

    # --- account restrictions -----------------------------------------------------------
    def restrict(self, session: Session, ctx: Ctx, body: RestrictionIn) -> AccountRestriction:
        """Freeze, limit or release a customer's account. (Four eyes on these actions come
        with investigations and cases; this is the decision engine's side of it.)"""
        ref = self.indexer.compute(ctx.tenant_id, IndexKind.CUSTOMER, body.customer_id)
        repo = RestrictionRepository(session, ctx.tenant_id)
        row = repo.by_ref(ref)
        now = utcnow()
        if row is None:
            row = AccountRestriction(id=new_id("rst"), tenant_id=ctx.tenant_id, customer_ref=ref)
            row.created_at = now
            repo.add(row)
        row.frozen, row.limit_amount = body.frozen, body.limit_amount
        row.reason, row.updated_by, row.updated_at = body.reason, ctx.actor_ref, now
        self.audit.record(
            session,
            ctx,
            action="risk.account_restricted",
            target_type="account_restriction",
            target_id=row.id,
            details={"frozen": body.frozen, "limited": body.limit_amount is not None},
        )
        emit(
            session, ctx.tenant_id, "risk.account_restricted",
            {"restriction_id": row.id, "frozen": row.frozen, "limit_amount": row.limit_amount},
        )  # fmt: skip
        return row
