"""KYC end-to-end helpers: a webhook receiver that verifies every signature, sandbox
adapters that never really sleep, and a client that walks an applicant through the API."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from aegis.kyc.adapters import KycAdapters
from aegis.platform import Platform
from aegis.webhooks import verify_signature
from tests.support.tenants import TenantHandle

ZHANG_SAN = {  # sandbox registry: a match for this name
    "first_name": "San", "last_name": "Zhang", "native_name": "张三",
    "date_of_birth": "1990-01-01", "nationality": "CN", "phone": "+8613800138001",
    "email": "zhang.san@example.com", "id_type": "national_id",
    "id_number": "110105199001010010", "id_country": "CN",
}  # fmt: skip


@dataclass
class Receiver:
    secret: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        verify_signature(request.content, request.headers["Aegis-Signature"], self.secret)
        self.events.append(json.loads(request.content))
        return httpx.Response(200)

    def statuses(self, applicant_id: str) -> list[str]:
        return [
            e["data"]["to"]
            for e in self.events
            if e["type"] == "applicant.status_changed" and e["data"]["applicant_id"] == applicant_id
        ]


@pytest.fixture
def receiver(client: TestClient, platform: Platform, tenant: TenantHandle) -> Receiver:
    rec = Receiver()
    platform.webhook_transport = httpx.MockTransport(rec.handler)
    platform.kyc = KycAdapters.sandboxes(latency=0, sleep=lambda _: None)
    r = client.post(
        "/v1/webhook-endpoints",
        headers=tenant.headers,
        json={"url": "https://partner.example/hooks", "event_types": ["applicant.*"]},
    )
    rec.secret = r.json()["secret"]
    return rec


def image_bytes(size: tuple[int, int] = (800, 600), colour: str = "navy") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "JPEG")
    return buf.getvalue()


@dataclass
class Flow:
    client: TestClient
    platform: Platform
    tenant: TenantHandle

    def create(self, level: str = "basic", **overrides: Any) -> dict[str, Any]:
        profile = {**ZHANG_SAN, **overrides.pop("profile", {})}
        body = {"level": level, "profile": profile,
                "consent": {"accepted": True, "terms_version": "2026-01"}, **overrides}  # fmt: skip
        r = self.client.post("/v1/applicants", headers=self.tenant.headers, json=body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def documents_to_review(self, level: str = "standard") -> None:
        """Publish the tenant's own ``level``, sending every image-check failure to a
        reviewer: these tests upload plain colour fields, which the real document and face
        checks would send back for resubmission."""
        h = self.tenant.headers
        current = self.client.get(f"/v1/verification-levels/{level}", headers=h).json()
        if current.get("outcomes", {}).get("documents") == "review":
            return
        policy = {k: v for k, v in current.items() if k not in ("version",)}
        policy["outcomes"] = {**policy.get("outcomes", {}), "documents": "review"}
        r = self.client.post("/v1/verification-levels", headers=h, json=policy)
        assert r.status_code == 201, r.text

    def verify_phone(self, applicant_id: str) -> None:
        h = self.tenant.headers
        r = self.client.post(f"/v1/applicants/{applicant_id}/phone-verification", headers=h)
        assert r.status_code == 202, r.text
        phone = self.get(applicant_id)["profile"]["phone"]
        code = self.platform.kyc.sms.last_code_for(phone)  # type: ignore[attr-defined]
        r = self.client.post(
            f"/v1/applicants/{applicant_id}/phone-verification/confirm",
            headers=h,
            json={"code": code},
        )
        assert r.json()["verified"] is True, r.text

    def upload(self, applicant_id: str, kind: str, data: bytes | None = None) -> dict[str, Any]:
        r = self.client.post(
            f"/v1/applicants/{applicant_id}/documents",
            headers=self.tenant.headers,
            data={"kind": kind},
            files={"file": (f"{kind}.jpg", data or image_bytes(), "image/jpeg")},
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    def submit(self, applicant_id: str) -> dict[str, Any]:
        r = self.client.post(f"/v1/applicants/{applicant_id}/submit", headers=self.tenant.headers)
        assert r.status_code == 202, r.text
        return self.get(applicant_id)

    def get(self, applicant_id: str) -> dict[str, Any]:
        r = self.client.get(f"/v1/applicants/{applicant_id}", headers=self.tenant.headers)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def checks(self, applicant_id: str) -> dict[str, dict[str, Any]]:
        r = self.client.get(f"/v1/applicants/{applicant_id}/checks", headers=self.tenant.headers)
        return {c["check"]: c for c in r.json()}


@pytest.fixture
def flow(client: TestClient, platform: Platform, tenant: TenantHandle, receiver: Receiver) -> Flow:
    return Flow(client, platform, tenant)
