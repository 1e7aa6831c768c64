"""Government registry: the sandbox identities, retries, and the verdict mapping."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aegis.checks.identity.id_numbers import check_id_number
from aegis.checks.registry.registry import (
    SANDBOX_IDENTITIES,
    SANDBOX_PHOTO_MISMATCH,
    GovernmentRegistry,
    RegistryOutcome,
    RegistryRequest,
    RegistryUnavailable,
    RegistryVerdict,
    SandboxRegistry,
    check_registry,
    lookup_registry,
)
from aegis.checks.result import Outcome
from tests.checks.helpers import FakeSleep, make_ric

IDS = {i.outcome: i for i in SANDBOX_IDENTITIES}


def sandbox(sleep: FakeSleep | None = None) -> SandboxRegistry:
    return SandboxRegistry(latency=0, sleep=sleep or FakeSleep())


def ask(number: str, name: str, photo: bytes | None = None) -> RegistryVerdict:
    return sandbox().lookup(RegistryRequest(name=name, id_number=number, photo=photo))


def test_table_has_one_identity_per_outcome() -> None:
    assert set(IDS) == {"match", "mismatch", "not_found", "deceased", "timeout", "timeout_once"}


@pytest.mark.parametrize("identity", SANDBOX_IDENTITIES, ids=lambda i: i.outcome)
def test_test_identities_are_valid_id_numbers(identity: object) -> None:
    number = identity.id_number  # type: ignore[attr-defined]
    result = check_id_number(
        id_type="national_id", country="CN", number=number, date_of_birth=date(1990, 1, 1)
    )
    assert result.outcome is Outcome.PASS


def test_is_a_government_registry() -> None:
    registry: GovernmentRegistry = sandbox()
    assert registry.lookup(RegistryRequest("张三", IDS["match"].id_number)).outcome is (
        RegistryOutcome.MATCH
    )


@pytest.mark.parametrize(
    ("kind", "name", "outcome", "code"),
    [
        ("match", "张三", RegistryOutcome.MATCH, None),
        ("match", " 张 三 ", RegistryOutcome.MATCH, None),
        ("match", "李四", RegistryOutcome.MISMATCH, "REGISTRY_MISMATCH"),
        ("mismatch", "李四", RegistryOutcome.MISMATCH, "REGISTRY_MISMATCH"),
        ("mismatch", "张三", RegistryOutcome.MISMATCH, "REGISTRY_MISMATCH"),
        ("not_found", "王五", RegistryOutcome.NOT_FOUND, "REGISTRY_NOT_FOUND"),
        ("deceased", "赵六", RegistryOutcome.DECEASED, "REGISTRY_DECEASED"),
    ],
)
def test_sandbox_identities(kind: str, name: str, outcome: RegistryOutcome, code: str) -> None:
    verdict = ask(IDS[kind].id_number, name)
    assert verdict.outcome is outcome
    assert verdict.reference is not None and verdict.reference.startswith("sbx_reg_")
    result = check_registry(verdict)
    assert result.codes == ((code,) if code else ())
    assert result.outcome is (Outcome.PASS if code is None else Outcome.FAIL)


def test_timeout_identity_is_retried_then_reviewed() -> None:
    sleep = FakeSleep()
    registry = SandboxRegistry(latency=0, timeout=2.0, sleep=sleep)
    request = RegistryRequest("钱七", IDS["timeout"].id_number)
    with pytest.raises(RegistryUnavailable):
        registry.lookup(request)
    sleep.calls.clear()
    verdict = lookup_registry(registry, request, sleep=sleep)
    assert verdict == RegistryVerdict(RegistryOutcome.UNAVAILABLE)
    assert sleep.calls == [2.0, 0.2, 2.0, 0.4, 2.0]
    result = check_registry(verdict)
    assert result.outcome is Outcome.REVIEW
    assert result.codes == ("REGISTRY_UNAVAILABLE",)


def test_timeout_once_identity_recovers_with_a_retry() -> None:
    sleep = FakeSleep()
    registry = sandbox(sleep)
    request = RegistryRequest("孙八", IDS["timeout_once"].id_number)
    verdict = lookup_registry(registry, request, sleep=sleep)
    assert verdict.outcome is RegistryOutcome.MATCH
    assert sleep.calls == [3.0, 0.2]
    # The same identity with a wrong name is a mismatch once it answers.
    assert registry.lookup(RegistryRequest("张三", IDS["timeout_once"].id_number)).outcome is (
        RegistryOutcome.MISMATCH
    )


def test_timeout_once_without_retries_is_unavailable() -> None:
    request = RegistryRequest("孙八", IDS["timeout_once"].id_number)
    verdict = lookup_registry(sandbox(), request, attempts=1)
    assert verdict.outcome is RegistryOutcome.UNAVAILABLE


@given(
    st.dates(min_value=date(1930, 1, 1), max_value=date(2010, 12, 31)),
    st.integers(min_value=100, max_value=999),
    st.text(min_size=1, max_size=10).filter(str.strip),
)
def test_other_valid_numbers_match_any_non_blank_name(born: date, seq: int, name: str) -> None:
    verdict = ask(make_ric("440106", born, seq), name)
    assert verdict.outcome is RegistryOutcome.MATCH


def test_other_valid_number_with_blank_name_is_a_mismatch() -> None:
    verdict = ask(make_ric("440106", date(1985, 5, 5), 123), " \t")
    assert verdict.outcome is RegistryOutcome.MISMATCH
    assert verdict.mismatched == ("name",)


@pytest.mark.parametrize(
    "number", ["110105199001010011", "610104620927690", "E12345678", "", "110105199013010011"]
)
def test_invalid_numbers_are_not_found(number: str) -> None:
    assert ask(number, "张三").outcome is RegistryOutcome.NOT_FOUND


def test_full_width_number_is_understood() -> None:
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in IDS["match"].id_number)
    assert ask(full_width, "张三").outcome is RegistryOutcome.MATCH


def test_photo_similarity_and_threshold() -> None:
    number = IDS["match"].id_number
    good = ask(number, "张三", photo=b"\xff\xd8 a selfie")
    assert good.photo_similarity == 0.95
    passed = check_registry(good)
    assert passed.outcome is Outcome.PASS
    assert passed.details == {"photo_checked": True, "photo_similarity": 0.95}
    bad = ask(number, "张三", photo=SANDBOX_PHOTO_MISMATCH)
    failed = check_registry(bad)
    assert failed.outcome is Outcome.FAIL
    assert failed.codes == ("REGISTRY_MISMATCH",)
    assert failed.details["mismatched"] == ["photo"]
    assert check_registry(bad, photo_threshold=0.1).outcome is Outcome.PASS
    assert ask(number, "张三").photo_similarity is None


def test_request_repr_holds_no_pii() -> None:
    text = repr(RegistryRequest("张三", IDS["match"].id_number, b"photo-bytes"))
    assert "张三" not in text and IDS["match"].id_number not in text and "photo-bytes" not in text


def test_mismatch_without_fields_still_names_one() -> None:
    result = check_registry(RegistryVerdict(RegistryOutcome.MISMATCH))
    assert result.details["mismatched"] == ["name"]


@given(
    st.sampled_from(list(RegistryOutcome)),
    st.one_of(st.none(), st.floats(min_value=0, max_value=1)),
)
def test_only_a_match_ever_passes(outcome: RegistryOutcome, similarity: float | None) -> None:
    result = check_registry(RegistryVerdict(outcome, photo_similarity=similarity))
    if result.outcome is Outcome.PASS:
        assert outcome is RegistryOutcome.MATCH
    if outcome is RegistryOutcome.UNAVAILABLE:
        assert result.outcome is Outcome.REVIEW


def test_latency_is_paid_through_sleep() -> None:
    sleep = FakeSleep()
    SandboxRegistry(latency=0.02, sleep=sleep).lookup(RegistryRequest("张三", "x"))
    assert sleep.calls == [0.02]
