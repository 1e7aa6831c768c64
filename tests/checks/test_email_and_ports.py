"""Disposable e-mail domains, the shared retry loop, and the package's public surface."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import aegis.checks
from aegis.checks.email import DEFAULT_BLOCKLIST, check_email_domain, email_domain
from aegis.checks.ports import (
    PortRejected,
    PortUnavailable,
    backoff_delays,
    call_with_retries,
)
from aegis.checks.result import Outcome
from aegis.kyc.reasons import REASONS
from tests.checks.helpers import FakeSleep

# --- e-mail ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "someone@mailinator.com",
        "Someone@MAILINATOR.COM",
        "someone@mailinator.com.",
        "someone@inbox.x.mailinator.com",
        " someone@mailinator.com ",
    ],
)
def test_disposable_domains_go_to_review(email: str) -> None:
    assert "mailinator.com" in DEFAULT_BLOCKLIST
    result = check_email_domain(email)
    assert result.outcome is Outcome.REVIEW
    assert result.codes == ("DISPOSABLE_EMAIL",)
    assert result.details == {"domain_disposable": True}


@pytest.mark.parametrize(
    "email", ["a@gmail.com", "a@qq.com", "a@example.co.uk", "a@localhost", "a@bücher.example"]
)
def test_ordinary_domains_pass(email: str) -> None:
    result = check_email_domain(email)
    assert result.outcome is Outcome.PASS
    assert result.details == {"domain_disposable": False}


def test_domain_is_never_in_details() -> None:
    for email in ("x@tiny-family-domain.example", "x@mailinator.com"):
        assert email.split("@")[1] not in repr(check_email_domain(email).details)


def test_idn_domains_are_compared_in_ascii() -> None:
    assert email_domain("a@Bücher.Example") == "xn--bcher-kva.example"
    flagged = check_email_domain("a@bücher.example", blocklist={"xn--bcher-kva.example"})
    assert flagged.outcome is Outcome.REVIEW


def test_quoted_local_parts_with_at_signs() -> None:
    assert email_domain('"a@b"@mailinator.com') == "mailinator.com"


def test_allowlist_overrules_the_community_list() -> None:
    result = check_email_domain("a@x.mailinator.com", allowlist={"mailinator.com"})
    assert result.outcome is Outcome.PASS
    assert result.details == {"domain_disposable": False, "allowlisted": True}


def test_custom_blocklist() -> None:
    assert check_email_domain("a@corp.example", blocklist={"corp.example"}).outcome is (
        Outcome.REVIEW
    )
    assert check_email_domain("a@example", blocklist={"example"}).outcome is Outcome.REVIEW
    # A bare TLD on a list does not flag every domain under it.
    assert check_email_domain("a@corp.example", blocklist={"example"}).outcome is Outcome.PASS


@pytest.mark.parametrize("email", ["", "no-at-sign", "@mailinator.com", "someone@", "a@ ."])
def test_malformed_addresses_are_a_programming_error(email: str) -> None:
    with pytest.raises(ValueError, match="e-mail"):
        check_email_domain(email)


# --- retries ---------------------------------------------------------------------------


class Flaky:
    def __init__(self, failures: int, error: Exception | None = None) -> None:
        self.failures = failures
        self.calls = 0
        self.error = error or PortUnavailable("down")

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "ok"


def test_first_try_success_does_not_sleep() -> None:
    sleep = FakeSleep()
    assert call_with_retries(Flaky(0), 3, sleep) == "ok"
    assert sleep.calls == []


def test_success_after_failures_backs_off() -> None:
    sleep = FakeSleep()
    fn = Flaky(2)
    assert call_with_retries(fn, 3, sleep) == "ok"
    assert (fn.calls, sleep.calls) == (3, [0.2, 0.4])


def test_exhausted_attempts_raise_the_last_error() -> None:
    sleep = FakeSleep()
    fn = Flaky(10)
    with pytest.raises(PortUnavailable, match="down"):
        call_with_retries(fn, 3, sleep)
    assert (fn.calls, sleep.calls) == (3, [0.2, 0.4])


def test_rejections_and_bugs_are_not_retried() -> None:
    for error in (PortRejected("no"), RuntimeError("bug")):
        fn = Flaky(1, error)
        with pytest.raises(type(error)):
            call_with_retries(fn, 3, FakeSleep())
        assert fn.calls == 1


def test_retry_after_hint_replaces_the_pause_and_is_capped() -> None:
    sleep = FakeSleep()
    fn = Flaky(2, PortUnavailable("busy", retry_after=0.05))
    call_with_retries(fn, 3, sleep)
    assert sleep.calls == [0.05, 0.05]
    sleep = FakeSleep()
    call_with_retries(Flaky(1, PortUnavailable("busy", retry_after=999)), 3, sleep)
    assert sleep.calls == [5.0]


def test_custom_delays_and_retry_on() -> None:
    sleep = FakeSleep()
    fn = Flaky(2, TimeoutError("slow"))
    assert call_with_retries(fn, 3, sleep, delays=[1, 2], retry_on=(TimeoutError,)) == "ok"
    assert sleep.calls == [1, 2]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        call_with_retries(Flaky(0), 0, FakeSleep())
    with pytest.raises(ValueError, match="one delay"):
        call_with_retries(Flaky(0), 3, FakeSleep(), delays=[1])


def test_backoff_delays() -> None:
    assert backoff_delays(1) == ()
    assert backoff_delays(3) == (0.2, 0.4)
    assert backoff_delays(6, base=1, factor=3, cap=10) == (1, 3, 9, 10, 10)


@given(st.integers(min_value=0, max_value=8), st.integers(min_value=1, max_value=6))
def test_calls_and_sleeps_always_add_up(failures: int, attempts: int) -> None:
    sleep = FakeSleep()
    fn = Flaky(failures)
    try:
        call_with_retries(fn, attempts, sleep)
        succeeded = True
    except PortUnavailable:
        succeeded = False
    assert succeeded == (failures < attempts)
    assert fn.calls == min(failures + 1, attempts)
    assert len(sleep.calls) == fn.calls - 1


# --- the package -----------------------------------------------------------------------

CHECKS_SRC = Path(aegis.checks.__file__).parent


def test_every_emitted_code_is_in_the_catalogue() -> None:
    """Any quoted UPPER_SNAKE string in the checks' source must be a documented reason."""
    literal = re.compile(r"\"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\"")
    found = set()
    for path in CHECKS_SRC.rglob("*.py"):
        if path.name == "__init__.py":
            continue
        found |= set(literal.findall(path.read_text(encoding="utf-8")))
    assert found, "the scan should find the codes"
    assert found <= set(REASONS), found - set(REASONS)


def test_lazy_public_api() -> None:
    for name in aegis.checks.__all__:
        assert getattr(aegis.checks, name) is not None
    assert set(aegis.checks.__all__) == set(aegis.checks._WHERE)
    assert "check_id_number" in dir(aegis.checks)
    with pytest.raises(AttributeError):
        _ = aegis.checks.no_such_thing


def test_source_files_stay_small() -> None:
    for path in CHECKS_SRC.rglob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) < 600, path
