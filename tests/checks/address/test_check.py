"""The verdict from text: outcomes, codes, review bands, and PII-free details."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from aegis.checks.address import (
    ADDRESS_MISMATCH,
    DATE_AMBIGUOUS,
    DATE_IN_FUTURE,
    DATE_NOT_FOUND,
    NAME_MISMATCH,
    TOO_OLD,
    UNREADABLE,
    UNSUPPORTED_FORMAT,
    PoaAddress,
    PoaApplicant,
    PoaPolicy,
    PoaText,
    TextSource,
    check_proof_of_address,
)
from aegis.checks.result import CheckResult, Outcome

TODAY = date(2026, 10, 20)
JOHN = PoaApplicant(
    name="John Smith",
    address=PoaAddress(
        lines=("Apartment 3", "12 Baker Street"), city="London", postcode="NW1 6XE", country="GB"
    ),
)


def bill(
    *,
    name: str = "Mr John Smith",
    street: str = "Flat 3, 12 Baker St",
    city: str = "LONDON NW1 6XE",
    dated: str | None = "Statement date: 03/10/2026",
) -> str:
    lines = ["NORTHWIND ENERGY LTD", "Electricity bill"]
    lines += [dated] if dated else []
    lines += ["Account number 4417 2290 8812", name, street, city]
    lines += ["Total to pay GBP 93.81", "Payment due date: 20/10/2026"]
    return "\n".join(lines)


def check(text: str | PoaText, applicant: PoaApplicant = JOHN, **policy: Any) -> CheckResult:
    return check_proof_of_address(
        text, applicant=applicant, today=TODAY, policy=PoaPolicy(**policy)
    )


def test_a_matching_recent_bill_passes_with_its_explanation() -> None:
    result = check(bill())
    assert (result.outcome, result.codes) == (Outcome.PASS, ())
    d = result.details
    assert (d["name_score"], d["address_score"], d["postcode_found"]) == (100.0, 100.0, True)
    assert (d["date_basis"], d["date_keyword"], d["age_days"]) == ("issue", "statement date", 17)


def test_details_never_carry_the_name_the_address_or_the_date() -> None:
    for text in (bill(), bill(name="Peter Jones"), bill(dated=None)):
        rendered = repr(check(text).details).lower()
        for secret in ("john", "smith", "baker", "london", "nw1", "2026", "4417"):
            assert secret not in rendered


def test_someone_elses_bill_fails_on_the_name() -> None:
    result = check(bill(name="Mr Peter Jones"))
    assert (result.outcome, result.codes) == (Outcome.FAIL, (NAME_MISMATCH,))


def test_a_close_name_goes_to_review() -> None:
    result = check(bill(name="Mr John Smithson"))
    assert (result.outcome, result.codes) == (Outcome.REVIEW, (NAME_MISMATCH,))


def test_another_address_fails() -> None:
    result = check(bill(street="44 Mill Lane", city="LEEDS LS1 4AP"))
    assert (result.outcome, result.codes) == (Outcome.FAIL, (ADDRESS_MISMATCH,))


def test_one_misread_number_or_a_missing_postcode_goes_to_review() -> None:
    assert check(bill(street="Flat 8, 12 Baker St")).codes == (ADDRESS_MISMATCH,)
    assert check(bill(street="Flat 8, 12 Baker St")).outcome is Outcome.REVIEW
    no_postcode = check(bill(city="LONDON"))
    assert (no_postcode.outcome, no_postcode.codes) == (Outcome.REVIEW, (ADDRESS_MISMATCH,))
    assert check(bill(city="LONDON"), postcode_required=False).outcome is Outcome.PASS


def test_an_old_bill_fails_and_the_limit_is_configurable() -> None:
    old = bill(dated="Statement date: 03/05/2026")
    result = check(old)
    assert (result.outcome, result.codes) == (Outcome.FAIL, (TOO_OLD,))
    assert result.details["age_days"] == 170
    assert check(old, max_age_days=180).outcome is Outcome.PASS


def test_the_age_limit_is_inclusive() -> None:
    assert check(bill(dated="Statement date: 20/07/2026")).outcome is Outcome.PASS  # 92 days
    assert check(bill(dated="Statement date: 19/07/2026")).codes == (TOO_OLD,)


def test_a_future_date_fails_beyond_a_days_tolerance() -> None:
    assert check(bill(dated="Statement date: 21/10/2026")).outcome is Outcome.PASS
    result = check(bill(dated="Statement date: 01/12/2026"))
    assert (result.outcome, result.codes) == (Outcome.FAIL, (DATE_IN_FUTURE,))


def test_no_date_at_all_goes_to_review() -> None:
    text = bill(dated=None).replace("Payment due date: 20/10/2026", "")
    result = check(text)
    assert (result.outcome, result.codes) == (Outcome.REVIEW, (DATE_NOT_FOUND,))
    assert result.details["date_basis"] is None


def test_only_a_due_date_reviews_unless_it_is_already_too_old() -> None:
    recent = check(bill(dated=None))
    assert (recent.outcome, recent.codes) == (Outcome.REVIEW, (DATE_NOT_FOUND,))
    assert recent.details["date_basis"] == "due_only"
    stale = check(bill(dated=None).replace("20/10/2026", "20/04/2026"))
    assert (stale.outcome, stale.codes) == (Outcome.FAIL, (TOO_OLD,))
    assert stale.details["date_basis"] == "due"


def test_an_ambiguous_date_reviews_only_when_its_readings_disagree() -> None:
    anywhere = replace(
        JOHN,
        address=PoaAddress(
            lines=("Apartment 3", "12 Baker Street"), city="London", postcode="NW1 6XE"
        ),
    )
    # 03/10/2026 is 3 Oct (17 days) or 10 Mar (224 days): the verdict depends on the reading.
    text = bill(dated="Date: 03/10/2026").replace("Payment due date: 20/10/2026", "")
    result = check(text, anywhere)
    assert (result.outcome, result.codes) == (Outcome.REVIEW, (DATE_AMBIGUOUS,))
    assert result.details["date_ambiguous"] is True
    # 09/10/2026 and 10/09/2026 are both recent: nothing to ask.
    both_fine = bill(dated="Date: 09/10/2026").replace("Payment due date: 20/10/2026", "")
    assert check(both_fine, anywhere).outcome is Outcome.PASS
    assert check(text).outcome is Outcome.PASS  # GB settles it


def test_every_failing_part_is_reported() -> None:
    text = bill(name="Peter Jones", street="44 Mill Lane", dated="Statement date: 03/01/2026")
    result = check(text)
    assert result.outcome is Outcome.FAIL
    assert set(result.codes) == {NAME_MISMATCH, ADDRESS_MISMATCH, TOO_OLD}


def test_poor_ocr_turns_a_failure_into_review() -> None:
    text = PoaText(text=bill(name="Peter Jones"), source=TextSource.IMAGE_OCR, ocr_confidence=41.0)
    result = check(text)
    assert (result.outcome, result.codes) == (Outcome.REVIEW, (NAME_MISMATCH,))
    assert result.details["low_ocr_confidence"] is True
    confident = replace(text, ocr_confidence=93.0)
    assert check(confident).outcome is Outcome.FAIL


@pytest.mark.parametrize(
    ("text", "code", "reason"),
    [
        (PoaText(text="", unreadable="pdf_encrypted"), UNREADABLE, "pdf_encrypted"),
        (PoaText(text="", unsupported=True), UNSUPPORTED_FORMAT, None),
        (PoaText(text="NORTHWIND 12"), UNREADABLE, "too_little_text"),
    ],
)
def test_nothing_to_read_goes_to_review(text: PoaText, code: str, reason: str | None) -> None:
    result = check(text)
    assert (result.outcome, result.codes) == (Outcome.REVIEW, (code,))
    assert result.details.get("reason") == reason


def test_a_chinese_bill_matches_hanzi_name_and_address() -> None:
    zhang = PoaApplicant(
        name="Zhang Wei",
        native_name="张伟",
        address=PoaAddress(lines=("广东省深圳市南山区科技园路1号2栋301室",), country="CN"),
    )
    text = (
        "南方电网 深圳供电局\n户 名 ： 张 伟\n地 址 ： 深圳市南山区科技园路 1 号 2 栋 301 室\n"
        "账单日期：2026年10月3日\n缴费截止日期：2026年10月20日"
    )
    result = check(text, zhang)
    assert (result.outcome, result.codes) == (Outcome.PASS, ())
    assert (result.details["name_matched_via"], result.details["date_keyword"]) == (
        "native",
        "账单日期",
    )
    someone_else = check(text.replace("张 伟", "王 芳"), zhang)
    assert someone_else.codes == (NAME_MISMATCH,)
