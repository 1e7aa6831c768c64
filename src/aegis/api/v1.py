"""Every /v1 router, in one place. Each router carries the full `/v1/...` prefix itself,
so a matched route's path is the whole template (metrics and logs label by it)."""

from fastapi import APIRouter

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
