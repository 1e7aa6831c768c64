"""Creating with ``"submit": true`` decides in the same request: the duplicate and burst
signals there read before the new applicant is written, and must see what a later
submission sees."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
from prometheus_client import REGISTRY
from sqlalchemy.orm import Session

from aegis.app import create_app
from aegis.platform import Platform
from tests.kyc.conftest import ZHANG_SAN, Flow, Receiver
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


def _together(
    flow: Flow, platform: Platform, bodies: list[dict[str, Any]]
) -> tuple[list[httpx.Response], int]:
    """POST ``bodies`` at once while the group commit is held, so that they queue into one
    batch; the answers, and how many transactions the group commit committed once it was
    let go (the holding unit's own included)."""
    gate, holding = threading.Event(), threading.Event()

    def hold(session: Session) -> None:
        holding.set()
        gate.wait(10)

    async def post_all() -> list[httpx.Response]:
        app = create_app(platform)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                blocker = platform.db.group.submit(hold)
                holding.wait(10)
                sent = [
                    asyncio.ensure_future(
                        client.post("/v1/applicants", headers=flow.tenant.headers, json=b)
                    )
                    for b in bodies
                ]
                while platform.db.group.waiting() < len(bodies):
                    await asyncio.sleep(0.01)
                gate.set()
                blocker.result(10)
                return list(await asyncio.gather(*sent))

    label = {"writer": platform.db.group.name}
    before = REGISTRY.get_sample_value("aegis_group_commit_units_count", label) or 0.0
    answers = asyncio.run(post_all())
    after = REGISTRY.get_sample_value("aegis_group_commit_units_count", label) or 0.0
    return answers, round(after - before)


def _body(seq: int, id_number: str, **extra: Any) -> dict[str, Any]:
    profile = {**ZHANG_SAN, "id_number": id_number, "email": f"together{seq}@example.com",
               "phone": f"+86138001392{seq:02d}"}  # fmt: skip
    return {"level": "instant", "profile": profile, "submit": True,
            "consent": {"accepted": True, "terms_version": "2026-01"},
            "ip_address": f"198.51.100.{20 + seq}", **extra}  # fmt: skip


def test_applicants_arriving_together_share_one_transaction(
    flow: Flow, platform: Platform, receiver: Receiver
) -> None:
    """Group commit: the applicants waiting together are written in one transaction, in
    turn, so each sees the ones before it (here a duplicate ID number)."""
    r = flow.client.post("/v1/verification-levels", headers=flow.tenant.headers, json=LEVEL)
    assert r.status_code == 201, r.text
    same_id = ric("110105", "19900101", 700)
    answers, commits = _together(flow, platform, [_body(i, same_id) for i in range(1, 4)])
    assert [a.status_code for a in answers] == [201] * 3, [a.text for a in answers]
    assert commits == 2  # the holding unit's, then one for the three applicants
    made = [a.json() for a in answers]
    # Whichever reached the queue first is approved; the later ones see it (and each other).
    assert sorted(a["status"] for a in made) == ["approved", "in_review", "in_review"]
    first = next(a for a in made if a["status"] == "approved")
    for later in (a for a in made if a is not first):
        duplicate_of = flow.checks(later["id"])["duplicates"]["details"]["duplicate_of"]
        assert first["id"] in duplicate_of
    assert receiver.statuses(first["id"]) == ["collecting", "submitted", "checking", "approved"]


def test_a_refused_applicant_sinks_none_of_its_batch(flow: Flow, platform: Platform) -> None:
    """The one the data refuses (a level whose steps are not all in the request) gets its
    409; the batch is written again one applicant at a time and nothing of the refused
    one is kept."""
    r = flow.client.post("/v1/verification-levels", headers=flow.tenant.headers, json=LEVEL)
    assert r.status_code == 201, r.text
    bodies = [
        _body(1, ric("110105", "19900101", 701)),
        _body(2, ric("110105", "19900101", 702), level="standard"),
        _body(3, ric("110105", "19900101", 703)),
    ]
    answers, commits = _together(flow, platform, bodies)
    assert [a.status_code for a in answers] == [201, 409, 201], [a.text for a in answers]
    assert answers[1].headers["content-type"].startswith("application/problem+json")
    assert commits == 3  # the holding unit's, then the two applicants alone
    listed = flow.client.get("/v1/applicants", headers=flow.tenant.headers).json()["data"]
    kept = sorted([answers[0].json()["id"], answers[2].json()["id"]])
    assert sorted(a["id"] for a in listed) == kept
    with platform.db.session(write=False) as session:
        report = platform.audit.verify(session)
    assert report.ok, report.findings
