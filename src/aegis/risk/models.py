"""Risk tables: transactions and their decisions, rule sets, allow/block lists, labels,
models, alerts and account restrictions. All tenant-owned.

Transactions carry names, accounts, IPs and devices: the transaction as received is one
vault value. Decisions keep their outcome, scores and versions in the clear (for queries and
metrics) and their evidence (every rule execution with the values it saw, the features, the
model's reasons) encrypted, since those values describe a person's behaviour.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from aegis.kit.models import TenantOwned, TimestampMixin
from aegis.privacy.registry import encrypted_columns
from aegis.storage.db import Base, UTCDateTime


@encrypted_columns("data_enc")
class RiskTransaction(TenantOwned, Base):
    __tablename__ = "risk_transactions"
    __table_args__ = (
        Index("ix_risk_transactions_external", "tenant_id", "external_id", unique=True),
        Index("ix_risk_transactions_customer", "tenant_id", "customer_ref", "occurred_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # txn_
    external_id: Mapped[str] = mapped_column(String(100))  # the partner's id
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    type: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    # A keyed hash of the customer reference: lookups without the reference in the clear.
    customer_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    source: Mapped[str] = mapped_column(String(16))  # json | pacs.008 | stream
    status: Mapped[str] = mapped_column(String(16))  # decided | settled | rejected
    status_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # sha256 of the normalised transaction: the same id with another body is a conflict.
    fingerprint: Mapped[str] = mapped_column(String(64))
    decision_id: Mapped[str] = mapped_column(String(40))
    data_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


@encrypted_columns("evidence_enc")
class RiskDecision(TenantOwned, Base):
    __tablename__ = "risk_decisions"
    __table_args__ = (Index("ix_risk_decisions_outcome", "tenant_id", "outcome", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # dec_
    transaction_id: Mapped[str] = mapped_column(String(40), index=True)
    external_id: Mapped[str] = mapped_column(String(100))  # the partner's transaction id
    outcome: Mapped[str] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(Integer)  # the rules' total score
    rule_set: Mapped[str | None] = mapped_column(String(64), nullable=True)
    rule_set_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rules_hit: Mapped[list[str]] = mapped_column(JSON, default=list)
    model_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    model_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    challenger_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    challenger_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    duration_us: Mapped[int] = mapped_column(Integer)
    evidence_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RiskRuleSet(TenantOwned, TimestampMixin, Base):
    """A version of a tenant's rule set: drafts are edited, a published version is frozen;
    publishing a draft makes it the version every decision uses from then on."""

    __tablename__ = "risk_rule_sets"
    __table_args__ = (
        Index("ix_risk_rule_sets_version", "tenant_id", "name", "version", unique=True),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # rls_
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # draft | published | retired
    body: Mapped[dict[str, Any]] = mapped_column(JSON)  # rules and thresholds
    created_by: Mapped[str] = mapped_column(String(120))
    published_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


@encrypted_columns("value_enc")
class RiskListEntry(TenantOwned, TimestampMixin, Base):
    __tablename__ = "risk_list_entries"
    __table_args__ = (Index("ix_risk_list_entries_value", "tenant_id", "kind", "value_bidx"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # rle_
    list_type: Mapped[str] = mapped_column(String(8))  # allow | block
    # account | card | device | ip | country | customer
    kind: Mapped[str] = mapped_column(String(16))
    value_enc: Mapped[str] = mapped_column(Text)
    value_bidx: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[str] = mapped_column(String(120))


class RiskLabel(TenantOwned, Base):
    __tablename__ = "risk_labels"
    __table_args__ = (Index("ix_risk_labels_usable", "tenant_id", "usable_at"),)
    # Each process feeds labels to its own feature state by id order (see runtime.py).

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # lbl_ (time-ordered)
    transaction_id: Mapped[str] = mapped_column(String(40), index=True)  # txn_
    external_id: Mapped[str] = mapped_column(String(100))  # the partner's transaction id
    kind: Mapped[str] = mapped_column(String(20))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    usable_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(120))


class RiskModel(TenantOwned, Base):
    __tablename__ = "risk_models"
    __table_args__ = (Index("ix_risk_models_status", "tenant_id", "status"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # mdl_
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # candidate | champion | challenger | retired
    artifact: Mapped[bytes] = mapped_column(LargeBinary)
    info: Mapped[dict[str, Any]] = mapped_column(JSON)  # features, window, metrics
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class RiskAlert(TenantOwned, Base):
    """A decision that needs a person (review, step_up, decline): what the cases consume."""

    __tablename__ = "risk_alerts"
    __table_args__ = (Index("ix_risk_alerts_status", "tenant_id", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # alr_
    source: Mapped[str] = mapped_column(String(32))  # risk_decision
    decision_id: Mapped[str] = mapped_column(String(40), index=True)
    transaction_id: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # open | closed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccountRestriction(TenantOwned, TimestampMixin, Base):
    """A customer's account frozen or limited. Every decision for a frozen account is a
    decline, whatever else is true."""

    __tablename__ = "risk_account_restrictions"
    __table_args__ = (
        Index("ix_risk_account_restrictions_ref", "tenant_id", "customer_ref", unique=True),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # rst_
    customer_ref: Mapped[str] = mapped_column(String(64))  # keyed hash of the customer id
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    limit_amount: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str] = mapped_column(String(500))
    updated_by: Mapped[str] = mapped_column(String(120))


class StepUp(TenantOwned, Base):
    """A second factor asked for a ``step_up`` decision: a one-time code sent to the
    customer's verified phone (the KYC phone verification's code machinery)."""

    __tablename__ = "risk_step_ups"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # stp_
    decision_id: Mapped[str] = mapped_column(String(40), index=True)
    applicant_id: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))  # pending | passed | failed
    state: Mapped[dict[str, Any]] = mapped_column(JSON)  # the OTP challenge (hashed code)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
