"""/v1/screenings and /v1/screening: screen a name, review hits, see the lists."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from aegis.api.deps import PageDep, ReadCtx, ServicesDep, SessionDep, require
from aegis.auth.context import Ctx, Scope
from aegis.errors import Forbidden, InvalidState, NotFound, responses
from aegis.kit.pagination import PageOut, page_out
from aegis.screening import matching
from aegis.screening.entities import EntityType
from aegis.screening.schemas import (
    HitDecision,
    HitEvidence,
    HitOut,
    ListOut,
    MatchOut,
    ScreeningOut,
    ScreeningRequest,
)

router = APIRouter(tags=["screening"])
WriterCtx = Annotated[Ctx, Depends(require(Scope.KYC_WRITE))]
ReviewerCtx = Annotated[Ctx, Depends(require(Scope.KYC_REVIEW))]


@router.post("/v1/screenings", response_model=ScreeningOut, responses=responses(Forbidden))
def screen(
    spec: ScreeningRequest, ctx: WriterCtx, session: SessionDep, services: ServicesDep
) -> ScreeningOut:
    """Screen a person or organisation against the tenant's sanctions and PEP lists now.

    Each hit carries its score and the named features that produced it (see
    docs/screening.md). Nothing about the person is stored; the audit trail records
    that a screening happened and how many hits it had.
    """
    query = matching.Query(
        names=(spec.name, *spec.aliases),
        type=EntityType(spec.type) if spec.type else None,
        birth_date=spec.birth_date,
        countries=tuple(spec.countries),
        id_numbers=tuple(spec.id_numbers),
    )
    found, lists, threshold = services.screening.adhoc(
        session, ctx, query=query, lists=spec.lists, threshold=spec.threshold
    )
    return ScreeningOut(
        hits=[MatchOut.model_validate(f.as_dict()) for f in found],
        lists=lists,
        threshold=threshold,
    )


@router.get("/v1/screening/lists", response_model=list[ListOut], responses=responses(Forbidden))
def screening_lists(ctx: ReadCtx, session: SessionDep, services: ServicesDep) -> list[ListOut]:
    """The loaded lists with their active snapshot, and whether this tenant uses each."""
    return [
        ListOut.model_validate(item)
        for item in services.screening.lists_overview(session, ctx.tenant_id)
    ]


@router.get("/v1/screening/hits", response_model=PageOut[HitOut], responses=responses(Forbidden))
def list_hits(
    ctx: ReadCtx,
    session: SessionDep,
    services: ServicesDep,
    page: PageDep,
    status: Annotated[
        Literal["open", "confirmed", "false_positive", "closed"] | None, Query()
    ] = None,
    subject_id: Annotated[str | None, Query(max_length=40)] = None,
) -> PageOut[HitOut]:
    """Hits, newest first; `status=open` is the reviewers' work list."""
    result = services.hits.page(session, ctx, page, status=status, subject_id=subject_id)
    return page_out(result, lambda h: HitOut.model_validate(services.hits.summary(session, h)))


@router.get(
    "/v1/screening/hits/{hit_id}",
    response_model=HitEvidence,
    responses=responses(Forbidden, NotFound),
)
def get_hit(hit_id: str, ctx: ReadCtx, session: SessionDep, services: ServicesDep) -> HitEvidence:
    """The hit with the evidence side by side: the customer's data, the list entity's
    record (the version that matched), and the features that made the score."""
    return HitEvidence.model_validate(services.hits.evidence(session, ctx, hit_id))


@router.post(
    "/v1/screening/hits/{hit_id}/decision",
    response_model=HitOut,
    responses=responses(Forbidden, NotFound, InvalidState),
)
def decide_hit(
    hit_id: str,
    body: HitDecision,
    ctx: ReviewerCtx,
    session: SessionDep,
    services: ServicesDep,
) -> HitOut:
    """A true positive blocks the customer (`rejected`, `SANCTIONS_MATCH`) and sends the
    webhook `screening.hit`; a false positive is remembered until the entity changes."""
    hit = services.hits.decide(session, ctx, hit_id, decision=body.decision, reason=body.reason)
    return HitOut.model_validate(services.hits.summary(session, hit))
