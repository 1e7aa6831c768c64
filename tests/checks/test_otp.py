from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from aegis.checks.phone.otp import (
    DEFAULT_POLICY,
    OtpChallenge,
    OtpPolicy,
    ResendResult,
    VerifyResult,
    generate_code,
    hash_code,
    resend,
    start_challenge,
    verify,
)

KEY = b"k" * 32
T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def start(challenge_id: str = "otp_1") -> tuple[OtpChallenge, str]:
    issued = start_challenge(challenge_id=challenge_id, key=KEY, key_id="k1", now=T0)
    return issued.challenge, issued.code


def test_code_is_six_digits_and_only_its_hmac_is_kept() -> None:
    challenge, code = start()
    assert len(code) == 6 and code.isdigit()
    assert code not in json.dumps(challenge.to_dict())
    assert challenge.code_hash == hash_code(KEY, "otp_1", code)
    assert challenge.sends == 1 and challenge.attempts == 0


def test_reprs_never_show_the_code() -> None:
    issued = start_challenge(challenge_id="otp_1", key=KEY, key_id="k1", now=T0)
    assert issued.code not in repr(issued)
    later = T0 + timedelta(seconds=31)
    resent = resend(issued.challenge, key=KEY, key_id="k1", now=later)
    assert resent.code is not None and resent.code not in repr(resent)


@given(st.integers(min_value=1, max_value=10))
def test_generated_codes_have_the_requested_length(length: int) -> None:
    code = generate_code(length)
    assert len(code) == length and code.isdigit()


def test_codes_vary() -> None:
    assert len({generate_code() for _ in range(50)}) > 40


def test_right_code_verifies_once() -> None:
    challenge, code = start()
    done = verify(challenge, code=code, key=KEY, now=T0 + timedelta(minutes=4))
    assert done.result is VerifyResult.OK
    assert done.challenge.verified_at == T0 + timedelta(minutes=4)
    again = verify(done.challenge, code=code, key=KEY, now=T0 + timedelta(minutes=4))
    assert again.result is VerifyResult.EXPIRED  # spent


def test_spaces_in_the_typed_code_are_ignored() -> None:
    challenge, code = start()
    typed = f" {code[:3]} {code[3:]} "
    assert verify(challenge, code=typed, key=KEY, now=T0).result is VerifyResult.OK


def test_code_expires_after_five_minutes() -> None:
    challenge, code = start()
    just_before = T0 + timedelta(minutes=5) - timedelta(microseconds=1)
    assert verify(challenge, code=code, key=KEY, now=just_before).result is VerifyResult.OK
    late = verify(challenge, code=code, key=KEY, now=T0 + timedelta(minutes=5))
    assert late.result is VerifyResult.EXPIRED
    assert late.challenge.attempts == 0  # expiry costs no attempt


def test_five_wrong_attempts_lock_the_challenge() -> None:
    challenge, code = start()
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1, 0):
        outcome = verify(challenge, code=wrong, key=KEY, now=T0)
        assert outcome.result is VerifyResult.WRONG_CODE
        assert outcome.attempts_left == left
        challenge = outcome.challenge
    locked = verify(challenge, code=code, key=KEY, now=T0)
    assert locked.result is VerifyResult.TOO_MANY_ATTEMPTS
    assert locked.challenge.attempts == 5


def test_garbage_input_counts_as_an_attempt() -> None:
    challenge, _ = start()
    outcome = verify(challenge, code="abc", key=KEY, now=T0)
    assert outcome.result is VerifyResult.WRONG_CODE
    assert outcome.challenge.attempts == 1


def test_a_code_is_bound_to_its_challenge_and_key() -> None:
    first, code = start("otp_1")
    # Copying one challenge's hash onto another id must not let its code through there.
    moved = replace(first, challenge_id="otp_2")
    assert verify(moved, code=code, key=KEY, now=T0).result is VerifyResult.WRONG_CODE
    assert verify(first, code=code, key=b"other key", now=T0).result is VerifyResult.WRONG_CODE
    assert verify(first, code=code, key=KEY, now=T0).result is VerifyResult.OK


def test_resend_rules() -> None:
    challenge, first_code = start()
    soon = resend(challenge, key=KEY, key_id="k1", now=T0 + timedelta(seconds=10))
    assert soon.result is ResendResult.TOO_SOON
    assert soon.seconds_until_resend == 20
    assert soon.code is None
    fraction = resend(challenge, key=KEY, key_id="k1", now=T0 + timedelta(seconds=29.5))
    assert fraction.seconds_until_resend == 1  # rounded up, never "0 s"
    second = resend(challenge, key=KEY, key_id="k1", now=T0 + timedelta(seconds=30))
    assert second.result is ResendResult.SENT
    assert second.code is not None
    assert second.challenge.sends == 2
    assert second.challenge.sent_at == T0 + timedelta(seconds=30)
    # The old code stops working (unless the new one happens to be equal).
    if second.code != first_code:
        old = verify(second.challenge, code=first_code, key=KEY, now=T0 + timedelta(seconds=31))
        assert old.result is VerifyResult.WRONG_CODE
    third = resend(second.challenge, key=KEY, key_id="k1", now=T0 + timedelta(seconds=60))
    assert third.result is ResendResult.SENT
    fourth = resend(third.challenge, key=KEY, key_id="k1", now=T0 + timedelta(seconds=600))
    assert fourth.result is ResendResult.TOO_MANY_SENDS
    assert fourth.challenge == third.challenge


