"""Step-up: a `step_up` decision for a KYC'd customer sends a one-time code to their
verified phone; the right code passes, wrong ones count, another tenant sees nothing."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from aegis.kit.time import utcnow
from aegis.platform import Platform
from tests.kyc.conftest import Flow
from tests.support.tenants import TenantHandle


def test_step_up_with_the_kyc_phone(
    flow: Flow, client: TestClient, platform: Platform, tenant: TenantHandle,
    other_tenant: TenantHandle,
) -> None:  # fmt: skip
    a = flow.create(level="basic")
    flow.verify_phone(a["id"])
    assert flow.submit(a["id"])["status"] == "approved"
    h = tenant.headers
    body = {
        "id": "big-1", "time": (utcnow() - dt.timedelta(seconds=1)).isoformat(),
        "type": "payment", "amount": 450_000, "currency": "CNY", "customer_id": a["id"],
        "device_id": "brand-new-phone", "channel": "app",
    }  # fmt: skip
    decision = client.post("/v1/transactions", headers=h, json=body).json()
    assert decision["outcome"] == "step_up", decision
    assert "new_device_high_amount" in [r["rule_id"] for r in decision["reasons"]]
    path = f"/v1/decisions/{decision['id']}/step-up"
    assert client.post(path, headers=other_tenant.headers).status_code == 404
    r = client.post(path, headers=h)
    assert r.status_code == 202, r.text
    assert client.post(path, headers=h).status_code == 409  # one code at a time
    wrong = client.post(path + "/confirm", headers=h, json={"code": "000000"}).json()
    code = platform.kyc.sms.last_code_for("+8613800138001")  # type: ignore[attr-defined]
    if wrong["result"] == "ok":  # the one-in-a-million draw
        return
    assert wrong == {"result": "wrong_code", "passed": False}
    ok = client.post(path + "/confirm", headers=h, json={"code": code}).json()
    assert ok == {"result": "ok", "passed": True}
    again = client.post(path + "/confirm", headers=h, json={"code": code})
    assert again.status_code == 409
    approve = client.post("/v1/transactions", headers=h, json={**body, "id": "small-1",
                                                               "amount": 100})  # fmt: skip
    step = client.post(f"/v1/decisions/{approve.json()['id']}/step-up", headers=h)
    assert approve.json()["outcome"] == "approve" and step.status_code == 409
