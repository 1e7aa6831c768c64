"""Screening people against the lists a tenant chose: ad hoc, at onboarding, and again
whenever a list changes (``rescreen``).

A possible match becomes a hit for a reviewer, unless a reviewer already dismissed the
same entity, unchanged, for the same person: that memory is what keeps a common name
from coming back with every list update. Confirmed hits block the customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import orjson
from sqlalchemy.orm import Session

from aegis.auth.context import Ctx
from aegis.checks.result import CheckResult
from aegis.errors import FieldError, ValidationFailed
from aegis.ids import new_id
from aegis.kit.time import utcnow
from aegis.partners.models import Tenant
from aegis.partners.webhooks.service import emit
from aegis.privacy.registry import row_aad
from aegis.screening.entities import EntityType, ListEntity
from aegis.screening.index_cache import ActiveIndex, Ref
from aegis.screening.matching import DEFAULT_THRESHOLD, MatchResult, Query
from aegis.screening.models import ScreeningHit
from aegis.screening.repository import HitRepository, ListRepository

if TYPE_CHECKING:
    from aegis.platform import Platform

ACTOR = "system:screening"
SEARCH_LIMIT = 50  # matches taken from the index before the tenant's lists are applied


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    lists: set[str] | None  # list names; None: every loaded list
    threshold: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Found:
    """One match of a query with a list entity."""

    list_id: str
    list_name: str
    list_version: int
    entity: ListEntity
    entity_hash: str
    match: MatchResult

    @property
    def ref(self) -> Ref:
        return (self.list_id, self.entity.key)

    def as_dict(self) -> dict[str, Any]:
        """The hit as the API and the CLI print it."""
        explained = self.match.explain()
        return {
            "entity_id": self.entity.key,
            "list": self.list_name,
            "name": self.entity.name,
            "matched_name": self.match.matched_name,
            "score": round(self.match.score, 4),
            "type": self.entity.type.value,
            "programs": list(self.entity.programs),
            "features": explained["features"],
        }


def applicant_query(profile: dict[str, Any]) -> Query:
    """What an applicant is screened on: both spellings of the name, birth date,
    nationality and ID number (the last two as supporting or contradicting evidence)."""
    names = [f"{profile['first_name']} {profile['last_name']}"]
    if profile.get("native_name"):
        names.append(profile["native_name"])
    countries = tuple(c for c in (profile.get("nationality"),) if c)
    return Query(
        names=tuple(names),
        type=EntityType.PERSON,
        birth_date=profile.get("date_of_birth"),
        countries=countries,
        id_numbers=tuple(n for n in (profile.get("id_number"),) if n),
    )


def search(
    active: ActiveIndex, query: Query, policy: Policy, *, limit: int = SEARCH_LIMIT
) -> list[Found]:
    """The query's matches in the policy's lists, best first."""
    allowed = active.list_ids(policy.lists)
    out: list[Found] = []
    for handle, entity, match in active.index.search(
        query, threshold=policy.threshold, limit=limit
    ):
        ref = cast(Ref, handle)  # the index holds what IndexCache added: (list id, key)
        list_id = ref[0]
        if list_id not in allowed:
            continue
        out.append(
            Found(
                list_id=list_id,
                list_name=active.list_names[list_id],
                list_version=active.versions[list_id],
                entity=entity,
                entity_hash=active.hashes[ref],
                match=match,
            )
        )
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    opened: list[ScreeningHit]
    open: list[ScreeningHit]  # opened now or earlier, still waiting for a reviewer
    confirmed: list[ScreeningHit]
    suppressed: int  # matches a reviewer had dismissed (entity unchanged)


class ScreeningService:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.vault = platform.vault
        self.audit = platform.audit

    def active(self, session: Session) -> ActiveIndex:
        return self.platform.screening_index.current(session)

    @staticmethod
    def policy(session: Session, tenant_id: str) -> Policy:
        tenant = session.get(Tenant, tenant_id)
        settings = (tenant.settings if tenant else None) or {}
        names = settings.get("screening_lists") or ["*"]
        threshold = settings.get("screening_threshold") or DEFAULT_THRESHOLD
        return Policy(lists=None if "*" in names else set(names), threshold=float(threshold))

    # --- hits -----------------------------------------------------------------------
    def explanation(self, hit: ScreeningHit) -> dict[str, Any]:
        data: dict[str, Any] = orjson.loads(
            self.vault.decrypt(hit.explanation_enc, row_aad(hit, "explanation_enc"))
        )
        return data

    def reason(self, hit: ScreeningHit) -> str | None:
        return self.vault.decrypt_optional(hit.reason_enc, row_aad(hit, "reason_enc"))

    def record(
        self,
        session: Session,
        *,
        tenant_id: str,
        subject_id: str,
        found: list[Found],
        origin: str,
        existing: list[ScreeningHit] | None = None,
    ) -> Outcome:
        """Turn matches into hits, remembering reviewers' decisions; nothing is raised
        twice for the same subject, entity and entity version."""
        hits = (
            existing
            if existing is not None
            else HitRepository(session, tenant_id).for_subject(subject_id)
        )
        latest: dict[Ref, ScreeningHit] = {}
        for hit in hits:  # ids are time-ordered: the last one per entity wins
            latest[(hit.list_id, hit.entity_key)] = hit
        opened: list[ScreeningHit] = []
        suppressed = 0
        repo = HitRepository(session, tenant_id)
        for item in found:
            prior = latest.get(item.ref)
            if prior is not None and prior.entity_hash == item.entity_hash:
                if prior.status == "false_positive":
                    suppressed += 1
                if prior.status != "closed":
                    continue  # open, confirmed or dismissed: already known as it is
            hit = ScreeningHit(
                id=new_id("hit"),
                tenant_id=tenant_id,
                subject_type="applicant",
                subject_id=subject_id,
                list_id=item.list_id,
                entity_key=item.entity.key,
                entity_hash=item.entity_hash,
                list_version=item.list_version,
                score=round(item.match.score, 4),
                status="open",
                origin=origin,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
            hit.explanation_enc = self.vault.encrypt(
                orjson.dumps(item.as_dict()).decode(), row_aad(hit, "explanation_enc")
            )
            repo.add(hit)
            opened.append(hit)
            latest[item.ref] = hit
            self.audit.record(
                session,
                None,
                action="screening.hit_opened",
                target_type="screening_hit",
                target_id=hit.id,
                actor=ACTOR,
                tenant_id=tenant_id,
                details={"subject_id": subject_id, "list_id": item.list_id, "origin": origin},
            )
            emit(
                session,
                tenant_id,
                "screening.hit_opened",
                {
                    "hit_id": hit.id,
                    "subject_type": "applicant",
                    "subject_id": subject_id,
                    "list": item.list_name,
                    "entity_id": item.entity.key,
                    "score": hit.score,
                    "origin": origin,
                },
            )
        current = list(latest.values())
        return Outcome(
            opened=opened,
            open=[h for h in current if h.status == "open"],
            confirmed=[h for h in current if h.status == "confirmed"],
            suppressed=suppressed,
        )

    # --- onboarding -----------------------------------------------------------------
    def check_applicant(
        self, session: Session, *, tenant_id: str, applicant_id: str, profile: dict[str, Any]
    ) -> CheckResult:
        """The ``sanctions`` check of a KYC level: pass, review (possible matches waiting
        for a reviewer) or fail (a confirmed match)."""
        active = self.active(session)
        policy = self.policy(session, tenant_id)
        found = search(active, applicant_query(profile), policy)
        outcome = self.record(
            session,
            tenant_id=tenant_id,
            subject_id=applicant_id,
            found=found,
            origin="onboarding",
        )
        lists = sorted(active.list_names[i] for i in active.list_ids(policy.lists))
        details: dict[str, Any] = {"lists": lists, "suppressed": outcome.suppressed}
        if outcome.confirmed:
            return CheckResult.failed(
                "sanctions", "SANCTIONS_MATCH", hits=[h.id for h in outcome.confirmed], **details
            )
        if outcome.open:
            return CheckResult.review(
                "sanctions",
                "SANCTIONS_POSSIBLE_MATCH",
                hits=[h.id for h in outcome.open],
                best_score=max(h.score for h in outcome.open),
                **details,
            )
        if not lists:
            # Nothing to screen against is not a pass: a person must look.
            return CheckResult.review("sanctions", "SANCTIONS_SCREENING_REQUIRED", **details)
        return CheckResult.passed("sanctions", **details)

    # --- ad hoc -----------------------------------------------------------------------
    def adhoc(
        self,
        session: Session,
        ctx: Ctx,
        *,
        query: Query,
        lists: list[str] | None,
        threshold: float | None,
    ) -> tuple[list[Found], list[str], float]:
        """Screen a name now; nothing about the person is stored (the audit trail records
        that a screening happened and how many hits it had)."""
        active = self.active(session)
        policy = self.policy(session, ctx.tenant_id)
        allowed = {active.list_names[i] for i in active.list_ids(policy.lists)}
        if lists is not None:
            unknown = [name for name in lists if name not in allowed]
            if unknown:
                raise ValidationFailed(
                    "Some lists are not loaded or not used by this tenant.",
                    errors=[
                        FieldError(
                            f"#/lists/{lists.index(n)}",
                            "not one of the tenant's lists",
                            "unknown_list",
                        )
                        for n in unknown
                    ],
                )
            allowed = set(lists)
        policy = Policy(lists=allowed, threshold=threshold or policy.threshold)
        found = search(active, query, policy)
        self.audit.record(
            session,
            ctx,
            action="screening.performed",
            target_type="screening",
            target_id="adhoc",
            details={"lists": sorted(allowed), "hits": len(found)},
        )
        return found, sorted(allowed), policy.threshold

    def lists_overview(self, session: Session, tenant_id: str) -> list[dict[str, Any]]:
        policy = self.policy(session, tenant_id)
        repo = ListRepository(session)
        out = []
        for row in repo.all():
            snapshot = repo.snapshot(row.id, row.version) if row.version else None
            out.append(
                {
                    "id": row.id,
                    "name": row.name,
                    "format": row.format,
                    "source": row.source,
                    "version": row.version,
                    "entities": snapshot.entities if snapshot else 0,
                    "published": snapshot.published if snapshot else None,
                    "loaded_at": snapshot.loaded_at if snapshot else None,
                    "used_by_tenant": policy.lists is None or row.name in policy.lists,
                }
            )
        return out
