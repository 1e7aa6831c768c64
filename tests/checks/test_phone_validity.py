from __future__ import annotations

import phonenumbers
import pytest

from aegis.checks.phone.validity import SMS_CAPABLE, check_phone, to_e164
from aegis.checks.result import Outcome

REGIONS = ["CN", "HK", "MO", "TW", "US", "GB", "DE", "FR", "JP", "SG", "IN", "BR"]


def _examples() -> list[tuple[str, int, str]]:
    """libphonenumber's own example number for every (region, type) it has one for."""
    rows = []
    for region in REGIONS:
        for number_type in range(11):
            example = phonenumbers.example_number_for_type(region, number_type)
            if example is not None:
                e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
                rows.append((region, number_type, e164))
    return rows


@pytest.mark.parametrize(("region", "number_type", "e164"), _examples())
def test_every_example_number_is_valid_and_sms_capability_decides(
    region: str, number_type: int, e164: str
) -> None:
    result = check_phone(e164, None)
    assert result.details["region"] == region
    if result.details["number_type"] in SMS_CAPABLE:
        assert result.outcome is Outcome.PASS
    else:
        assert result.outcome is Outcome.FAIL
        assert result.codes == ("PHONE_INVALID",)
        assert result.details["reason"] == "cannot_receive_sms"
    assert e164 not in repr(result.details)
    assert e164[-6:] not in repr(result.details)


def test_chinese_mobile_with_and_without_country_code() -> None:
    for number, region in [
        ("+86 138 0013 8000", None),
        ("13800138000", "CN"),
        ("138-0013-8000", "cn"),
        ("+8613800138000", "US"),  # an explicit country code wins over the default
    ]:
        result = check_phone(number, region)
        assert result.outcome is Outcome.PASS, number
        assert result.details == {"number_type": "mobile", "region": "CN", "country_code": 86}


def test_fixed_line_cannot_receive_sms() -> None:
    result = check_phone("010 6552 9988", "CN")
    assert result.outcome is Outcome.FAIL
    assert result.details["number_type"] == "fixed_line"


def test_north_american_numbers_are_not_refused_as_fixed_lines() -> None:
    result = check_phone("(201) 555-0123", "US")
    assert result.outcome is Outcome.PASS
    assert result.details["number_type"] == "fixed_line_or_mobile"


@pytest.mark.parametrize(
    ("number", "region", "reason"),
    [
        ("not a phone", "CN", "unparseable"),
        ("13800138000", None, "unparseable"),  # no country code and no default region
        ("", "CN", "unparseable"),
        ("+86 138", None, "length"),
        ("+86 1380013800012345", None, "length"),
        ("+86 100 0000 0000", None, "invalid"),
    ],
)
def test_invalid_numbers(number: str, region: str | None, reason: str) -> None:
    result = check_phone(number, region)
    assert result.outcome is Outcome.FAIL
    assert result.codes == ("PHONE_INVALID",)
    assert result.details["reason"] == reason


def test_to_e164() -> None:
    assert to_e164("138-0013-8000", "CN") == "+8613800138000"
    assert to_e164("+86 138 0013 8000", None) == "+8613800138000"
    assert to_e164("+86 100 0000 0000", None) is None
    assert to_e164("garbage", "CN") is None
