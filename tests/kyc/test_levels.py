"""Verification levels (defaults, publishing, versions an applicant keeps), the decision
policy as a pure function, and the status machine, exhaustively."""

from __future__ import annotations

import random
from collections import deque
from itertools import pairwise, product
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from aegis.checks.result import CheckResult, Outcome
from aegis.errors import InvalidState
from aegis.kyc.levels import DEFAULT_LEVELS, Check, LevelPolicy, Step
from aegis.kyc.media_steps import MEDIA_CHECK_STEPS
from aegis.kyc.models import Applicant, ApplicantHistory, VerificationLevel
from aegis.kyc.policy import CHECK_GROUPS, CHECK_STEPS, Decision, Verdict, decide
from aegis.kyc.reasons import REASONS, Severity
from aegis.kyc.service import ApplicantService
from aegis.kyc.states import EDITABLE, SUBMITTABLE, TRANSITIONS, Status, ensure_transition
from aegis.platform import Platform
from tests.kyc.conftest import Flow
from tests.kyc.ids import ric
from tests.support.tenants import TenantHandle

# ---------------------------------------------------------------------------------------------
# Over the API


def test_defaults_are_listed_with_version_zero(
    flow: Flow, client: TestClient, tenant: TenantHandle
) -> None:
    r = client.get("/v1/verification-levels", headers=tenant.headers)
    assert r.status_code == 200
    levels = {lv["name"]: lv for lv in r.json()}
    assert set(levels) == {"basic", "standard", "enhanced"}
    assert {lv["version"] for lv in levels.values()} == {0}
    basic, standard, enhanced = levels["basic"], levels["standard"], levels["enhanced"]
    assert basic["steps"] == ["identity_data", "id_number", "phone"]
    assert standard["steps"] == [*basic["steps"], "document", "selfie"]
    assert enhanced["steps"] == [*standard["steps"], "proof_of_address", "sanctions"]
    assert {"id_number", "phone", "phone_ownership", "registry", "duplicates"} <= set(
        basic["checks"]
    )
    assert set(standard["checks"]) - set(basic["checks"]) == {"documents"}
    assert set(enhanced["checks"]) - set(standard["checks"]) == {"sanctions"}
    assert enhanced["four_eyes"] is True and basic["four_eyes"] is False
    assert basic["thresholds"]["periodic_review_days"] == {"high": 365, "medium": 730, "low": 1095}
    one = client.get("/v1/verification-levels/standard", headers=tenant.headers).json()
    assert one == standard
    missing = client.get("/v1/verification-levels/platinum", headers=tenant.headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


def _key(client: TestClient, tenant: TenantHandle, scope: str) -> dict[str, str]:
    r = client.post("/v1/api-keys", headers=tenant.headers, json={"name": scope, "scopes": [scope]})
    return {"Authorization": f"Bearer {r.json()['secret']}"}


def _level_rows(platform: Platform) -> int:
    with platform.db.session(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(VerificationLevel)) or 0)


def test_publishing_needs_admin_and_versions_increment(
    flow: Flow, client: TestClient, platform: Platform, tenant: TenantHandle
) -> None:
    body = {"name": "basic", "steps": ["identity_data", "id_number"], "checks": ["id_number"]}
    for scope in ("kyc:write", "kyc:review", "read"):
        r = client.post("/v1/verification-levels", headers=_key(client, tenant, scope), json=body)
        assert r.status_code == 403, r.text
        assert r.json()["type"].endswith(":forbidden")
    assert _level_rows(platform) == 0

    versions = []
    for description in ("first", "second", "third"):
        r = client.post(
            "/v1/verification-levels",
            headers=tenant.headers,
            json={**body, "description": description},
        )
        assert r.status_code == 201, r.text
        versions.append(r.json()["version"])
    assert versions == [1, 2, 3]
    latest = client.get("/v1/verification-levels/basic", headers=tenant.headers).json()
    assert latest["version"] == 3 and latest["description"] == "third"
    # Versions count per level name.
    r = client.post(
        "/v1/verification-levels", headers=tenant.headers, json={**body, "name": "gold-2"}
    )
    assert r.json()["version"] == 1
    listed = {
        lv["name"]: lv["version"]
        for lv in client.get("/v1/verification-levels", headers=tenant.headers).json()
    }
    assert listed == {"basic": 3, "enhanced": 0, "gold-2": 1, "standard": 0}
    assert _level_rows(platform) == 4


