"""``aegis kyc``: create, show, list, decide and reverify, against the same database the API
uses, printing one JSON document with --json."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from aegis.cli.main import app
from aegis.config import Settings
from aegis.kit.time import utcnow
from aegis.kyc.models import Applicant
from aegis.partners.webhooks.models import WebhookEvent
from aegis.platform import Platform
from tests.kyc.conftest import ZHANG_SAN, Flow, Receiver
from tests.kyc.ids import ric
from tests.support.tenants import TenantHandle

Run = Callable[..., Any]


@pytest.fixture
def run(settings: Settings) -> Run:
    runner = CliRunner()
    env = {
        "AEGIS_DATABASE_URL": settings.resolved_database_url,
        "AEGIS_DATA_DIR": str(settings.data_dir),
        "AEGIS_MASTER_KEY": settings.master_key.get_secret_value() if settings.master_key else "",
        "USER": "ops-alice",
    }

    def invoke(*args: str, code: int = 0) -> Any:
        result = runner.invoke(app, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == code, result.output
        return json.loads(result.stdout)

    return invoke


def applicant_file(tmp_path: Path, name: str = "applicant.json", **overrides: Any) -> Path:
    profile = {**ZHANG_SAN, **overrides.pop("profile", {})}
    body = {
        "level": "basic",
        "external_id": "cli-1",
        "profile": profile,
        "consent": {"accepted": True, "terms_version": "2026-01"},
        **overrides,
    }
    path = tmp_path / name
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    return path


def in_review(flow: Flow, seq: int, level: str = "standard") -> str:
    flow.documents_to_review(level)
    a = flow.create(
        level=level,
        profile={
            "id_number": ric("110105", "19900101", 800 + seq),
            "phone": f"+86138001388{seq:02d}",
            "email": f"cli{seq}@example.com",
        },
    )
    flow.verify_phone(a["id"])
    kinds = ("passport", "selfie") + (("proof_of_address",) if level == "enhanced" else ())
    for kind in kinds:
        flow.upload(a["id"], kind)
    assert flow.submit(a["id"])["status"] == "in_review"
    return str(a["id"])


def test_create_show_and_list(
    run: Run, flow: Flow, client: TestClient, tenant: TenantHandle, tmp_path: Path
) -> None:
    created = run("kyc", "create", tenant.id, str(applicant_file(tmp_path)), "--json")
    assert created["id"].startswith("app_")
    assert created["status"] == "collecting" and created["level_version"] == 0
    assert created["missing_steps"] == ["phone"]
    assert created["profile"]["native_name"] == "张三"
    # The same applicant, through the API: PII sealed by the CLI opens for the server.
    api = flow.get(created["id"])
    assert api["profile"] == created["profile"] and api["external_id"] == "cli-1"

    shown = run("kyc", "show", tenant.id, created["id"], "--json")
    assert shown["id"] == created["id"]
    assert [(h["from"], h["to"]) for h in shown["history"]] == [
        (None, "created"),
        ("created", "collecting"),
    ]
    assert shown["checks"] == []

    flow.verify_phone(created["id"])
    assert flow.submit(created["id"])["status"] == "approved"
    shown = run("kyc", "show", tenant.id, created["id"], "--json")
    assert shown["status"] == "approved"
    assert {c["outcome"] for c in shown["checks"]} == {"pass"}
    assert shown["history"][-1]["to"] == "approved"

    other = run(
        "kyc",
        "create",
        tenant.id,
        str(
            applicant_file(
                tmp_path,
                "second.json",
                level="standard",
                risk_rating="high",
                profile={"phone": "+8613800138123", "email": "second@example.com"},
            )
        ),
        "--json",
    )
    everything = run("kyc", "list", tenant.id, "--json")["applicants"]
    assert {a["id"] for a in everything} == {created["id"], other["id"]}
    approved = run("kyc", "list", tenant.id, "--status", "approved", "--json")["applicants"]
    assert approved == [
        {"id": created["id"], "status": "approved", "level": "basic", "risk": "low"}
    ]
    collecting = run("kyc", "list", tenant.id, "--status", "collecting", "--json")["applicants"]
    assert [(a["id"], a["level"], a["risk"]) for a in collecting] == [
        (other["id"], "standard", "high")
    ]
    assert run("kyc", "list", tenant.id, "--status", "rejected", "--json") == {"applicants": []}
    human = CliRunner().invoke(
        app,
        ["kyc", "list", tenant.id, "--status", "approved"],
        env={
            "AEGIS_DATABASE_URL": flow.platform.settings.resolved_database_url,
            "AEGIS_DATA_DIR": str(flow.platform.settings.data_dir),
            "AEGIS_MASTER_KEY": flow.platform.settings.master_key.get_secret_value(),  # type: ignore[union-attr]
        },
    )
    assert human.exit_code == 0 and created["id"] in human.stdout


def test_create_refuses_bad_files(
    run: Run, tenant: TenantHandle, tmp_path: Path, platform: Platform
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"level": "basic", "profile": ')
    assert (
        "not a valid applicant"
        in run("kyc", "create", tenant.id, str(bad), "--json", code=2)["error"]
    )
    no_consent = applicant_file(tmp_path, consent={"accepted": False, "terms_version": "x"})
    out = run("kyc", "create", tenant.id, str(no_consent), "--json", code=2)
    assert "ValidationError" in out["error"]
    assert "张三" not in out["error"]  # no PII echoed
    missing = run("kyc", "create", tenant.id, str(tmp_path / "nope.json"), "--json", code=2)
    assert "not a valid applicant" in missing["error"]
    unknown_level = applicant_file(tmp_path, "lvl.json", level="platinum")
    out = run("kyc", "create", tenant.id, str(unknown_level), "--json", code=1)
    assert "unknown verification level" in out["error"]
    assert run("kyc", "list", tenant.id, "--json") == {"applicants": []}


def test_show_is_tenant_scoped(
    run: Run, flow: Flow, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    a = flow.create()
    assert run("kyc", "show", tenant.id, a["id"], "--json")["id"] == a["id"]
    out = run("kyc", "show", other_tenant.id, a["id"], "--json", code=1)
    assert "not found" in out["error"] and "张三" not in json.dumps(out)
    assert run("kyc", "list", other_tenant.id, "--json") == {"applicants": []}
    assert "not found" in run("kyc", "show", tenant.id, "app_nope", "--json", code=1)["error"]


def test_decide_approves_an_applicant_in_review(
    run: Run, flow: Flow, client: TestClient, tenant: TenantHandle, receiver: Receiver
) -> None:
    applicant_id = in_review(flow, 1)
    out = run(
        "kyc", "decide", tenant.id, applicant_id, "approve", "--reason", "checked by ops", "--json"
    )
    assert out["status"] == "decided" and out["final_decision"] == "approve"
    assert out["review_id"].startswith("rev_")
    done = flow.get(applicant_id)
    assert done["status"] == "approved" and done["reasons"] == []
    history = client.get(f"/v1/applicants/{applicant_id}/history", headers=tenant.headers).json()
    assert history[-1]["actor"] == "cli:ops-alice"
    assert history[-1]["note"] == "checked by ops"
    # The CLI's transition is announced like any other (its outbox row, in the same database).
    with flow.platform.db.session(write=False) as session:
        events = session.scalars(
            select(WebhookEvent).where(WebhookEvent.type == "applicant.status_changed")
        ).all()
    approvals = [e for e in events if e.payload["applicant_id"] == applicant_id]
    assert approvals[-1].payload["to"] == "approved"
    shown = run("kyc", "show", tenant.id, applicant_id, "--json")
    assert shown["history"][-1] == {
        "from": "in_review",
        "to": "approved",
        "codes": [],
        "actor": "cli:ops-alice",
    }
    # Nothing left to decide.
    again = run(
        "kyc", "decide", tenant.id, applicant_id, "reject", "--reason", "no", "--json", code=1
    )
    assert "no open review" in again["error"]


def test_decide_reject_and_resubmit(run: Run, flow: Flow, tenant: TenantHandle) -> None:
    rejected = in_review(flow, 2)
    out = run(
        "kyc", "decide", tenant.id, rejected, "reject", "--reason", "forged document", "--json"
    )
    assert out["final_decision"] == "reject"
    assert [r["code"] for r in flow.get(rejected)["reasons"]] == ["REVIEWER_REJECTED"]

    redo = in_review(flow, 3)
    out = run("kyc", "decide", tenant.id, redo, "resubmit", "--reason", "blurry", "--json", code=1)
    assert "steps" in out["error"]
    assert flow.get(redo)["status"] == "in_review"
    out = run(
        "kyc",
        "decide",
        tenant.id,
        redo,
        "resubmit",
        "--reason",
        "blurry passport photo",
        "--step",
        "document",
        "--json",
    )
    assert out["final_decision"] == "resubmit"
    after = flow.get(redo)
    assert after["status"] == "resubmission_requested"
    assert after["resubmission_steps"] == ["document"]


def test_decide_refusals(
    run: Run, flow: Flow, client: TestClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    applicant_id = in_review(flow, 4)
    bad = run(
        "kyc", "decide", tenant.id, applicant_id, "maybe", "--reason", "hmm", "--json", code=2
    )
    assert "approve, reject or resubmit" in bad["error"]
    # Another tenant's applicant has no open review as far as that tenant can tell.
    out = run(
        "kyc",
        "decide",
        other_tenant.id,
        applicant_id,
        "approve",
        "--reason",
        "mine",
        "--json",
        code=1,
    )
    assert "no open review" in out["error"]
    # Claimed by a reviewer through the API: the operator cannot take it over.
    rid = client.get("/v1/reviews", headers=tenant.headers).json()["data"][0]["id"]
    assert client.post(f"/v1/reviews/{rid}/claim", headers=tenant.headers).status_code == 200
    out = run(
        "kyc", "decide", tenant.id, applicant_id, "approve", "--reason", "ok ok", "--json", code=1
    )
    assert "claimed" in out["error"]
    assert flow.get(applicant_id)["status"] == "in_review"


def test_decide_four_eyes_needs_a_second_person(
    run: Run, flow: Flow, client: TestClient, tenant: TenantHandle
) -> None:
    applicant_id = in_review(flow, 5, level="enhanced")
    first = run("kyc", "decide", tenant.id, applicant_id, "approve", "--reason", "fine", "--json")
    assert first["status"] == "awaiting_second" and first["final_decision"] is None
    assert flow.get(applicant_id)["status"] == "in_review"
    again = run(
        "kyc", "decide", tenant.id, applicant_id, "approve", "--reason", "fine", "--json", code=1
    )
    assert "someone else" in again["error"]
    # A second person, through the API, confirms.
    rid = first["review_id"]
    assert client.post(f"/v1/reviews/{rid}/claim", headers=tenant.headers).status_code == 200
    r = client.post(
        f"/v1/reviews/{rid}/decision",
        headers=tenant.headers,
        json={"decision": "approve", "reason": "agreed"},
    )
    assert r.status_code == 200 and r.json()["status"] == "decided"
    assert flow.get(applicant_id)["status"] == "approved"


def test_reverify(run: Run, flow: Flow, platform: Platform, receiver: Receiver) -> None:
    assert run("kyc", "reverify", "--json") == {"DOCUMENT_EXPIRING": 0, "PERIODIC_REVIEW_DUE": 0}
    expiring = flow.create(
        profile={"id_expiry_date": (utcnow() + timedelta(days=5)).date().isoformat()}
    )
    due = flow.create(
        profile={
            "id_number": ric("110105", "19900101", 900),
            "phone": "+8613800138900",
            "email": "due@example.com",
        }
    )
    fine = flow.create(
        profile={
            "id_number": ric("110105", "19900101", 901),
            "phone": "+8613800138901",
            "email": "fine@example.com",
        }
    )
    for a in (expiring, due, fine):
        flow.verify_phone(a["id"])
        assert flow.submit(a["id"])["status"] == "approved"
    with platform.db.session() as session:
        session.execute(
            update(Applicant)
            .where(Applicant.id == due["id"])
            .values(next_review_at=utcnow() - timedelta(hours=1))
        )
    assert run("kyc", "reverify", "--json") == {"DOCUMENT_EXPIRING": 1, "PERIODIC_REVIEW_DUE": 1}
    assert flow.get(expiring["id"])["status"] == "reverification_required"
    assert flow.get(expiring["id"])["resubmission_steps"] == ["document"]
    assert [r["code"] for r in flow.get(due["id"])["reasons"]] == ["PERIODIC_REVIEW_DUE"]
    assert flow.get(fine["id"])["status"] == "approved"
    # Idempotent: a second run finds nothing new.
    assert run("kyc", "reverify", "--json") == {"DOCUMENT_EXPIRING": 0, "PERIODIC_REVIEW_DUE": 0}
