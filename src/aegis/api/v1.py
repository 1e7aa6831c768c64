"""Every /v1 router, in one place. Each router carries the full `/v1/...` prefix itself,
so a matched route's path is the whole template (metrics and logs label by it)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope

from aegis.contacts.endpoints import router as contacts
from aegis.kyc.documents.endpoints import router as documents
from aegis.kyc.endpoints import router as applicants
from aegis.kyc.faces.endpoints import router as liveness
from aegis.kyc.review.endpoints import router as reviews
from aegis.partners.endpoints import router as partners
from aegis.partners.webhooks.endpoints import router as webhooks
from aegis.privacy.audit.endpoints import router as audit
from aegis.risk.admin_endpoints import router as risk_config
from aegis.risk.endpoints import router as risk
from aegis.screening.endpoints import router as screening

# Routes are matched in this order, one by one: the busiest (payments, then applicants)
# come first, so a payment is not compared with a hundred other templates.
ROUTERS: tuple[APIRouter, ...] = (
    risk,
    applicants,
    partners,
    contacts,
    documents,
    liveness,
    reviews,
    screening,
    risk_config,
    webhooks,
    audit,
)


def _resource(path: str) -> str:
    """``/v1/contacts/{contact_id}`` -> ``v1/contacts``: the first two segments."""
    parts = path.split("/", 3)
    return "/".join(parts[1:3])


class GatedRouter(APIRouter):
    """A router's routes, behind a check of the path's first two segments.

    FastAPI compares a request with every route of every router before the one that
    matches, a few microseconds each (about 90 µs for a contact read behind the payment,
    applicant and tenant routes); a router that serves none of the path's resources is
    passed over with one set lookup instead.
    """

    def __init__(self, router: APIRouter) -> None:
        super().__init__(routes=list(router.routes))
        paths = [str(getattr(route, "path", "")) for route in router.routes]
        self.resources = frozenset(_resource(path) for path in paths)
        # A template in the first two segments (``/v1/{x}``) could match anything.
        self.open = any("{" in resource for resource in self.resources)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if self.open or _resource(get_route_path(scope)) in self.resources:
            return super().matches(scope)
        return Match.NONE, {}


def gated_routers() -> list[GatedRouter]:
    return [GatedRouter(router) for router in ROUTERS]
