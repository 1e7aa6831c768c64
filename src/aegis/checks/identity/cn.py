"""Identity numbers issued by the People's Republic of China.

Resident ID (居民身份证, GB 11643-1999): 6-digit region code, 8-digit birth date, 3-digit
sequence, and an ISO 7064 MOD 11-2 check character (0-9 or X). The 15-digit form of
GB 11643-1989 has a 2-digit year and no check character. The residence permit for Hong Kong,
Macau and Taiwan residents (港澳台居民居住证, 2018) uses the same 18-digit layout with the
region codes 810000, 820000 and 830000. Travel permits carry no birth date or checksum, so
only their format can be checked. The policy for each is in ``id_numbers``'s docstring.
"""

from __future__ import annotations

import re
from datetime import date

from stdnum import numdb
from stdnum.cn import ric

from aegis.checks.identity._common import (
    DOB_MISMATCH,
    LEGACY,
    REGION_UNKNOWN,
    combine,
    dob_matches,
    invalid,
)
from aegis.checks.result import CheckResult

_RIC18 = re.compile(r"\d{17}[\dX]")
_RIC15 = re.compile(r"\d{15}")
HMT_PREFIXES = ("810000", "820000", "830000")  # Hong Kong, Macau, Taiwan residents
_EARLIEST_BIRTH_YEAR = 1880  # older dates are typos, not applicants

# 港澳居民来往内地通行证 (Home Return Permit), card form since 2013: H (Hong Kong) or
# M (Macau) and 8 digits; some print or type the 2-digit issue count after it.
_HOME_RETURN = re.compile(r"[HM]\d{8}(\d{2})?")
# 往来港澳通行证 (mainland residents' Exit-Entry Permit), electronic since 2014: C and
# 8 digits; after the 100 million numbers ran out (announced by the National Immigration
# Administration, 2018-12) C, a letter other than I and O, and 7 digits, from CA0000001.
_EEP = re.compile(r"C(\d{8}|[A-HJ-NP-Z]\d{7})")
# 台湾居民来往大陆通行证 (Mainland Travel Permit for Taiwan residents): 8 digits on the
# card issued since 2015; 10 when the 2-digit issue count is typed after them.
_TAIWAN_PERMIT = re.compile(r"\d{8}(\d{2})?")
# Ordinary passports: E and 8 digits (biometric, 2012+); E, a letter other than I and O,
# and 7 digits once E-numbers ran out; G and 8 digits for the pre-2012 booklet (all expired
# by now, but expiry is the document check's business, not the number's).
_CN_ORDINARY_PASSPORT = re.compile(r"E\d{8}|E[A-HJ-NP-Z]\d{7}|G\d{8}")


def _birth_date(yyyymmdd: str, today: date) -> date | None:
    """The date, or None when it is not a real, plausible birth date."""
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None
    if born.year < _EARLIEST_BIRTH_YEAR or born > today:
        return None
    return born


def region_status(code: str, birth_year: int) -> str:
    """How the 6-digit region code relates to the holder's birth year.

    ``known``: the code was in effect in the birth year, or created later (a person is
    registered, and numbered, after birth, and the number never changes when districts are
    renamed). ``abolished``: the code had been withdrawn before the person was born, which no
    real registration can produce. ``unknown``: not in python-stdnum's table at all.

    stdnum's own ``get_birth_place`` rejects codes created after the birth year, which would
    send every holder of a since-renamed district to a reviewer; hence this reading of its
    table (entries look like ``[1986-]房山区`` or ``[-1991]东郊区,[1992-]东丽区``).
    """
    results = numdb.get("cn/loc").info(code)
    county = {k: v for _part, props in results for k, v in props.items()}.get("county")
    if not county:
        return "unknown"
    abolished = True
    for entry in county.split(","):
        if not entry.startswith("["):
            return "known"
        span = entry[1:].split("]", 1)[0]
        start, _, end = span.partition("-")
        if end and birth_year > int(end):
            continue
        if start and birth_year < int(start):
            abolished = False  # created after birth: plausible
            continue
        return "known"
    return "abolished" if abolished else "known"


def ric_birth_date(number: str) -> date | None:
    """The birth date encoded in an 18-digit (or 15-digit legacy) number, if well formed."""
    today = date.max
    if _RIC18.fullmatch(number) and ric.calc_check_digit(number) == number[-1]:
        return _birth_date(number[6:14], today)
    if _RIC15.fullmatch(number):
        return _birth_date("19" + number[6:12], today)
    return None


