"""/v1/rule-sets, /v1/risk-lists, /v1/account-restrictions, /v1/models: the risk engine's
configuration. Drafting and list changes need `risk:write`; publishing and model
promotion need `admin`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from aegis.api.deps import AdminCtx, PageDep, ReadCtx, ServicesDep, SessionDep, require
from aegis.auth.context import Ctx, Scope
from aegis.errors import Forbidden, InvalidState, NotFound, responses
from aegis.kit.pagination import PageOut, page_out
from aegis.risk.lists import ListKind, ListType
from aegis.risk.rules import Rule, Threshold
from aegis.risk.schemas import ListEntryIn, ListEntryOut, RestrictionIn, RestrictionOut

router = APIRouter(tags=["risk configuration"])
RiskCtx = Annotated[Ctx, Depends(require(Scope.RISK_WRITE))]
RuleSetName = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_-]{0,63}$")]


class RuleSetDraft(BaseModel):
    """A new version of a rule set: its rules and thresholds (CEL expressions are compiled
    and type-checked now; an error names the rule and its position)."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field("", max_length=4000)
    rules: list[Rule] = Field(max_length=200)
    thresholds: list[Threshold] | None = Field(
        None, description='Score to outcome, e.g. `[[0, "approve"], [40, "review"]]`.'
    )


class RuleSetOut(BaseModel):
    name: str
    version: int
    status: str = Field(description="`draft`, `published` or `retired`.")
    builtin: bool = Field(description="Aegis's default pack (never stored).")
    description: str
    rules: list[dict[str, Any]]
    thresholds: list[dict[str, Any]]
    created_by: str
    published_by: str | None
    published_at: datetime | None


class RuleSetSummary(BaseModel):
    name: str
    published_version: int | None
    versions: list[int]


@router.get("/v1/rule-sets", response_model=list[RuleSetSummary], responses=responses(Forbidden))
def list_rule_sets(
    ctx: ReadCtx, session: SessionDep, services: ServicesDep
) -> list[RuleSetSummary]:
    return [RuleSetSummary.model_validate(x) for x in services.risk_config.rule_sets(session, ctx)]


@router.get(
    "/v1/rule-sets/{name}",
    response_model=list[RuleSetOut],
    responses=responses(Forbidden, NotFound),
)
def rule_set_versions(
    name: RuleSetName, ctx: ReadCtx, session: SessionDep, services: ServicesDep
) -> list[RuleSetOut]:
    """Every version of a rule set, oldest first."""
    views = services.risk_config.versions(session, ctx, name)
    return [RuleSetOut.model_validate(v) for v in views]


@router.get(
    "/v1/rule-sets/{name}/versions/{version}",
    response_model=RuleSetOut,
    responses=responses(Forbidden, NotFound),
)
def rule_set_version(
    name: RuleSetName,
    version: Annotated[int, Path(ge=1, le=1_000_000)],
    ctx: ReadCtx,
    session: SessionDep,
    services: ServicesDep,
) -> RuleSetOut:
    return RuleSetOut.model_validate(services.risk_config.version(session, ctx, name, version))


@router.post(
    "/v1/rule-sets/{name}/drafts",
    response_model=RuleSetOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(Forbidden, NotFound),
)
def draft_rule_set(
    name: RuleSetName,
    body: RuleSetDraft,
    ctx: RiskCtx,
    session: SessionDep,
    services: ServicesDep,
) -> RuleSetOut:
    """Save a new draft version (the next number). Nothing changes for decisions until it
    is published."""
    data = body.model_dump(mode="json", exclude_none=True)
    return RuleSetOut.model_validate(services.risk_config.draft(session, ctx, name, data))


@router.post(
    "/v1/rule-sets/{name}/versions/{version}/publish",
    response_model=RuleSetOut,
    responses=responses(Forbidden, NotFound, InvalidState),
)
def publish_rule_set(
    name: RuleSetName,
    version: Annotated[int, Path(ge=1, le=1_000_000)],
    ctx: AdminCtx,
    session: SessionDep,
    services: ServicesDep,
) -> RuleSetOut:
    """Make a draft the version that decides (the previous one is retired). In force for the
    next decision, without a restart."""
    return RuleSetOut.model_validate(services.risk_config.publish(session, ctx, name, version))


@router.post(
    "/v1/risk-lists",
    response_model=ListEntryOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(Forbidden),
)
def add_list_entry(
    body: ListEntryIn, ctx: RiskCtx, session: SessionDep, services: ServicesDep
) -> ListEntryOut:
    """Allow or block an account, card, device, IP (or CIDR block), country or customer,
    until `expires_at` if given. The value is stored encrypted."""
    row = services.risk_config.add_entry(session, ctx, body)
    return ListEntryOut.model_validate(services.risk_config.entry_view(row))


@router.get("/v1/risk-lists", response_model=PageOut[ListEntryOut], responses=responses(Forbidden))
def list_entries(
    ctx: ReadCtx,
    session: SessionDep,
    services: ServicesDep,
    page: PageDep,
    list_: Annotated[ListType | None, Query(alias="list")] = None,
    kind: Annotated[ListKind | None, Query()] = None,
) -> PageOut[ListEntryOut]:
    """Entries newest first; values are masked except countries and IPs."""
    result = services.risk_config.entries(
        session, ctx, page, list_name=list_.value if list_ else None,
        kind=kind.value if kind else None,
    )  # fmt: skip
    return page_out(
        result, lambda r: ListEntryOut.model_validate(services.risk_config.entry_view(r))
    )


@router.delete(
    "/v1/risk-lists/{entry_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=responses(Forbidden, NotFound),
)
def delete_list_entry(
    entry_id: str, ctx: RiskCtx, session: SessionDep, services: ServicesDep
) -> None:
    services.risk_config.delete_entry(session, ctx, entry_id)


@router.post(
    "/v1/account-restrictions",
    response_model=RestrictionOut,
    responses=responses(Forbidden),
)
def restrict_account(
    body: RestrictionIn, ctx: AdminCtx, session: SessionDep, services: ServicesDep
) -> RestrictionOut:
    """Freeze (every payment declined), limit (payments above `limit_amount` declined) or
    release (`frozen: false`, no limit) a customer's account."""
    return RestrictionOut.model_validate(services.risk_config.restrict(session, ctx, body))


class ModelOut(BaseModel):
    id: str
    version: int
    status: str = Field(description="`candidate`, `champion`, `challenger` or `retired`.")
    info: dict[str, Any]
    created_at: datetime
    promoted_at: datetime | None


class ModelPromotion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["champion", "challenger", "retired"]


@router.get("/v1/models", response_model=list[ModelOut], responses=responses(Forbidden))
def list_models(ctx: ReadCtx, session: SessionDep, services: ServicesDep) -> list[ModelOut]:
    """The tenant's model registry, newest version first."""
    return [
        ModelOut.model_validate(m, from_attributes=True)
        for m in services.risk_models.all(session, ctx)
    ]


@router.post(
    "/v1/models/{model_id}/promote",
    response_model=ModelOut,
    responses=responses(Forbidden, NotFound),
)
def promote_model(
    model_id: str, body: ModelPromotion, ctx: AdminCtx, session: SessionDep, services: ServicesDep
) -> ModelOut:
    """Make a model the champion (its score reaches the rules), the shadow challenger
    (scored beside the champion, never deciding), or retire it."""
    row = services.risk_models.promote(session, ctx, model_id, body.role)
    return ModelOut.model_validate(row, from_attributes=True)
