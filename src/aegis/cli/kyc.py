"""``aegis kyc``: create, inspect and decide applicants without the server."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from aegis.auth.context import Actor, Ctx, Scope
from aegis.cli.context import open_platform
from aegis.cli.output import emit, fail
from aegis.cli.verify import verify as verify_cmd
from aegis.errors import AegisError
from aegis.kit.pagination import PageRequest
from aegis.kyc.schemas import ApplicantCreate
from aegis.services import Services

kyc_app = typer.Typer(help="KYC applicants: create, inspect, decide.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def _ctx(tenant_id: str) -> Ctx:
    actor = Actor("cli", os.environ.get("USER", "operator"))
    return Ctx(tenant_id, actor, None, frozenset(Scope))


def _out(services: Services, session: Any, row: Any) -> dict[str, Any]:
    from aegis.kyc.endpoints import applicant_out

    return applicant_out(services.applicants, session, row).model_dump(mode="json")


@kyc_app.command("create")
def create(
    tenant_id: str,
    file: Annotated[Path, typer.Argument(help="JSON body, as for POST /v1/applicants.")],
    as_json: JsonOpt = False,
) -> None:
    """Create an applicant from a JSON file."""
    try:
        spec = ApplicantCreate.model_validate_json(file.read_text())
    except (OSError, ValidationError) as exc:
        fail(f"{file}: not a valid applicant ({type(exc).__name__})", as_json=as_json, code=2)
    platform = open_platform(as_json=as_json)
    services = Services.build(platform)
    try:
        with platform.db.session() as session:
            row = services.applicants.create(session, _ctx(tenant_id), spec)
            data = _out(services, session, row)
    except AegisError as exc:
        fail(exc.detail, as_json=as_json)
    emit(data, as_json=as_json, human=f"{data['id']}: {data['status']}")


@kyc_app.command("show")
def show(tenant_id: str, applicant_id: str, as_json: JsonOpt = False) -> None:
    """An applicant with its checks and history."""
    from aegis.kyc.repository import CheckRepository, HistoryRepository

    platform = open_platform(as_json=as_json, migrate=False)
    services = Services.build(platform)
    try:
        with platform.db.session(write=False) as session:
            row = services.applicants.get(session, _ctx(tenant_id), applicant_id)
            data = _out(services, session, row)
            data["checks"] = [
                {"check": c.check, "outcome": c.outcome, "codes": c.codes, "attempt": c.attempt}
                for c in CheckRepository(session, tenant_id).for_applicant(row.id)
            ]
            data["history"] = [
                {"from": h.from_status, "to": h.to_status, "codes": h.codes, "actor": h.actor}
                for h in HistoryRepository(session, tenant_id).for_applicant(row.id)
            ]
    except AegisError as exc:
        fail(exc.detail, as_json=as_json)
    human = (
        f"{data['id']} [{data['status']}] level={data['level']} attempt={data['attempt']}\n"
        + "\n".join(
            f"  {c['check']}: {c['outcome']} {' '.join(c['codes'])}" for c in data["checks"]
        )
    )
    emit(data, as_json=as_json, human=human)


@kyc_app.command("list")
def list_(
    tenant_id: str,
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    limit: int = 50,
    as_json: JsonOpt = False,
) -> None:
    platform = open_platform(as_json=as_json, migrate=False)
    services = Services.build(platform)
    with platform.db.session(write=False) as session:
        page = services.applicants.list_page(
            session, _ctx(tenant_id), PageRequest(limit=limit), status=status
        )
        rows = [
            {"id": r.id, "status": r.status, "level": r.level, "risk": r.risk_rating}
            for r in page.items
        ]
    emit(
        {"applicants": rows},
        as_json=as_json,
        human="\n".join(f"{r['id']}  {r['status']:<24} {r['level']}" for r in rows) or "none",
    )


@kyc_app.command("decide")
def decide(
    tenant_id: str,
    applicant_id: str,
    decision: Annotated[str, typer.Argument(help="approve, reject or resubmit")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")],
    step: Annotated[list[str], typer.Option("--step", help="For resubmit: a step to redo.")] = [],  # noqa: B006
    as_json: JsonOpt = False,
) -> None:
    """Decide the open review of an applicant as the operator (claims it first)."""
    from aegis.kyc.repository import ReviewRepository

    if decision not in ("approve", "reject", "resubmit"):
        fail("decision must be approve, reject or resubmit", as_json=as_json, code=2)
    platform = open_platform(as_json=as_json)
    services = Services.build(platform)
    ctx = _ctx(tenant_id)
    try:
        with platform.db.session() as session:
            review = ReviewRepository(session, tenant_id).open_for(applicant_id)
            if review is None:
                fail(f"no open review for {applicant_id}", as_json=as_json)
                return
            services.reviews.claim(session, ctx, review.id)
            review = services.reviews.decide(
                session, ctx, review.id, decision=decision, reason=reason, steps=list(step)
            )
            data = {
                "review_id": review.id,
                "status": review.status,
                "final_decision": review.final_decision,
            }
    except AegisError as exc:
        fail(exc.detail, as_json=as_json)
    emit(data, as_json=as_json, human=json.dumps(data))


@kyc_app.command("reverify")
def reverify(as_json: JsonOpt = False) -> None:
    """Run the re-verification scan now (the worker also runs it on a timer)."""
    from aegis.kyc.reverification import scan

    platform = open_platform(as_json=as_json)
    counts = scan(Services.build(platform).applicants)
    emit(counts, as_json=as_json, human=", ".join(f"{k}: {v}" for k, v in counts.items()))


kyc_app.command("verify")(verify_cmd)
