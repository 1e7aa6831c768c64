"""Is a phone number valid, and can it receive the SMS that proves the applicant owns it?

Pure, on Google's libphonenumber metadata (``phonenumbers``). The E.164 form is PII, so it
is returned by ``to_e164`` for the caller to encrypt and index, never put in details.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from aegis.checks.result import CheckResult

CHECK = "phone"
PHONE_INVALID = "PHONE_INVALID"

_TYPE_NAMES: dict[int, str] = {
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
    PhoneNumberType.UNKNOWN: "unknown",
}

# Types that can receive an SMS. FIXED_LINE_OR_MOBILE is where a country's numbering does
# not tell the two apart (US, CA...): refusing it would refuse every North American mobile.
# VOIP numbers do receive SMS; whether they are welcome is the level's policy, and the
# number type in the details lets it decide. Personal numbers (UK 070) forward to a phone.
SMS_CAPABLE = frozenset({"mobile", "fixed_line_or_mobile", "voip", "personal_number"})


def _parse(number: str, default_region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(number, default_region.upper() if default_region else None)
    except NumberParseException:
        return None


def check_phone(number: str, default_region: str | None) -> CheckResult:
    """Valid for its region and able to receive SMS, else ``PHONE_INVALID``.

    ``default_region`` (ISO 3166 alpha-2) reads numbers typed without a country code, such
    as a Chinese mobile "138 0013 8000" with region CN. Details carry the number type and
    region, never the number.
    """
    parsed = _parse(number, default_region)
    if parsed is None:
        return CheckResult.failed(CHECK, PHONE_INVALID, reason="unparseable")
    if not phonenumbers.is_possible_number(parsed):
        return CheckResult.failed(CHECK, PHONE_INVALID, reason="length")
    if not phonenumbers.is_valid_number(parsed):
        return CheckResult.failed(CHECK, PHONE_INVALID, reason="invalid")
    number_type = _TYPE_NAMES.get(phonenumbers.number_type(parsed), "unknown")
    region = phonenumbers.region_code_for_number(parsed)
    details = {
        "number_type": number_type,
        "region": region,
        "country_code": parsed.country_code,
    }
    if number_type not in SMS_CAPABLE:
        return CheckResult.failed(CHECK, PHONE_INVALID, reason="cannot_receive_sms", **details)
    return CheckResult.passed(CHECK, **details)


def to_e164(number: str, default_region: str | None) -> str | None:
    """The number in E.164 (``+8613800138000``) if it is valid, else None.

    The canonical form to store (encrypted), blind-index for duplicate detection, and send
    SMS to: "138-0013-8000" and "+86 138 0013 8000" must be one phone, not two.
    """
    parsed = _parse(number, default_region)
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
