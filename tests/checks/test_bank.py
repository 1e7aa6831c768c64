"""Bank-card element verification: the sandbox table, retries, and the verdict mapping."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from aegis.checks.card.bank import (
    BankElement,
    BankOutcome,
    BankUnavailable,
    BankVerdict,
    BankVerificationRequest,
    BankVerifier,
    SandboxBankVerifier,
    check_bank_card,
    verify_bank_card,
)
from aegis.checks.ports import PortUnavailable
from aegis.checks.result import Outcome
from tests.checks.helpers import FakeSleep

ID = "110105199001010010"
PHONE = "+8613800138000"
CARDS = {
    "0002": "6222020000050002",
    "0003": "6222020000040003",
    "0004": "6222020000030004",
    "0005": "6222020000020005",
    "0006": "6222020000010006",
    "0007": "6222020000000007",
    "other": "6222020000060001",
}


def req(card: str, elements: int = 2, name: str = "张三") -> BankVerificationRequest:
    return BankVerificationRequest(
        name=name,
        card_number=card,
        id_number=ID if elements >= 3 else None,
        phone=PHONE if elements == 4 else None,
    )


def sandbox(sleep: FakeSleep | None = None) -> SandboxBankVerifier:
    return SandboxBankVerifier(latency=0, sleep=sleep or FakeSleep())


def test_documented_test_cards_are_luhn_valid() -> None:
    for ending, card in CARDS.items():
        assert luhn.is_valid(card)
        if ending != "other":
            assert card.endswith(ending)


def test_request_shapes() -> None:
    assert req(CARDS["other"], 2).elements == 2
    assert req(CARDS["other"], 3).elements == 3
    assert req(CARDS["other"], 4).elements == 4
    with pytest.raises(ValueError, match="4-element"):
        BankVerificationRequest(name="张三", card_number=CARDS["other"], phone=PHONE)


def test_request_repr_holds_no_pii() -> None:
    text = repr(req(CARDS["other"], 4))
    for secret in ("张三", CARDS["other"], ID, PHONE):
        assert secret not in text


def test_sandbox_is_a_bank_verifier() -> None:
    verifier: BankVerifier = sandbox()
    assert verifier.verify(req(CARDS["other"])).outcome is BankOutcome.MATCH


@pytest.mark.parametrize(
    ("ending", "elements", "outcome", "mismatched"),
    [
        ("0002", 2, BankOutcome.MISMATCH, (BankElement.NAME,)),
        ("0002", 4, BankOutcome.MISMATCH, (BankElement.NAME,)),
        ("0003", 2, BankOutcome.MATCH, ()),
        ("0003", 3, BankOutcome.MISMATCH, (BankElement.ID_NUMBER,)),
        ("0003", 4, BankOutcome.MISMATCH, (BankElement.ID_NUMBER,)),
        ("0004", 3, BankOutcome.MATCH, ()),
        ("0004", 4, BankOutcome.MISMATCH, (BankElement.PHONE,)),
        ("0005", 2, BankOutcome.CARD_INVALID, ()),
        ("0005", 4, BankOutcome.CARD_INVALID, ()),
    ],
)
def test_sandbox_table(
    ending: str, elements: int, outcome: BankOutcome, mismatched: tuple[BankElement, ...]
) -> None:
    verdict = sandbox().verify(req(CARDS[ending], elements))
    assert verdict.outcome is outcome
    assert verdict.mismatched == mismatched
    assert verdict.elements == elements
    assert verdict.reference is not None and verdict.reference.startswith("sbx_bank_")


@pytest.mark.parametrize("card", ["6222020000060002", "1234", "6222 0200 0006 000a", ""])
def test_malformed_cards_are_card_invalid(card: str) -> None:
    assert sandbox().verify(req(card)).outcome is BankOutcome.CARD_INVALID


def test_timeout_card_is_retried_then_unavailable() -> None:
    sleep = FakeSleep()
    verifier = SandboxBankVerifier(latency=0, timeout=3.0, sleep=sleep)
    with pytest.raises(BankUnavailable):
        verifier.verify(req(CARDS["0006"]))
    sleep.calls.clear()
    verdict = verify_bank_card(verifier, req(CARDS["0006"], 3), sleep=sleep)
    assert verdict == BankVerdict(BankOutcome.UNAVAILABLE, 3)
    # Each attempt waits out the client timeout; the caller backs off in between.
    assert sleep.calls == [3.0, 0.2, 3.0, 0.4, 3.0]
    result = check_bank_card(verdict)
    assert result.outcome is Outcome.REVIEW
    assert result.codes == ("CARD_VERIFICATION_UNAVAILABLE",)


def test_flaky_card_recovers_on_retry() -> None:
    sleep = FakeSleep()
    verifier = sandbox(sleep)
    verdict = verify_bank_card(verifier, req(CARDS["0007"]), sleep=sleep)
    assert verdict.outcome is BankOutcome.MATCH
    assert sleep.calls == [0.2]
    # Without retries the first request of a fresh sandbox finds no answer.
    assert verify_bank_card(sandbox(), req(CARDS["0007"]), attempts=1).outcome is (
        BankOutcome.UNAVAILABLE
    )


def test_latency_is_paid_through_sleep() -> None:
    sleep = FakeSleep()
    SandboxBankVerifier(latency=0.01, sleep=sleep).verify(req(CARDS["other"]))
    assert sleep.calls == [0.01]


def test_other_cards_bind_to_their_first_elements() -> None:
    bank = sandbox()
    card = CARDS["other"]
    assert bank.verify(req(card, 4)).outcome is BankOutcome.MATCH
    assert bank.verify(req(card, 4)).outcome is BankOutcome.MATCH
    assert bank.verify(req(card, 2, name=" 张 三 ")).outcome is BankOutcome.MATCH
    other = bank.verify(req(card, 2, name="李四"))
    assert (other.outcome, other.mismatched) == (BankOutcome.MISMATCH, (BankElement.NAME,))
    wrong_phone = BankVerificationRequest(
        name="张三", card_number=card, id_number=ID, phone="+8613900139000"
    )
    assert bank.verify(wrong_phone).mismatched == (BankElement.PHONE,)
    wrong_both = BankVerificationRequest(
        name="王五", card_number=card, id_number="110105199001010029"
    )
    assert bank.verify(wrong_both).mismatched == (BankElement.NAME, BankElement.ID_NUMBER)


def test_names_compare_without_case_or_width() -> None:
    bank = sandbox()
    card = CARDS["other"]
    bank.verify(req(card, name="Zhang San"))
    assert bank.verify(req(card, name="ＺＨＡＮＧ  san")).outcome is BankOutcome.MATCH


def test_a_consistent_request_teaches_new_elements_a_mismatching_one_does_not() -> None:
    bank = sandbox()
    card = CARDS["other"]
    bank.verify(req(card, 2))
    impostor = BankVerificationRequest(name="李四", card_number=card, id_number="X1")
    assert bank.verify(impostor).outcome is BankOutcome.MISMATCH
    assert bank.verify(req(card, 3)).outcome is BankOutcome.MATCH  # learns ID
    other_id = BankVerificationRequest(name="张三", card_number=card, id_number="X1")
    assert bank.verify(other_id).mismatched == (BankElement.ID_NUMBER,)


def test_blank_name_is_a_mismatch() -> None:
    verdict = sandbox().verify(req(CARDS["other"], name="  "))
    assert verdict.mismatched == (BankElement.NAME,)


def test_sandboxes_are_deterministic() -> None:
    script = [
        req(CARDS["other"], 2),
        req(CARDS["other"], 3, name="李四"),
        req(CARDS["0003"], 3),
        req("6222020000060019", 4),
        req(CARDS["0005"], 2),
    ]
    runs = []
    for _ in range(2):
        bank = sandbox()
        runs.append([(v.outcome, v.mismatched) for v in map(bank.verify, script)])
    assert runs[0] == runs[1]


def test_binding_memory_is_bounded() -> None:
    bank = SandboxBankVerifier(latency=0, max_cards=2)
    first = "6222020000060001"
    bank.verify(req(first))
    bank.verify(req("4111111111111111"))
    bank.verify(req("5555555555554444"))  # evicts the first card's binding
    assert bank.verify(req(first, name="李四")).outcome is BankOutcome.MATCH


def test_unexpected_errors_are_not_swallowed() -> None:
    class Broken:
        def verify(self, request: BankVerificationRequest) -> BankVerdict:
            raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        verify_bank_card(Broken(), req(CARDS["other"]), sleep=FakeSleep())


def test_non_retryable_unavailability_is_not_retried() -> None:
    calls = []

    class Misconfigured:
        def verify(self, request: BankVerificationRequest) -> BankVerdict:
            calls.append(1)
            raise BankUnavailable("bad credentials", retryable=False)

    verdict = verify_bank_card(Misconfigured(), req(CARDS["other"]), sleep=FakeSleep())
    assert verdict.outcome is BankOutcome.UNAVAILABLE and calls == [1]


@pytest.mark.parametrize(
    ("verdict", "outcome", "codes", "details"),
    [
        (BankVerdict(BankOutcome.MATCH, 4), Outcome.PASS, (), {"elements": 4}),
        (
            BankVerdict(BankOutcome.MISMATCH, 4, (BankElement.PHONE, BankElement.NAME)),
            Outcome.FAIL,
            ("CARD_VERIFICATION_FAILED",),
            {"elements": 4, "mismatched": ["name", "phone"]},
        ),
        (
            BankVerdict(BankOutcome.CARD_INVALID, 2),
            Outcome.FAIL,
            ("CARD_NUMBER_INVALID",),
            {"elements": 2},
        ),
        (
            BankVerdict(BankOutcome.UNAVAILABLE, 3),
            Outcome.REVIEW,
            ("CARD_VERIFICATION_UNAVAILABLE",),
            {"elements": 3},
        ),
    ],
)
def test_check_bank_card_mapping(
    verdict: BankVerdict, outcome: Outcome, codes: tuple[str, ...], details: dict[str, object]
) -> None:
    result = check_bank_card(verdict)
    assert (result.check, result.outcome, result.codes, result.details) == (
        "bank_card",
        outcome,
        codes,
        details,
    )


@given(
    st.sampled_from(list(BankOutcome)),
    st.integers(min_value=2, max_value=4),
    st.lists(st.sampled_from(list(BankElement)), unique=True),
)
def test_only_a_match_ever_passes(
    outcome: BankOutcome, elements: int, mismatched: list[BankElement]
) -> None:
    result = check_bank_card(BankVerdict(outcome, elements, tuple(mismatched)))
    assert (result.outcome is Outcome.PASS) == (outcome is BankOutcome.MATCH)


def test_unavailable_is_a_port_error() -> None:
    assert issubclass(BankUnavailable, PortUnavailable)
