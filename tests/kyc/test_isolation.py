"""One tenant never sees, changes or even learns of another tenant's KYC data: every
resource answers 404 to the other tenant, and every listing shows only the caller's rows."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from aegis.platform import Platform
from tests.kyc.conftest import Flow, image_bytes
from tests.kyc.ids import ric
from tests.support.tenants import Probe, TenantHandle, assert_tenant_isolation

APPLICANT_PROBES = (
    Probe("GET", "/v1/applicants/{id}"),
    Probe("PATCH", "/v1/applicants/{id}", {"profile": {"last_name": "Intruder"}}),
    Probe("PATCH", "/v1/applicants/{id}", {"risk_rating": "high", "external_id": "mine"}),
    Probe("POST", "/v1/applicants/{id}/submit"),
    Probe("GET", "/v1/applicants/{id}/checks"),
    Probe("GET", "/v1/applicants/{id}/history"),
    Probe("GET", "/v1/applicants/{id}/documents"),
    Probe("POST", "/v1/applicants/{id}/phone-verification"),
    Probe("POST", "/v1/applicants/{id}/phone-verification/confirm", {"code": "123456"}),
)


def _profile(seq: int) -> dict[str, Any]:
    return {
        "id_number": ric("110105", "19900101", 600 + seq),
        "phone": f"+86138001386{seq:02d}",
        "email": f"iso{seq}@example.com",
    }


def flow_for(flow: Flow, tenant: TenantHandle) -> Flow:
    return Flow(flow.client, flow.platform, tenant)


def test_collecting_applicant(
    flow: Flow, client: TestClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    """Fresh, with a code sent: the intruder can neither read, change, submit nor verify."""

    def create(owner: TenantHandle) -> str:
        a = flow_for(flow, owner).create(external_id="shared-ref", profile=_profile(1))
        r = client.post(f"/v1/applicants/{a['id']}/phone-verification", headers=owner.headers)
        assert r.status_code == 202
        return str(a["id"])

    applicant_id = assert_tenant_isolation(
        client,
        tenant,
        other_tenant,
        create=create,
        probes=APPLICANT_PROBES,
        list_path="/v1/applicants",
        read_back="/v1/applicants/{id}",
    )
    # The code the owner's applicant received is no use to the intruder either.
    phone = flow.get(applicant_id)["profile"]["phone"]
    code = flow.platform.kyc.sms.last_code_for(phone)  # type: ignore[attr-defined]
    r = client.post(
        f"/v1/applicants/{applicant_id}/phone-verification/confirm",
        headers=other_tenant.headers,
        json={"code": code},
    )
    assert r.status_code == 404
    assert flow.get(applicant_id)["phone_verified"] is False


def test_decided_applicant_checks_and_history(
    flow: Flow, client: TestClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    def create(owner: TenantHandle) -> str:
        f = flow_for(flow, owner)
        a = f.create(profile=_profile(2))
        f.verify_phone(a["id"])
        assert f.submit(a["id"])["status"] == "approved"
        assert f.checks(a["id"])
        return str(a["id"])

    assert_tenant_isolation(
        client,
        tenant,
        other_tenant,
        create=create,
        probes=APPLICANT_PROBES,
        list_path="/v1/applicants",
        read_back="/v1/applicants/{id}/history",
    )


def test_liveness_challenges(
    flow: Flow, client: TestClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    owner_applicant = flow.create(profile=_profile(13))
    intruder_applicant = flow_for(flow, other_tenant).create(profile=_profile(14))
    base = f"/v1/applicants/{owner_applicant['id']}/liveness"
    mine = f"/v1/applicants/{intruder_applicant['id']}/liveness"

    def create(owner: TenantHandle) -> str:
        return str(client.post(base, headers=owner.headers).json()["id"])

    assert_tenant_isolation(
        client,
        tenant,
        other_tenant,
        create=create,
        probes=(
            Probe("GET", base + "/{id}"),
            Probe("POST", base),
            # The intruder's own applicant with the owner's challenge id: still nothing.
            Probe("GET", mine + "/{id}"),
        ),
        read_back=base + "/{id}",
    )


def test_documents_and_their_content(
    flow: Flow, client: TestClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    owner_applicant = flow.create(profile=_profile(3))
    intruder_applicant = flow_for(flow, other_tenant).create(profile=_profile(4))

    def create(owner: TenantHandle) -> str:
        return str(flow_for(flow, owner).upload(owner_applicant["id"], "passport")["id"])

    base = f"/v1/applicants/{owner_applicant['id']}/documents"
    mine = f"/v1/applicants/{intruder_applicant['id']}/documents"
    doc_id = assert_tenant_isolation(
        client,
        tenant,
        other_tenant,
        create=create,
        probes=(
            Probe("GET", base),
            Probe("GET", base + "/{id}/content"),
            # The intruder's own applicant with the owner's document id: still nothing.
            Probe("GET", mine + "/{id}/content"),
        ),
        read_back=base,
    )
    # Uploading to the owner's applicant is refused before the file is read.
    r = client.post(
        base,
        headers=other_tenant.headers,
        data={"kind": "selfie"},
        files={"file": ("s.jpg", image_bytes(), "image/jpeg")},
    )
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [d["id"] for d in client.get(base, headers=tenant.headers).json()] == [doc_id]
    assert client.get(mine, headers=other_tenant.headers).json() == []
    owner_view = client.get(f"{base}/{doc_id}/content", headers=tenant.headers)
    assert owner_view.status_code == 200 and owner_view.content


def test_reviews(
    flow: Flow,
    client: TestClient,
    platform: Platform,
    tenant: TenantHandle,
    other_tenant: TenantHandle,
) -> None:
    applicant: dict[str, str] = {}

    def create(owner: TenantHandle) -> str:
        f = flow_for(flow, owner)
        f.documents_to_review()
        a = f.create(level="standard", profile=_profile(5))
        f.verify_phone(a["id"])
        f.upload(a["id"], "passport")
        f.upload(a["id"], "selfie")
        assert f.submit(a["id"])["status"] == "in_review"
        applicant["id"] = a["id"]
        queue = client.get("/v1/reviews", headers=owner.headers).json()["data"]
        return str(next(r["id"] for r in queue if r["applicant_id"] == a["id"]))

    review_id = assert_tenant_isolation(
        client,
        tenant,
        other_tenant,
        create=create,
        probes=(
            Probe("GET", "/v1/reviews/{id}"),
            Probe("POST", "/v1/reviews/{id}/claim"),
            Probe(
                "POST", "/v1/reviews/{id}/decision", {"decision": "approve", "reason": "looks fine"}
            ),
            Probe(
                "POST",
                "/v1/reviews/{id}/decision",
                {"decision": "resubmit", "reason": "redo", "steps": ["document"]},
            ),
        ),
        list_path="/v1/reviews",
    )
    for status in ("pending", "claimed", "awaiting_second", "decided"):
        theirs = client.get(
            "/v1/reviews", headers=other_tenant.headers, params={"status": status}
        ).json()
        assert theirs["data"] == []
    # Nothing the intruder did claimed or decided it: the owner still can.
    review = client.get(f"/v1/reviews/{review_id}", headers=tenant.headers).json()
    assert review["status"] == "pending" and review["claimed_by"] is None
    assert client.post(f"/v1/reviews/{review_id}/claim", headers=tenant.headers).status_code == 200
    r = client.post(
        f"/v1/reviews/{review_id}/decision",
        headers=tenant.headers,
        json={"decision": "approve", "reason": "all good"},
    )
    assert r.status_code == 200
    assert flow.get(applicant["id"])["status"] == "approved"


def test_verification_levels(
    flow: Flow, client: TestClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    custom = {
        "name": "vip",
        "steps": ["identity_data", "id_number"],
        "checks": ["id_number", "duplicates"],
    }
    override = {"name": "basic", "steps": ["identity_data"], "checks": ["id_number"]}

    def create(owner: TenantHandle) -> str:
        for body in (custom, override):
            r = client.post("/v1/verification-levels", headers=owner.headers, json=body)
            assert r.status_code == 201, r.text
        return "vip"

    assert_tenant_isolation(
        client,
        tenant,
        other_tenant,
        create=create,
        probes=(Probe("GET", "/v1/verification-levels/{id}"),),
        read_back="/v1/verification-levels/{id}",
    )
    mine = {
        lv["name"]: lv
        for lv in client.get("/v1/verification-levels", headers=tenant.headers).json()
    }
    theirs = {
        lv["name"]: lv
        for lv in client.get("/v1/verification-levels", headers=other_tenant.headers).json()
    }
    assert "vip" in mine and "vip" not in theirs
    assert mine["basic"]["version"] == 1 and mine["basic"]["steps"] == ["identity_data"]
    assert theirs["basic"]["version"] == 0 and "phone" in theirs["basic"]["steps"]
    theirs_basic = client.get("/v1/verification-levels/basic", headers=other_tenant.headers).json()
    assert theirs_basic["version"] == 0
    # The intruder can neither use the level nor is it steered by the owner's override.
    intruder = flow_for(flow, other_tenant)
    r = client.post(
        "/v1/applicants",
        headers=other_tenant.headers,
        json={
            "level": "vip",
            "profile": dict(_full_profile(7)),
            "consent": {"accepted": True, "terms_version": "2026-01"},
        },
    )
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "#/level"
    a = intruder.create(profile=_profile(8))
    assert a["level_version"] == 0 and a["missing_steps"] == ["phone"]
    # The intruder publishing its own "vip" starts its own versions at 1.
    r = client.post("/v1/verification-levels", headers=other_tenant.headers, json=custom)
    assert r.json()["version"] == 1
    assert client.get("/v1/verification-levels/vip", headers=tenant.headers).json()["version"] == 1


def _full_profile(seq: int) -> dict[str, Any]:
    from tests.kyc.conftest import ZHANG_SAN

    return {**ZHANG_SAN, **_profile(seq)}


@pytest.mark.parametrize(
    "params",
    [
        {"status": "collecting"},
        {"status": "approved"},
        {"level": "basic"},
        {"level": "standard"},
        {"risk": "high"},
        {"risk": "low"},
        {"external_id": "same-ref"},
        {"status": "collecting", "level": "standard", "risk": "high"},
        {},
    ],
    ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()) or "unfiltered",
)
def test_listing_filters_only_return_own_rows(
    params: dict[str, str],
    flow: Flow,
    client: TestClient,
    tenant: TenantHandle,
    other_tenant: TenantHandle,
) -> None:
    own: list[dict[str, Any]] = []
    for i, handle in enumerate((tenant, other_tenant)):
        f = flow_for(flow, handle)
        for j, (level, risk) in enumerate([("basic", "low"), ("standard", "high")]):
            seq = 10 + 2 * i + j
            a = f.create(
                level=level, risk_rating=risk, external_id="same-ref", profile=_profile(seq)
            )
            if handle is tenant:
                own.append(a)
        approved = f.create(external_id="same-ref", profile=_profile(20 + i))
        f.verify_phone(approved["id"])
        assert f.submit(approved["id"])["status"] == "approved"
        if handle is tenant:
            own.append(f.get(approved["id"]))

    def matches(a: dict[str, Any]) -> bool:
        return all(
            a[{"risk": "risk_rating"}.get(k, k)] == v for k, v in params.items() if k != "limit"
        )

    for handle, expected in ((tenant, own), (other_tenant, None)):
        r = client.get("/v1/applicants", headers=handle.headers, params={**params, "limit": 100})
        assert r.status_code == 200, r.text
        got = r.json()["data"]
        if expected is not None:
            assert {a["id"] for a in got} == {a["id"] for a in expected if matches(a)}
        else:
            assert not {a["id"] for a in got} & {a["id"] for a in own}
            assert len(got) == len([a for a in own if matches(a)])  # same shape, own rows
