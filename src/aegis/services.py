"""Service singletons of a process, built from the platform."""

from __future__ import annotations

from dataclasses import dataclass

from aegis.contacts.service import ContactService
from aegis.partners.service import ApiKeyService, AuthCache, TenantService
from aegis.partners.webhooks.service import WebhookService
from aegis.platform import Platform


@dataclass(frozen=True)
class Services:
    tenants: TenantService
    api_keys: ApiKeyService
    contacts: ContactService
    webhooks: WebhookService

    @classmethod
    def build(cls, platform: Platform) -> Services:
        return cls(
            tenants=TenantService(platform.audit),
            api_keys=ApiKeyService(platform.audit, AuthCache(platform.settings.auth_cache_seconds)),
            contacts=ContactService(platform),
            webhooks=WebhookService(platform),
        )
