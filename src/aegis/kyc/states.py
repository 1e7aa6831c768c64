"""The applicant status machine, as data: which transitions exist and nothing else."""

from __future__ import annotations

from enum import StrEnum

from aegis.errors import InvalidState


class Status(StrEnum):
    CREATED = "created"
    COLLECTING = "collecting"
    SUBMITTED = "submitted"
    CHECKING = "checking"
    APPROVED = "approved"
    REJECTED = "rejected"
    IN_REVIEW = "in_review"
    RESUBMISSION_REQUESTED = "resubmission_requested"
    EXPIRED = "expired"
    REVERIFICATION_REQUIRED = "reverification_required"


S = Status
# Every live state may go to rejected: a confirmed sanctions match blocks the customer
# wherever they are (a list can change under an approved customer).
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.CREATED: frozenset({S.COLLECTING, S.EXPIRED, S.REJECTED}),
    S.COLLECTING: frozenset({S.SUBMITTED, S.EXPIRED, S.REJECTED}),
    S.SUBMITTED: frozenset({S.CHECKING, S.REJECTED}),
    S.CHECKING: frozenset({S.APPROVED, S.REJECTED, S.IN_REVIEW, S.RESUBMISSION_REQUESTED}),
    S.IN_REVIEW: frozenset({S.APPROVED, S.REJECTED, S.RESUBMISSION_REQUESTED}),
    S.RESUBMISSION_REQUESTED: frozenset({S.SUBMITTED, S.REJECTED, S.EXPIRED}),
    S.APPROVED: frozenset({S.REVERIFICATION_REQUIRED, S.EXPIRED, S.REJECTED}),
    S.REVERIFICATION_REQUIRED: frozenset({S.SUBMITTED, S.EXPIRED, S.REJECTED}),
    S.REJECTED: frozenset(),
    S.EXPIRED: frozenset(),
}

# While in these states the applicant (through the partner) may change data and uploads.
EDITABLE = frozenset({S.CREATED, S.COLLECTING, S.RESUBMISSION_REQUESTED, S.REVERIFICATION_REQUIRED})
SUBMITTABLE = frozenset({S.COLLECTING, S.RESUBMISSION_REQUESTED, S.REVERIFICATION_REQUIRED})


def ensure_transition(current: Status, target: Status) -> None:
    if target not in TRANSITIONS[current]:
        raise InvalidState(f"an applicant cannot go from {current.value} to {target.value}")
