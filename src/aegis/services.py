"""Service singletons of a process, built from the platform."""

from __future__ import annotations

from dataclasses import dataclass

from aegis.contacts.service import ContactService
from aegis.kyc.documents.service import DocumentService
from aegis.kyc.faces.liveness import LivenessService
from aegis.kyc.phone import PhoneVerificationService
from aegis.kyc.review.service import ReviewService
from aegis.kyc.service import ApplicantService
from aegis.partners.service import ApiKeyService, AuthCache, TenantService
from aegis.partners.webhooks.service import WebhookService
from aegis.platform import Platform
from aegis.risk.config_service import RiskConfigService
from aegis.risk.decisions import DecisionService
from aegis.risk.model_registry import RiskModelService
from aegis.risk.stepup import StepUpService
from aegis.risk.views import RiskViews
from aegis.screening.hits import HitService
from aegis.screening.service import ScreeningService


@dataclass(frozen=True)
class Services:
    tenants: TenantService
    api_keys: ApiKeyService
    contacts: ContactService
    webhooks: WebhookService
    applicants: ApplicantService
    reviews: ReviewService
    documents: DocumentService
    liveness: LivenessService
    phone: PhoneVerificationService
    screening: ScreeningService
    hits: HitService
    decisions: DecisionService
    risk_views: RiskViews
    risk_config: RiskConfigService
    risk_models: RiskModelService
    step_up: StepUpService

    @classmethod
    def build(cls, platform: Platform) -> Services:
        applicants = ApplicantService(platform)
        screening = ScreeningService(platform)
        decisions = DecisionService(platform)
        return cls(
            screening=screening,
            decisions=decisions,
            risk_views=RiskViews(platform, decisions),
            risk_config=RiskConfigService(platform),
            risk_models=RiskModelService(platform),
            step_up=StepUpService(decisions, applicants),
            hits=HitService(screening, applicants),
            applicants=applicants,
            reviews=ReviewService(applicants),
            documents=DocumentService(applicants),
            liveness=LivenessService(applicants),
            phone=PhoneVerificationService(applicants),
            tenants=TenantService(platform.audit),
            api_keys=ApiKeyService(platform.audit, AuthCache(platform.settings.auth_cache_seconds)),
            contacts=ContactService(platform),
            webhooks=WebhookService(platform),
        )