def check_ric(number: str, date_of_birth: date | None, today: date) -> CheckResult:
    """An 18-digit resident ID number: format, checksum, birth date, region."""
    scheme = "cn_ric"
    if _RIC15.fullmatch(number):
        return _check_legacy(number, date_of_birth, today)
    if not _RIC18.fullmatch(number):
        return invalid(scheme, "format" if len(number) == 18 else "length")
    if number.startswith(HMT_PREFIXES):
        # Holders of a 居住证 often pick "national ID": its number is one in every way that
        # matters here, so validate it as what it is rather than reject the choice.
        return check_hmt_residence_permit(number, date_of_birth, today)
    if ric.calc_check_digit(number) != number[-1]:
        return invalid(scheme, "checksum")
    born = _birth_date(number[6:14], today)
    if born is None:
        return invalid(scheme, "birth_date")
    fail: list[str] = []
    review: list[str] = []
    if date_of_birth is not None and not dob_matches(born, date_of_birth):
        fail.append(DOB_MISMATCH)
    region = region_status(number[:6], born.year)
    if region != "known":
        review.append(REGION_UNKNOWN)
    return combine(
        scheme,
        validated="checksum",
        fail_codes=fail,
        review_codes=review,
        region=region,
        dob_checked=date_of_birth is not None,
    )


def _check_legacy(number: str, date_of_birth: date | None, today: date) -> CheckResult:
    """A 15-digit number: always rejected as withdrawn, but explained.

    The birth date and region are still read so the reviewer (and the applicant's hint)
    can tell a typo from a genuine old number; a 15-digit string whose date is impossible
    is simply invalid.
    """
    scheme = "cn_ric_legacy15"
    born = _birth_date("19" + number[6:12], today)
    if born is None:
        return invalid(scheme, "birth_date")
    fail = [LEGACY]
    if date_of_birth is not None and not dob_matches(born, date_of_birth):
        fail.append(DOB_MISMATCH)
    return combine(
        scheme,
        validated="format",
        fail_codes=fail,
        review_codes=[],
        region=region_status(number[:6], born.year),
        dob_checked=date_of_birth is not None,
    )


def check_hmt_residence_permit(number: str, date_of_birth: date | None, today: date) -> CheckResult:
    """港澳台居民居住证: 810000/820000/830000, birth date, sequence, MOD 11-2 check."""
    scheme = "cn_hmt_residence_permit"
    if not _RIC18.fullmatch(number):
        return invalid(scheme, "format" if len(number) == 18 else "length")
    if not number.startswith(HMT_PREFIXES):
        return invalid(scheme, "prefix")
    if ric.calc_check_digit(number) != number[-1]:
        return invalid(scheme, "checksum")
    born = _birth_date(number[6:14], today)
    if born is None:
        return invalid(scheme, "birth_date")
    fail = []
    if date_of_birth is not None and not dob_matches(born, date_of_birth):
        fail.append(DOB_MISMATCH)
    return combine(
        scheme,
        validated="checksum",
        fail_codes=fail,
        review_codes=[],
        dob_checked=date_of_birth is not None,
    )


def check_hk_macau_permit(number: str) -> CheckResult:
    """Either permit for travel between the mainland and Hong Kong/Macau (format only)."""
    if _HOME_RETURN.fullmatch(number):
        return combine("cn_home_return_permit", validated="format", fail_codes=[], review_codes=[])
    if _EEP.fullmatch(number):
        return combine("cn_exit_entry_permit", validated="format", fail_codes=[], review_codes=[])
    return invalid("cn_hk_macau_permit", "format")


def check_taiwan_permit(number: str) -> CheckResult:
    """台湾居民来往大陆通行证 (format only: the number carries no check digit)."""
    scheme = "cn_taiwan_permit"
    if _TAIWAN_PERMIT.fullmatch(number):
        return combine(scheme, validated="format", fail_codes=[], review_codes=[])
    return invalid(scheme, "format")


def check_cn_passport(number: str) -> CheckResult | None:
    """Ordinary passports (E, G) by their exact pattern; None for other kinds.

    Diplomatic, service and public-affairs passports use other prefixes whose current
    patterns we cannot confirm; they fall back to the ICAO format so a rare but real
    document is never rejected on a guess.
    """
    if not number.startswith(("E", "G")):
        return None
    if _CN_ORDINARY_PASSPORT.fullmatch(number):
        return combine("cn_passport", validated="format", fail_codes=[], review_codes=[])
    return invalid("cn_passport", "format")
