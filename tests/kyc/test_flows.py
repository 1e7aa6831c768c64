"""Every KYC path over the HTTP API, with signed webhooks received and verified."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from aegis.auth.context import Scope
from aegis.kit.time import utcnow
from aegis.kyc.models import Applicant
from aegis.kyc.reverification import scan
from aegis.kyc.service import ApplicantService
from aegis.platform import Platform
from tests.kyc.conftest import Flow, Receiver
from tests.kyc.ids import ric
from tests.support.tenants import TenantHandle, make_tenant


def test_approved_automatically(flow: Flow, receiver: Receiver) -> None:
    a = flow.create(external_id="user-1")
    assert a["status"] == "collecting" and a["missing_steps"] == ["phone"]
    flow.verify_phone(a["id"])
    done = flow.submit(a["id"])
    assert done["status"] == "approved", flow.checks(a["id"])
    assert done["reasons"] == []
    assert receiver.statuses(a["id"]) == ["collecting", "submitted", "checking", "approved"]
    event = next(e for e in receiver.events if e["data"]["to"] == "approved")
    assert event["data"]["external_id"] == "user-1"
    assert "张三" not in str(receiver.events) and "110105" not in str(receiver.events)
    checks = flow.checks(a["id"])
    assert {c["outcome"] for c in checks.values()} == {"pass"}
    assert {"id_number", "phone", "registry", "duplicates", "velocity", "email"} <= set(checks)


def test_rejected_with_reasons(flow: Flow, receiver: Receiver) -> None:
    a = flow.create(profile={"native_name": "赵六", "id_number": "110105199001010045"})
    flow.verify_phone(a["id"])
    done = flow.submit(a["id"])
    assert done["status"] == "rejected"
    codes = [r["code"] for r in done["reasons"]]
    assert codes == ["REGISTRY_DECEASED"]
    assert done["reasons"][0]["hint_en"] and done["reasons"][0]["hint_zh"]
    last = receiver.events[-1]["data"]
    assert last["to"] == "rejected" and last["reasons"][0]["code"] == "REGISTRY_DECEASED"


def test_in_review_then_approved_by_reviewer(
    flow: Flow, client: TestClient, tenant: TenantHandle
) -> None:
    flow.documents_to_review()
    a = flow.create(level="standard")
    flow.verify_phone(a["id"])
    assert flow.get(a["id"])["missing_steps"] == ["document", "selfie"]
    flow.upload(a["id"], "passport")
    flow.upload(a["id"], "selfie")
    assert flow.submit(a["id"])["status"] == "in_review"
    queue = client.get("/v1/reviews", headers=tenant.headers).json()["data"]
    review = next(r for r in queue if r["applicant_id"] == a["id"])
    assert review["requires_four_eyes"] is False and review["sla_age_seconds"] >= 0
    rid = review["id"]
    detail = client.get(f"/v1/reviews/{rid}", headers=tenant.headers).json()
    assert detail["applicant"]["profile"]["native_name"] == "张三"
    assert {d["kind"] for d in detail["documents"]} == {"passport", "selfie"}
    assert (
        client.post(
            f"/v1/reviews/{rid}/decision",
            headers=tenant.headers,
            json={"decision": "approve", "reason": "documents fine"},
        ).status_code
        == 409
    )
    assert client.post(f"/v1/reviews/{rid}/claim", headers=tenant.headers).status_code == 200
    r = client.post(
        f"/v1/reviews/{rid}/decision",
        headers=tenant.headers,
        json={"decision": "approve", "reason": "passport and selfie match"},
    )
    assert r.status_code == 200 and r.json()["final_decision"] == "approve"
    assert flow.get(a["id"])["status"] == "approved"
    history = client.get(f"/v1/applicants/{a['id']}/history", headers=tenant.headers).json()
    assert history[-1]["note"] == "passport and selfie match"


def test_four_eyes(
    flow: Flow, client: TestClient, platform: Platform, tenant: TenantHandle
) -> None:
    second = client.post(
        "/v1/api-keys",
        headers=tenant.headers,
        json={"name": "second reviewer", "scopes": ["kyc:review"]},
    ).json()
    other = {"Authorization": f"Bearer {second['secret']}"}
    flow.documents_to_review("enhanced")
    a = flow.create(level="enhanced")
    flow.verify_phone(a["id"])
    for kind in ("passport", "selfie", "proof_of_address"):
        flow.upload(a["id"], kind)
    assert flow.submit(a["id"])["status"] == "in_review"
    rid = client.get("/v1/reviews", headers=tenant.headers).json()["data"][0]["id"]
    client.post(f"/v1/reviews/{rid}/claim", headers=tenant.headers)
    first = client.post(
        f"/v1/reviews/{rid}/decision",
        headers=tenant.headers,
        json={"decision": "approve", "reason": "looks right"},
    ).json()
    assert first["status"] == "awaiting_second"
    assert flow.get(a["id"])["status"] == "in_review"  # one pair of eyes is not enough
    assert client.post(f"/v1/reviews/{rid}/claim", headers=tenant.headers).status_code == 409
    assert client.post(f"/v1/reviews/{rid}/claim", headers=other).status_code == 200
    final = client.post(
        f"/v1/reviews/{rid}/decision",
        headers=other,
        json={"decision": "approve", "reason": "agree"},
    ).json()
    assert final["status"] == "decided"
    assert flow.get(a["id"])["status"] == "approved"


def test_resubmission_then_approved(
    flow: Flow, client: TestClient, tenant: TenantHandle, receiver: Receiver
) -> None:
    a = flow.create(profile={"date_of_birth": "1990-02-01"})  # ID number says 1990-01-01
    flow.verify_phone(a["id"])
    first = flow.submit(a["id"])
    assert first["status"] == "resubmission_requested"
    assert "ID_NUMBER_DOB_MISMATCH" in [r["code"] for r in first["reasons"]]
    assert first["resubmission_steps"] == ["id_number"]
    r = client.patch(
        f"/v1/applicants/{a['id']}",
        headers=tenant.headers,
        json={"profile": {"date_of_birth": "1990-01-01"}},
    )
    assert r.status_code == 200
    again = flow.submit(a["id"])
    assert again["status"] == "approved" and again["attempt"] == 2
    attempts = {
        c["attempt"]
        for c in client.get(f"/v1/applicants/{a['id']}/checks", headers=tenant.headers).json()
    }
    assert attempts == {1, 2}  # the history of both attempts is kept
    assert receiver.statuses(a["id"])[-3:] == ["submitted", "checking", "approved"]


def test_resubmission_limit(flow: Flow, client: TestClient, tenant: TenantHandle) -> None:
    a = flow.create(profile={"date_of_birth": "1990-02-01"})
    flow.verify_phone(a["id"])
    statuses = [flow.submit(a["id"])["status"] for _ in range(4)]
    assert statuses == ["resubmission_requested"] * 3 + ["rejected"]
    assert "RESUBMISSION_LIMIT_REACHED" in [r["code"] for r in flow.get(a["id"])["reasons"]]


def test_duplicate_identity(flow: Flow) -> None:
    first = flow.create()
    second = flow.create(profile={"phone": "+8613800138002", "email": "other@example.com"})
    flow.verify_phone(second["id"])
    done = flow.submit(second["id"])
    assert done["status"] == "in_review"
    dup = flow.checks(second["id"])["duplicates"]
    assert dup["codes"] == ["DUPLICATE_IDENTITY"]
    assert dup["details"]["duplicate_of"] == [first["id"]]
    assert dup["details"]["fields"] == ["id_number"]


def test_abnormal_registration_burst(flow: Flow) -> None:
    ids = []
    for i in range(6):
        a = flow.create(
            profile={
                "id_number": ric("110105", "19900101", 100 + i),
                "phone": f"+86138001390{i:02d}",
                "email": f"burst{i}@example.com",
            },
            ip_address="198.51.100.7",
        )
        ids.append(a["id"])
    for aid in ids:
        flow.verify_phone(aid)
    outcomes = [flow.submit(aid)["status"] for aid in ids]
    assert outcomes == ["approved"] * 5 + ["in_review"]
    burst = flow.checks(ids[-1])["velocity"]
    assert burst["codes"] == ["ABNORMAL_REGISTRATION"]
    assert burst["details"]["bursts"][0]["key"] == "ip"


def test_disposable_email_goes_to_review(flow: Flow) -> None:
    a = flow.create(profile={"email": "someone@mailinator.com"})
    flow.verify_phone(a["id"])
    assert flow.submit(a["id"])["status"] == "in_review"
    assert flow.checks(a["id"])["email"]["codes"] == ["DISPOSABLE_EMAIL"]


def test_registry_timeout_goes_to_review_never_passes(flow: Flow) -> None:
    a = flow.create(profile={"native_name": "钱七", "id_number": "110105199001010053"})
    flow.verify_phone(a["id"])
    assert flow.submit(a["id"])["status"] == "in_review"
    registry = flow.checks(a["id"])["registry"]
    assert registry["outcome"] == "review" and registry["codes"] == ["REGISTRY_UNAVAILABLE"]


def test_reverification(
    flow: Flow, client: TestClient, platform: Platform, tenant: TenantHandle, receiver: Receiver
) -> None:
    due = flow.create(
        profile={"id_expiry_date": (utcnow() + timedelta(days=10)).date().isoformat()}
    )
    periodic = flow.create(
        profile={
            "id_number": ric("110105", "19900101", 200),
            "phone": "+8613800138099",
            "email": "periodic@example.com",
        }
    )
    changed = flow.create(
        profile={
            "id_number": ric("110105", "19900101", 300),
            "phone": "+8613800138098",
            "email": "changed@example.com",
        }
    )
    for a in (due, periodic, changed):
        flow.verify_phone(a["id"])
        assert flow.submit(a["id"])["status"] == "approved"
    with platform.db.session() as session:
        session.execute(
            update(Applicant)
            .where(Applicant.id == periodic["id"])
            .values(next_review_at=utcnow() - timedelta(days=1))
        )
    counts = scan(ApplicantService(platform))
    assert counts == {"DOCUMENT_EXPIRING": 1, "PERIODIC_REVIEW_DUE": 1}
    assert flow.get(due["id"])["status"] == "reverification_required"
    assert flow.get(due["id"])["resubmission_steps"] == ["document"]
    assert flow.get(periodic["id"])["status"] == "reverification_required"
    r = client.patch(
        f"/v1/applicants/{changed['id']}",
        headers=tenant.headers,
        json={"profile": {"last_name": "Li"}},
    )
    assert r.json()["status"] == "reverification_required"
    assert [x["code"] for x in r.json()["reasons"]] == ["IDENTITY_DATA_CHANGED"]
    for a in (due, periodic, changed):
        assert receiver.statuses(a["id"])[-1] == "reverification_required"
    assert scan(ApplicantService(platform)) == {"DOCUMENT_EXPIRING": 0, "PERIODIC_REVIEW_DUE": 0}


def test_reviewer_scope_is_required(flow: Flow, client: TestClient, platform: Platform) -> None:
    writer = make_tenant(platform, "writer only", scopes=(Scope.KYC_WRITE,))
    assert client.get("/v1/reviews", headers=writer.headers).status_code == 403
