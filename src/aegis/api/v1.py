"""Every /v1 router, in one place."""

from fastapi import APIRouter

from aegis.contacts.endpoints import router as contacts
from aegis.partners.endpoints import router as partners
from aegis.partners.webhooks.endpoints import router as webhooks
from aegis.privacy.audit.endpoints import router as audit

router = APIRouter()
for sub in (partners, contacts, webhooks, audit):
    router.include_router(sub)
