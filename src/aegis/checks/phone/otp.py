"""One-time codes that prove an applicant owns a phone number: pure state transitions.

A challenge is a frozen value; every operation takes it (and the time, and the key) and
returns the next value with a verdict. The KYC service stores ``to_dict()`` and sends the
code through the SMS port; nothing here does I/O or reads the clock.

Security choices:
- The code is 6 digits from ``secrets``. Only ``HMAC-SHA256(key, challenge_id, code)`` is
  kept, so a database leak yields no usable codes, and binding the challenge id stops a hash
  from one challenge verifying another. A million codes are cheap to brute-force offline
  without the key, hence a keyed MAC, not a plain hash; ``key_id`` names the key so it can
  be rotated while challenges are open.
- Comparison is constant-time (``hmac.compare_digest``).
- A code lives 5 minutes. A challenge allows 5 verification attempts in total, across
  resends: resending does not reset them, or each resend would buy 5 more guesses. A
  challenge allows 3 sends (the first and 2 resends), at least 30 seconds apart, which
  caps the SMS cost one applicant can cause. A new code replaces the previous one.
- Once verified, a challenge is spent: verifying again answers ``expired``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class VerifyResult(StrEnum):
    OK = "ok"
    WRONG_CODE = "wrong_code"
    EXPIRED = "expired"  # the code's 5 minutes are over, or the challenge is already spent
    TOO_MANY_ATTEMPTS = "too_many_attempts"


class ResendResult(StrEnum):
    SENT = "sent"  # a new code was issued: send it
    TOO_SOON = "too_soon"  # wait ``seconds_until_resend``
    TOO_MANY_SENDS = "too_many_sends"
    TOO_MANY_ATTEMPTS = "too_many_attempts"  # no point sending a code that cannot be tried
    ALREADY_VERIFIED = "already_verified"


@dataclass(frozen=True, slots=True)
class OtpPolicy:
    code_length: int = 6
    ttl: timedelta = timedelta(minutes=5)
    max_attempts: int = 5
    max_sends: int = 3
    resend_interval: timedelta = timedelta(seconds=30)


DEFAULT_POLICY = OtpPolicy()


@dataclass(frozen=True, slots=True)
class OtpChallenge:
    challenge_id: str
    code_hash: str  # hex HMAC of the current code; never the code
    key_id: str
    created_at: datetime
    sent_at: datetime  # when the current code was issued; it expires ttl later
    sends: int = 1
    attempts: int = 0
    verified_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: strings, ints and ISO 8601 times."""
        return {
            "challenge_id": self.challenge_id,
            "code_hash": self.code_hash,
            "key_id": self.key_id,
            "created_at": self.created_at.isoformat(),
            "sent_at": self.sent_at.isoformat(),
            "sends": self.sends,
            "attempts": self.attempts,
            "verified_at": self.verified_at.isoformat() if self.verified_at else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OtpChallenge:
        verified = data.get("verified_at")
        return cls(
            challenge_id=str(data["challenge_id"]),
            code_hash=str(data["code_hash"]),
            key_id=str(data["key_id"]),
            created_at=_aware(datetime.fromisoformat(data["created_at"])),
            sent_at=_aware(datetime.fromisoformat(data["sent_at"])),
            sends=int(data["sends"]),
            attempts=int(data["attempts"]),
            verified_at=_aware(datetime.fromisoformat(verified)) if verified else None,
        )

    @property
    def verified(self) -> bool:
        return self.verified_at is not None


@dataclass(frozen=True, slots=True)
class Issued:
    """A challenge with a fresh code: send ``code``, store ``challenge``, forget ``code``."""

    challenge: OtpChallenge
    code: str

    def __repr__(self) -> str:  # the code must not reach logs through a repr
        return f"Issued(challenge={self.challenge!r}, code='******')"


@dataclass(frozen=True, slots=True)
class Resent:
    challenge: OtpChallenge
    result: ResendResult
    code: str | None = None  # set only when result is SENT
    seconds_until_resend: int = 0

    def __repr__(self) -> str:
        return f"Resent(challenge={self.challenge!r}, result={self.result!s})"


@dataclass(frozen=True, slots=True)
class Verified:
    challenge: OtpChallenge
    result: VerifyResult
    attempts_left: int


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        # Naive times are ambiguous across servers; a challenge must expire at one instant.
        raise ValueError("times must be timezone-aware (UTC)")
    return moment


def generate_code(length: int = 6) -> str:
    """``length`` random digits, uniform, leading zeros kept."""
    return f"{secrets.randbelow(10**length):0{length}d}"


def hash_code(key: bytes, challenge_id: str, code: str) -> str:
    """HMAC-SHA256 over the challenge id and the code, hex. The NUL keeps the two apart."""
    message = f"{challenge_id}\x00{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def start_challenge(
    *,
    challenge_id: str,
    key: bytes,
    key_id: str,
    now: datetime,
    policy: OtpPolicy = DEFAULT_POLICY,
) -> Issued:
    """A new challenge and its first code (counts as the first send)."""
    _aware(now)
    code = generate_code(policy.code_length)
    challenge = OtpChallenge(
        challenge_id=challenge_id,
        code_hash=hash_code(key, challenge_id, code),
        key_id=key_id,
        created_at=now,
        sent_at=now,
    )
    return Issued(challenge, code)