def test_resend_renews_expiry() -> None:
    challenge, _ = start()
    resent = resend(challenge, key=KEY, key_id="k1", now=T0 + timedelta(minutes=4))
    assert resent.code is not None
    at = T0 + timedelta(minutes=8)
    assert verify(resent.challenge, code=resent.code, key=KEY, now=at).result is VerifyResult.OK


def test_resend_does_not_reset_attempts() -> None:
    challenge, code = start()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        challenge = verify(challenge, code=wrong, key=KEY, now=T0).challenge
    refused = resend(challenge, key=KEY, key_id="k1", now=T0 + timedelta(minutes=1))
    assert refused.result is ResendResult.TOO_MANY_ATTEMPTS


def test_resend_after_verification() -> None:
    challenge, code = start()
    done = verify(challenge, code=code, key=KEY, now=T0).challenge
    later = T0 + timedelta(minutes=1)
    assert resend(done, key=KEY, key_id="k1", now=later).result is ResendResult.ALREADY_VERIFIED


def test_key_rotation_between_sends() -> None:
    challenge, _ = start()
    new_key = b"n" * 32
    resent = resend(challenge, key=new_key, key_id="k2", now=T0 + timedelta(seconds=30))
    assert resent.challenge.key_id == "k2" and resent.code is not None
    now = T0 + timedelta(seconds=31)
    assert verify(resent.challenge, code=resent.code, key=KEY, now=now).result is (
        VerifyResult.WRONG_CODE
    )
    assert verify(resent.challenge, code=resent.code, key=new_key, now=now).result is (
        VerifyResult.OK
    )


def test_dict_round_trip_is_json_ready() -> None:
    challenge, code = start()
    done = verify(challenge, code=code, key=KEY, now=T0).challenge
    for state in (challenge, done):
        data = json.loads(json.dumps(state.to_dict()))
        assert OtpChallenge.from_dict(data) == state


def test_naive_times_are_refused() -> None:
    challenge, code = start()
    naive = datetime(2025, 6, 1, 12, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        start_challenge(challenge_id="x", key=KEY, key_id="k1", now=naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        verify(challenge, code=code, key=KEY, now=naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        resend(challenge, key=KEY, key_id="k1", now=naive)
    data = challenge.to_dict() | {"sent_at": "2025-06-01T12:00:00"}
    with pytest.raises(ValueError, match="timezone-aware"):
        OtpChallenge.from_dict(data)


def test_custom_policy() -> None:
    policy = OtpPolicy(code_length=8, ttl=timedelta(minutes=1), max_attempts=1)
    issued = start_challenge(challenge_id="c", key=KEY, key_id="k", now=T0, policy=policy)
    assert len(issued.code) == 8
    late = T0 + timedelta(minutes=1)
    assert verify(issued.challenge, code=issued.code, key=KEY, now=late, policy=policy).result is (
        VerifyResult.EXPIRED
    )


def test_defaults_match_the_requirements() -> None:
    assert DEFAULT_POLICY.ttl == timedelta(minutes=5)
    assert DEFAULT_POLICY.max_attempts == 5
    assert DEFAULT_POLICY.max_sends == 3
    assert DEFAULT_POLICY.resend_interval == timedelta(seconds=30)
    assert DEFAULT_POLICY.code_length == 6


@given(st.text(min_size=0, max_size=12))
def test_only_the_right_code_verifies(guess: str) -> None:
    challenge, code = start()
    result = verify(challenge, code=guess, key=KEY, now=T0).result
    assert (result is VerifyResult.OK) == ("".join(guess.split()) == code)


class OtpMachine(RuleBasedStateMachine):
    """Random sequences of sends, guesses and waiting never break the limits."""

    def __init__(self) -> None:
        super().__init__()
        issued = start_challenge(challenge_id="m", key=KEY, key_id="k", now=T0)
        self.challenge = issued.challenge
        self.code = issued.code
        self.now = T0
        self.ok_seen = False

    @rule(seconds=st.integers(min_value=0, max_value=400))
    def wait(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @rule()
    def resend_code(self) -> None:
        resent = resend(self.challenge, key=KEY, key_id="k", now=self.now)
        if resent.result is ResendResult.SENT:
            assert resent.code is not None
            self.code = resent.code
        else:
            assert resent.challenge == self.challenge
        self.challenge = resent.challenge

    @rule(right=st.booleans())
    def guess(self, right: bool) -> None:
        typed = self.code if right else ("000000" if self.code != "000000" else "999999")
        before = self.challenge
        outcome = verify(self.challenge, code=typed, key=KEY, now=self.now)
        expired = self.now >= before.sent_at + DEFAULT_POLICY.ttl
        if outcome.result is VerifyResult.OK:
            assert right and not expired and not before.verified
            assert before.attempts < DEFAULT_POLICY.max_attempts
            self.ok_seen = True
        elif right and not expired and not before.verified:
            assert outcome.result is VerifyResult.TOO_MANY_ATTEMPTS
        self.challenge = outcome.challenge

    @precondition(lambda self: self.ok_seen)
    @rule()
    def spent(self) -> None:
        assert self.challenge.verified

    @invariant()
    def limits_hold(self) -> None:
        assert self.challenge.attempts <= DEFAULT_POLICY.max_attempts
        assert 1 <= self.challenge.sends <= DEFAULT_POLICY.max_sends


TestOtpMachine = OtpMachine.TestCase
TestOtpMachine.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
