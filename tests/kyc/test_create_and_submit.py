"""Creating with ``"submit": true`` decides in the same request: the duplicate and burst
signals there read before the new applicant is written, and must see what a later
submission sees."""

from __future__ import annotations

from typing import Any

from aegis.platform import Platform
from tests.kyc.conftest import Flow, Receiver
from tests.kyc.ids import ric

LEVEL = {
    "name": "instant",
    "description": "Data checks only: decided at creation.",
    "steps": ["identity_data", "id_number"],
    "checks": ["id_number", "phone", "email", "duplicates", "velocity"],
    "thresholds": {"velocity": [{"key": "ip", "window_seconds": 3600, "max_count": 2}]},
}


def _create(flow: Flow, seq: int, *, ip: str, id_number: str | None = None) -> dict[str, Any]:
    profile = {
        "id_number": id_number or ric("110105", "19900101", 200 + seq),
        "phone": f"+86138001391{seq:02d}",
        "email": f"instant{seq}@example.com",
    }
    return flow.create(level="instant", profile=profile, ip_address=ip, submit=True)


def test_burst_counts_the_new_applicant_itself(flow: Flow, receiver: Receiver) -> None:
    r = flow.client.post("/v1/verification-levels", headers=flow.tenant.headers, json=LEVEL)
    assert r.status_code == 201, r.text
    made = [_create(flow, i, ip="198.51.100.9") for i in range(3)]
    assert [a["status"] for a in made] == ["approved", "approved", "in_review"]
    burst = flow.checks(made[-1]["id"])["velocity"]
    assert burst["codes"] == ["ABNORMAL_REGISTRATION"]
    assert burst["details"]["bursts"] == [
        {"key": "ip", "count": 3, "window_seconds": 3600, "max_count": 2}
    ]
    # Every transition announced, in order, in the same transaction as the decision.
    assert receiver.statuses(made[0]["id"]) == [
        "collecting",
        "submitted",
        "checking",
        "approved",
    ]


def test_duplicate_found_at_creation(flow: Flow, platform: Platform) -> None:
    r = flow.client.post("/v1/verification-levels", headers=flow.tenant.headers, json=LEVEL)
    assert r.status_code == 201, r.text
    first = _create(flow, 1, ip="198.51.100.10")
    second = _create(flow, 2, ip="198.51.100.11", id_number=first["profile"]["id_number"])
    assert (first["status"], second["status"]) == ("approved", "in_review")
    dup = flow.checks(second["id"])["duplicates"]
    assert dup["details"]["duplicate_of"] == [first["id"]]
    history = flow.client.get(
        f"/v1/applicants/{second['id']}/history", headers=flow.tenant.headers
    ).json()
    assert [h["to_status"] for h in history] == [
        "created",
        "collecting",
        "submitted",
        "checking",
        "in_review",
    ]
    with platform.db.session(write=False) as session:
        report = platform.audit.verify(session)
    assert report.ok, report.findings
