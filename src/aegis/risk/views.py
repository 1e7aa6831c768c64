"""What the risk endpoints need beyond a decision: intake with the tenant's clock skew,
ISO 20022 routing, explanations, labels and alerts. No HTTP here."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.orm import Session

from aegis.auth.context import Ctx
from aegis.errors import FieldError, NotFound, UnsupportedMediaType, ValidationFailed
from aegis.ids import has_prefix, new_id
from aegis.kit.pagination import Page, PageRequest
from aegis.kit.time import utcnow
from aegis.risk.decisions import Decided, DecisionService
from aegis.risk.intake import IntakeRejected, TransactionIn, to_transaction
from aegis.risk.iso20022 import (
    Iso20022Error,
    MessageKind,
    ParseOptions,
    detect,
    parse_pacs002_json,
    parse_pacs002_xml,
    parse_pacs008_json,
    parse_pacs008_xml,
)
from aegis.risk.model import Transaction
from aegis.risk.models import RiskAlert, RiskDecision, RiskLabel
from aegis.risk.repository import (
    AlertRepository,
    DecisionRepository,
    LabelRepository,
    TransactionRepository,
)
from aegis.risk.runtime import label_of
from aegis.risk.schemas import LabelIn
from aegis.storage.db import after_commit

if TYPE_CHECKING:
    from aegis.platform import Platform


def _iso_problem(exc: Iso20022Error) -> ValidationFailed:
    return ValidationFailed(
        f"The ISO 20022 message is not valid: {len(exc.errors)} problem(s).",
        errors=[FieldError(path, detail, "iso20022") for path, detail in exc.errors[:50]],
    )


def _json_problem(exc: PydanticValidationError) -> ValidationFailed:
    return ValidationFailed(
        "The message is neither a pacs.008 nor a pacs.002 nor a transaction.",
        errors=[
            FieldError("/" + "/".join(str(part) for part in e["loc"]), e["msg"], e["type"])
            for e in exc.errors()[:50]
        ],
    )


def _model(score: dict[str, Any] | None) -> dict[str, Any] | None:
    if score is None:
        return None
    return {"version": score["version"], "score": score["score"], "reasons": score["reasons"]}


class RiskViews:
    def __init__(self, platform: Platform, decisions: DecisionService) -> None:
        self.platform = platform
        self.service = decisions
        self.audit = platform.audit

    def _skew(self, session: Session, ctx: Ctx) -> dt.timedelta:
        runtime = self.platform.risk.tenant(session, ctx.tenant_id)
        return dt.timedelta(seconds=runtime.settings.risk_max_future_skew_seconds)

    def intake(self, session: Session, ctx: Ctx, body: TransactionIn) -> Transaction:
        return to_transaction(body, now=utcnow(), max_future_skew=self._skew(session, ctx))

    def intake_now(self, ctx: Ctx, body: TransactionIn) -> Transaction:
        """``intake`` on the event loop, after ``DecisionService.ready``: the skew comes from
        the tenant's runtime."""
        seconds = self.platform.risk.settled(ctx.tenant_id).settings.risk_max_future_skew_seconds
        return to_transaction(body, now=utcnow(), max_future_skew=dt.timedelta(seconds=seconds))

    def iso20022(
        self, session: Session, ctx: Ctx, data: bytes, content_type: str
    ) -> list[Decided] | dict[str, list[str]]:
        options = ParseOptions(now=utcnow(), max_future_skew=self._skew(session, ctx))
        try:
            kind = detect(data, content_type)
            if kind is MessageKind.PACS002_XML or kind is MessageKind.PACS002_JSON:
                parse = parse_pacs002_xml if kind is MessageKind.PACS002_XML else parse_pacs002_json
                return {"updated": self._statuses(session, ctx, parse(data, options=options))}
            if kind is MessageKind.PACS008_XML:
                txs = parse_pacs008_xml(data, options=options)
            elif kind is MessageKind.PACS008_JSON:
                txs = parse_pacs008_json(data, options=options)
            else:
                txs = [self.intake(session, ctx, TransactionIn.model_validate_json(data))]
        except PydanticValidationError as exc:
            # JSON that is neither Tazama's pacs form nor our transaction: say what is wrong.
            raise _json_problem(exc) from None
        except Iso20022Error as exc:
            if exc.errors and exc.errors[0][0] == "/" and "content type" in exc.errors[0][1]:
                raise UnsupportedMediaType(exc.errors[0][1]) from None
            raise _iso_problem(exc) from None
        except IntakeRejected as exc:
            raise exc.to_problem() from None
        return [self.service.decide(session, ctx, tx, source="pacs.008") for tx in txs]

    def _statuses(self, session: Session, ctx: Ctx, statuses: list[Any]) -> list[str]:
        repo = TransactionRepository(session, ctx.tenant_id)
        ids = [s.transaction_id for s in statuses if s.transaction_id]
        rows = {row.external_id: row for row in repo.by_external_ids(ids)}
        updated = []
        for report in statuses:
            row = rows.get(report.transaction_id or "")
            if row is None:
                continue  # a payment this tenant never sent us: nothing to update
            state = "settled" if report.settled else "rejected" if report.rejected else row.status
            repo.set_status(row.id, state, report.status)
            updated.append(row.id)
            self.audit.record(
                session,
                ctx,
                action="risk.transaction_status",
                target_type="transaction",
                target_id=row.id,
                details={"status": report.status, "reason": report.reason_code},
            )
        return updated

    # --- decisions ------------------------------------------------------------------
    def decision(self, decided: Decided) -> dict[str, Any]:
        return {
            **self._decision(decided.decision, decided.evidence),
            "replayed": decided.replayed,
        }

    def _decision(
        self, row: RiskDecision, evidence: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        evidence = evidence if evidence is not None else self.service.evidence(row)
        executions = {e["rule_id"]: e for e in evidence["rules"]["executions"]}
        return {
            "id": row.id,
            "transaction_id": row.transaction_id,
            "external_id": row.external_id,
            "outcome": row.outcome,
            "score": row.score,
            "rule_set": row.rule_set,
            "rule_set_version": row.rule_set_version,
            "reasons": [
                {
                    "rule_id": rule_id,
                    "name": executions[rule_id]["name"],
                    "score": executions[rule_id]["score"],
                    "outcome": executions[rule_id]["outcome"],
                }
                for rule_id in row.rules_hit
                if rule_id in executions
            ],
            "model": _model(evidence.get("model")),
            "replayed": False,
            "duration_us": row.duration_us,
            "created_at": row.created_at,
        }

    def explain(self, session: Session, ctx: Ctx, decision_id: str) -> dict[str, Any]:
        row = self.service.get(session, ctx, decision_id)
        evidence = self.service.evidence(row)
        tx = TransactionRepository(session, ctx.tenant_id).get(row.transaction_id)
        rules = evidence["rules"]
        return {
            **self._decision(row, evidence),
            "score_outcome": rules["score_outcome"],
            "decided_by": list(rules.get("decided_by", [])),
            "executions": rules["executions"],
            "features": evidence["features"],
            "lists": evidence["lists"],
            "challenger": _model(evidence.get("challenger")),
            "transaction_status": tx.status if tx else "decided",
        }

    def decisions(
        self, session: Session, ctx: Ctx, page: PageRequest, *, outcome: str | None
    ) -> Page[dict[str, Any]]:
        result = DecisionRepository(session, ctx.tenant_id).page(page, outcome=outcome)
        return Page([self._decision(row) for row in result.items], result.next_cursor)

    # --- labels and alerts ----------------------------------------------------------
    def label(self, session: Session, ctx: Ctx, body: LabelIn) -> dict[str, Any]:
        repo = TransactionRepository(session, ctx.tenant_id)
        tx = (
            repo.get(body.transaction_id)
            if has_prefix(body.transaction_id, "txn")
            else repo.by_external_id(body.transaction_id)
        )
        if tx is None:
            raise NotFound(f"transaction {body.transaction_id} not found")
        runtime = self.platform.risk.tenant(session, ctx.tenant_id)
        reported = (body.reported_at or utcnow()).astimezone(dt.UTC)
        row = RiskLabel(
            id=new_id("lbl"),
            tenant_id=ctx.tenant_id,
            transaction_id=tx.id,
            external_id=tx.external_id,
            kind=body.kind,
            reported_at=reported,
            usable_at=reported + dt.timedelta(days=runtime.settings.risk_label_delay_days),
            created_by=ctx.actor_ref,
        )
        LabelRepository(session, ctx.tenant_id).add(row)
        self.audit.record(
            session, ctx, action="risk.label_added", target_type="transaction",
            target_id=tx.id, details={"kind": body.kind},
        )  # fmt: skip
        label = label_of(row)
        after_commit(session, lambda: runtime.engine.add_label(label))
        return {
            "id": row.id,
            "transaction_id": tx.id,
            "external_id": tx.external_id,
            "kind": row.kind,
            "reported_at": row.reported_at,
            "usable_at": row.usable_at,
        }

    def alerts(
        self, session: Session, ctx: Ctx, page: PageRequest, *, status: str | None
    ) -> Page[RiskAlert]:
        return AlertRepository(session, ctx.tenant_id).page(page, status=status)