INVALID_LEVELS: list[tuple[dict[str, Any], str]] = [
    ({"steps": [], "checks": []}, "#/name"),
    ({"name": "Gold Level", "steps": [], "checks": []}, "#/name"),
    ({"name": "g", "steps": [], "checks": []}, "#/name"),
    ({"name": "gold", "checks": []}, "#/steps"),
    ({"name": "gold", "steps": []}, "#/checks"),
    ({"name": "gold", "steps": ["retina_scan"], "checks": []}, "#/steps/0"),
    ({"name": "gold", "steps": "phone", "checks": []}, "#/steps"),
    ({"name": "gold", "steps": [], "checks": ["id_number", "horoscope"]}, "#/checks/1"),
    (
        {"name": "gold", "steps": [], "checks": [], "outcomes": {"email": "approve"}},
        "#/outcomes/email",
    ),
    (
        {"name": "gold", "steps": [], "checks": [], "outcomes": {"tarot": "reject"}},
        "#/outcomes/tarot",
    ),
    ({"name": "gold", "steps": [], "checks": [], "four_eyes_risk": "low"}, "#/four_eyes_risk"),
    ({"name": "gold", "steps": [], "checks": [], "four_eyes": "sometimes"}, "#/four_eyes"),
    ({"name": "gold", "steps": [], "checks": [], "auto_approve": True}, "#/auto_approve"),
    (
        {"name": "gold", "steps": [], "checks": [], "thresholds": {"max_resubmissions": 21}},
        "#/thresholds/max_resubmissions",
    ),
    (
        {"name": "gold", "steps": [], "checks": [], "thresholds": {"review_sla_hours": 0}},
        "#/thresholds/review_sla_hours",
    ),
    (
        {
            "name": "gold",
            "steps": [],
            "checks": [],
            "thresholds": {"velocity": [{"key": "ip", "window_seconds": 10, "max_count": 5}]},
        },
        "#/thresholds/velocity/0/window_seconds",
    ),
    (
        {
            "name": "gold",
            "steps": [],
            "checks": [],
            "thresholds": {"velocity": [{"key": "country", "window_seconds": 60, "max_count": 5}]},
        },
        "#/thresholds/velocity/0/key",
    ),
    (
        {
            "name": "gold",
            "steps": [],
            "checks": [],
            "thresholds": {"periodic_review_days": {"high": 0}},
        },
        "#/thresholds/periodic_review_days/high",
    ),
    (
        {"name": "gold", "steps": [], "checks": [], "thresholds": {"nap_time": 3}},
        "#/thresholds/nap_time",
    ),
]