def resend(
    challenge: OtpChallenge,
    *,
    key: bytes,
    key_id: str,
    now: datetime,
    policy: OtpPolicy = DEFAULT_POLICY,
) -> Resent:
    """A new code for the same challenge, if the limits allow; the old code stops working."""
    _aware(now)
    if challenge.verified:
        return Resent(challenge, ResendResult.ALREADY_VERIFIED)
    if challenge.attempts >= policy.max_attempts:
        return Resent(challenge, ResendResult.TOO_MANY_ATTEMPTS)
    if challenge.sends >= policy.max_sends:
        return Resent(challenge, ResendResult.TOO_MANY_SENDS)
    wait = challenge.sent_at + policy.resend_interval - now
    if wait > timedelta(0):
        # Round up: telling a client "0 s" and then refusing it would be a lie.
        seconds = -(-wait // timedelta(seconds=1))
        return Resent(challenge, ResendResult.TOO_SOON, seconds_until_resend=seconds)
    code = generate_code(policy.code_length)
    renewed = replace(
        challenge,
        code_hash=hash_code(key, challenge.challenge_id, code),
        key_id=key_id,
        sent_at=now,
        sends=challenge.sends + 1,
    )
    return Resent(renewed, ResendResult.SENT, code)


def verify(
    challenge: OtpChallenge,
    *,
    code: str,
    key: bytes,
    now: datetime,
    policy: OtpPolicy = DEFAULT_POLICY,
) -> Verified:
    """Check ``code`` against the challenge; ``key`` is the key named by its ``key_id``.

    An expired or spent challenge, or one out of attempts, answers without counting an
    attempt. Anything else counts one, including input that is not even 6 digits: a
    client cannot probe for free.
    """
    _aware(now)

    def left(c: OtpChallenge) -> int:
        return max(0, policy.max_attempts - c.attempts)

    if challenge.verified:
        return Verified(challenge, VerifyResult.EXPIRED, left(challenge))
    if challenge.attempts >= policy.max_attempts:
        return Verified(challenge, VerifyResult.TOO_MANY_ATTEMPTS, 0)
    if now >= challenge.sent_at + policy.ttl:
        return Verified(challenge, VerifyResult.EXPIRED, left(challenge))
    tried = replace(challenge, attempts=challenge.attempts + 1)
    typed = "".join(code.split())  # "123 456" as some keyboards paste it
    expected = challenge.code_hash
    if hmac.compare_digest(hash_code(key, challenge.challenge_id, typed), expected):
        done = replace(tried, verified_at=now)
        return Verified(done, VerifyResult.OK, left(done))
    return Verified(tried, VerifyResult.WRONG_CODE, left(tried))