@pytest.mark.parametrize(("body", "pointer"), INVALID_LEVELS, ids=[p for _, p in INVALID_LEVELS])
def test_invalid_level_definitions(
    body: dict[str, Any],
    pointer: str,
    flow: Flow,
    client: TestClient,
    platform: Platform,
    tenant: TenantHandle,
) -> None:
    r = client.post("/v1/verification-levels", headers=tenant.headers, json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith(":validation")
    pointers = [e["pointer"] for e in r.json()["errors"]]
    assert any(p == pointer or p.startswith(pointer + "/") for p in pointers), pointers
    assert _level_rows(platform) == 0


def _disposable(seq: int) -> dict[str, Any]:
    return {
        "id_number": ric("110105", "19900101", 700 + seq),
        "phone": f"+86138001387{seq:02d}",
        "email": f"throwaway{seq}@mailinator.com",
    }


def test_applicant_keeps_the_version_it_started_with(
    flow: Flow, client: TestClient, tenant: TenantHandle
) -> None:
    """v0 sends a disposable e-mail to review and needs a verified phone; v1 (published while
    the first applicant is under way) rejects it and asks no phone. Each applicant is decided
    by its own version."""
    old = flow.create(profile=_disposable(1))
    assert old["level_version"] == 0 and old["missing_steps"] == ["phone"]
    v1 = {
        "name": "basic",
        "steps": ["identity_data", "id_number"],
        "checks": ["id_number", "email", "registry", "duplicates"],
        "outcomes": {"email": "reject"},
    }
    r = client.post("/v1/verification-levels", headers=tenant.headers, json=v1)
    assert r.status_code == 201 and r.json()["version"] == 1
    new = flow.create(profile=_disposable(2))
    assert new["level_version"] == 1 and new["missing_steps"] == []
    assert flow.get(old["id"])["missing_steps"] == ["phone"]  # still v0's steps

    flow.verify_phone(old["id"])
    decided_old = flow.submit(old["id"])
    decided_new = flow.submit(new["id"])
    assert decided_old["status"] == "in_review" and decided_old["level_version"] == 0
    assert decided_new["status"] == "rejected" and decided_new["level_version"] == 1
    assert [x["code"] for x in decided_new["reasons"]] == ["DISPOSABLE_EMAIL"]
    assert "phone_ownership" in flow.checks(old["id"])
    assert set(flow.checks(new["id"])) == {"id_number", "email", "registry", "duplicates"}

    # A later version changes neither of them, nor how a resubmission of the old one is judged.
    r = client.post("/v1/verification-levels", headers=tenant.headers, json={**v1, "outcomes": {}})
    assert r.json()["version"] == 2
    assert flow.get(old["id"])["level_version"] == 0
    assert flow.get(new["id"])["level_version"] == 1


def test_a_published_level_can_be_used_by_name(
    flow: Flow, client: TestClient, tenant: TenantHandle
) -> None:
    body = {
        "name": "phone-only",
        "steps": ["identity_data", "phone"],
        "checks": ["phone", "phone_ownership"],
    }
    assert (
        client.post("/v1/verification-levels", headers=tenant.headers, json=body).status_code == 201
    )
    a = flow.create(level="phone-only", profile=_disposable(3) | {"email": "ok3@example.com"})
    assert a["level"] == "phone-only" and a["level_version"] == 1
    assert a["missing_steps"] == ["phone"]
    flow.verify_phone(a["id"])
    assert flow.submit(a["id"])["status"] == "approved"
    assert set(flow.checks(a["id"])) == {"phone", "phone_ownership"}


# ---------------------------------------------------------------------------------------------
# The decision policy: pure


BASIC = DEFAULT_LEVELS["basic"]


def level(**changes: Any) -> LevelPolicy:
    return BASIC.model_copy(update=changes)


def passed(*checks: str) -> list[CheckResult]:
    return [CheckResult.passed(c) for c in checks]


ALL_PASS = passed("id_number", "phone", "phone_ownership", "email", "registry", "duplicates")


def test_everything_passes_approved() -> None:
    assert decide(BASIC, ALL_PASS, attempts_left=3) == Decision(Verdict.APPROVED, ())
    assert decide(BASIC, ALL_PASS, attempts_left=0).verdict is Verdict.APPROVED
    assert decide(BASIC, [], attempts_left=1).verdict is Verdict.APPROVED


def test_hard_fixable_asks_for_the_failed_steps_only() -> None:
    results = [
        *passed("phone", "email"),
        CheckResult.failed("id_number", "ID_NUMBER_DOB_MISMATCH"),
        CheckResult.failed("registry", "REGISTRY_MISMATCH"),
        CheckResult.failed("phone_ownership", "PHONE_NOT_VERIFIED"),
    ]
    d = decide(BASIC, results, attempts_left=2)
    assert d.verdict is Verdict.RESUBMIT
    assert d.codes == ("ID_NUMBER_DOB_MISMATCH", "REGISTRY_MISMATCH", "PHONE_NOT_VERIFIED")
    assert d.resubmit_steps == ("id_number", "phone")  # once each, in order


def test_hard_unfixable_rejects() -> None:
    results = [
        *passed("id_number"),
        CheckResult.failed("registry", "REGISTRY_DECEASED"),
        CheckResult.failed("phone", "PHONE_INVALID"),  # fixable, but a rejection wins
        CheckResult.review("duplicates", "DUPLICATE_IDENTITY"),
    ]
    d = decide(BASIC, results, attempts_left=3)
    assert d.verdict is Verdict.REJECTED and d.resubmit_steps == ()
    assert d.codes == ("REGISTRY_DECEASED", "PHONE_INVALID", "DUPLICATE_IDENTITY")


def test_one_unfixable_code_in_a_result_rejects_it() -> None:
    results = [CheckResult.failed("registry", "REGISTRY_MISMATCH", "REGISTRY_DECEASED")]
    assert decide(BASIC, results, attempts_left=3).verdict is Verdict.REJECTED


def test_soft_goes_to_review() -> None:
    for result in (
        CheckResult.review("duplicates", "DUPLICATE_IDENTITY"),
        CheckResult.review("email", "DISPOSABLE_EMAIL"),
        CheckResult.failed("id_number", "ID_NUMBER_REGION_UNKNOWN"),  # soft code, fail outcome
        CheckResult.failed("velocity"),  # a failure without a reason: a person looks
        CheckResult.review("registry", "REGISTRY_MISMATCH"),  # review outcome, even if hard
    ):
        d = decide(BASIC, [*ALL_PASS, result], attempts_left=3)
        assert d.verdict is Verdict.REVIEW, result
        assert d.codes == result.codes


def test_resubmission_beats_review() -> None:
    results = [
        CheckResult.review("duplicates", "DUPLICATE_IDENTITY"),
        CheckResult.failed("id_number", "ID_NUMBER_INVALID"),
    ]
    d = decide(BASIC, results, attempts_left=1)
    assert d.verdict is Verdict.RESUBMIT and d.resubmit_steps == ("id_number",)


def test_no_attempts_left_rejects_with_the_limit_reason() -> None:
    results = [*passed("phone"), CheckResult.failed("id_number", "ID_NUMBER_INVALID")]
    d = decide(BASIC, results, attempts_left=0)
    assert d == Decision(Verdict.REJECTED, ("ID_NUMBER_INVALID", "RESUBMISSION_LIMIT_REACHED"))
    assert decide(BASIC, results, attempts_left=-1).verdict is Verdict.REJECTED
    review = [CheckResult.review("duplicates", "DUPLICATE_IDENTITY")]
    assert decide(BASIC, review, attempts_left=0).verdict is Verdict.REVIEW


def test_outcome_overrides() -> None:
    disposable = CheckResult.review("email", "DISPOSABLE_EMAIL")
    deceased = CheckResult.failed("registry", "REGISTRY_DECEASED")
    invalid = CheckResult.failed("id_number", "ID_NUMBER_INVALID")
    strict = level(outcomes={Check.EMAIL: "reject"})
    assert decide(strict, [disposable], attempts_left=3).verdict is Verdict.REJECTED
    assert decide(strict, passed("email"), attempts_left=3).verdict is Verdict.APPROVED
    lenient = level(outcomes={Check.ID_NUMBER: "review"})
    assert decide(lenient, [invalid], attempts_left=3).verdict is Verdict.REVIEW
    second_chance = level(outcomes={Check.REGISTRY: "resubmit"})
    d = decide(second_chance, [deceased], attempts_left=3)
    assert d.verdict is Verdict.RESUBMIT and d.resubmit_steps == ("id_number",)
    assert decide(second_chance, [deceased], attempts_left=0).verdict is Verdict.REJECTED
    # An override for one check leaves the others to the default rules.
    assert decide(strict, [invalid], attempts_left=3).verdict is Verdict.RESUBMIT


def test_unknown_check_redoes_identity_data_and_unknown_codes_are_refused() -> None:
    d = decide(BASIC, [CheckResult.failed("palm_print", "PHONE_INVALID")], attempts_left=1)
    assert d.verdict is Verdict.RESUBMIT and d.resubmit_steps == ("identity_data",)
    with pytest.raises(KeyError, match="undocumented reason code"):
        decide(BASIC, [CheckResult.failed("id_number", "NOT_A_REAL_CODE")], attempts_left=1)


def test_every_check_maps_to_a_real_step() -> None:
    steps = {s.value for s in Step}
    assert set(CHECK_STEPS.values()) <= steps
    assert set(CHECK_STEPS) <= {c.value for c in Check} | set(MEDIA_CHECK_STEPS)
    # A level's `documents` outcome governs every image check.
    assert all(CHECK_GROUPS[name] is Check.DOCUMENTS for name in MEDIA_CHECK_STEPS)


def test_documents_outcome_covers_every_image_check() -> None:
    manual = BASIC.model_copy(update={"outcomes": {Check.DOCUMENTS: "review"}})
    failed = [CheckResult.failed("face_match", "FACE_MISMATCH")]
    assert decide(BASIC, failed, attempts_left=3).resubmit_steps == ("selfie",)
    assert decide(manual, failed, attempts_left=3).verdict is Verdict.REVIEW


CHECK_NAMES = [c.value for c in Check]
# Codes a check can report; the policy and the reviewers add the other two themselves.
CODES = sorted(set(REASONS) - {"RESUBMISSION_LIMIT_REACHED", "REVIEWER_REJECTED"})


@st.composite
def check_results(draw: st.DrawFn) -> CheckResult:
    check = draw(st.sampled_from(CHECK_NAMES))
    outcome = draw(st.sampled_from(list(Outcome)))
    if outcome is Outcome.PASS:
        return CheckResult.passed(check)
    codes = draw(st.lists(st.sampled_from(CODES), max_size=3, unique=True))
    return CheckResult(check, outcome, tuple(codes))


levels = st.builds(
    lambda outcomes, four_eyes: level(outcomes=outcomes, four_eyes=four_eyes),
    st.dictionaries(
        st.sampled_from(list(Check)), st.sampled_from(["reject", "resubmit", "review"])
    ),
    st.booleans(),
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(levels, st.lists(check_results(), max_size=8), st.integers(-1, 4), st.randoms())
def test_decision_properties(
    lv: LevelPolicy, results: list[CheckResult], attempts_left: int, rnd: random.Random
) -> None:
    d = decide(lv, results, attempts_left=attempts_left)
    failing = [r for r in results if r.outcome is not Outcome.PASS]
    # Never approved while any check has not passed; always approved when all did.
    assert (d.verdict is Verdict.APPROVED) == (not failing)
    if d.verdict is Verdict.APPROVED:
        assert d.codes == () and d.resubmit_steps == ()
    # Every code is documented and comes from a failing check (or the attempt limit).
    failing_codes = {c for r in failing for c in r.codes}
    assert set(d.codes) <= failing_codes | {"RESUBMISSION_LIMIT_REACHED"}
    assert set(d.codes) <= set(REASONS)
    assert len(d.codes) == len(set(d.codes))
    # Resubmission only with attempts left, and always says what to redo.
    if d.verdict is Verdict.RESUBMIT:
        assert attempts_left > 0 and d.resubmit_steps
        assert set(d.resubmit_steps) <= {s.value for s in Step}
    else:
        assert d.resubmit_steps == ()
    if "RESUBMISSION_LIMIT_REACHED" in d.codes:
        assert d.verdict is Verdict.REJECTED and attempts_left <= 0
    # Without overrides, a failed check with a hard unfixable reason always rejects.
    if not lv.outcomes and any(
        r.outcome is Outcome.FAIL
        and any(REASONS[c].severity is Severity.HARD and not REASONS[c].fixable for c in r.codes)
        for r in results
    ):
        assert d.verdict is Verdict.REJECTED
    # The order checks finish in does not matter.
    shuffled = list(results)
    rnd.shuffle(shuffled)
    again = decide(lv, shuffled, attempts_left=attempts_left)
    assert again.verdict is d.verdict
    assert set(again.codes) == set(d.codes)
    assert set(again.resubmit_steps) == set(d.resubmit_steps)


# ---------------------------------------------------------------------------------------------
# The status machine


PAIRS = list(product(Status, Status))


@pytest.mark.parametrize(
    ("current", "target"), PAIRS, ids=[f"{a.value}->{b.value}" for a, b in PAIRS]
)
def test_every_transition_not_listed_is_refused(current: Status, target: Status) -> None:
    if target in TRANSITIONS[current]:
        ensure_transition(current, target)
    else:
        with pytest.raises(InvalidState, match=f"from {current.value} to {target.value}"):
            ensure_transition(current, target)


def test_the_machine_has_the_issues_shape() -> None:
    S = Status  # noqa: N806
    assert set(TRANSITIONS) == set(Status)
    assert all(s not in TRANSITIONS[s] for s in Status)  # no self-loops
    assert TRANSITIONS[S.REJECTED] == TRANSITIONS[S.EXPIRED] == frozenset()
    path = [S.CREATED, S.COLLECTING, S.SUBMITTED, S.CHECKING]
    for a, b in pairwise(path):
        assert b in TRANSITIONS[a]
    assert TRANSITIONS[S.CHECKING] == {
        S.APPROVED,
        S.REJECTED,
        S.IN_REVIEW,
        S.RESUBMISSION_REQUESTED,
    }
    assert S.SUBMITTED in TRANSITIONS[S.RESUBMISSION_REQUESTED]  # back into checking
    assert S.REVERIFICATION_REQUIRED in TRANSITIONS[S.APPROVED]
    assert S.SUBMITTED in TRANSITIONS[S.REVERIFICATION_REQUIRED]
    # A decision is only ever made by the checks or by a reviewer.
    deciders = {s for s, targets in TRANSITIONS.items() if S.APPROVED in targets}
    assert deciders == {S.CHECKING, S.IN_REVIEW}
    # Everything submittable can be submitted, and can be edited first.
    assert all(S.SUBMITTED in TRANSITIONS[s] for s in SUBMITTABLE)
    assert SUBMITTABLE <= EDITABLE
    assert not EDITABLE & {S.SUBMITTED, S.CHECKING, S.IN_REVIEW, S.APPROVED, S.REJECTED}
    # Every status is reachable from created.
    seen, todo = {S.CREATED}, deque([S.CREATED])
    while todo:
        for nxt in TRANSITIONS[todo.popleft()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    assert seen == set(Status)


def test_a_refused_transition_writes_nothing(flow: Flow, platform: Platform) -> None:
    a = flow.create()
    service = ApplicantService(platform)

    def history() -> int:
        with platform.db.session(write=False) as session:
            stmt = select(func.count()).where(ApplicantHistory.applicant_id == a["id"])
            return int(session.scalar(stmt) or 0)

    before = history()
    for target in (Status.APPROVED, Status.CHECKING, Status.CREATED, Status.IN_REVIEW):
        with platform.db.session() as session:
            row = session.get(Applicant, a["id"])
            assert row is not None
            with pytest.raises(InvalidState):
                service.transition(session, row, target, actor="test")
            assert row.status == "collecting"
    assert history() == before
    assert flow.get(a["id"])["status"] == "collecting"


def test_incoherent_levels_are_refused(
    flow: Flow, client: TestClient, tenant: TenantHandle
) -> None:
    for body, reason in (
        ({"name": "none", "steps": ["identity_data"], "checks": []}, "approve every"),
        ({"name": "nophone", "steps": ["identity_data"], "checks": ["phone_ownership"]}, "phone"),
        ({"name": "nodocs", "steps": ["identity_data"], "checks": ["documents"]}, "document"),
        ({"name": "noid", "steps": ["id_number"], "checks": ["id_number"]}, "identity_data"),
    ):
        r = client.post("/v1/verification-levels", headers=tenant.headers, json=body)
        assert r.status_code == 422, (body, r.text)
        assert reason in r.text
