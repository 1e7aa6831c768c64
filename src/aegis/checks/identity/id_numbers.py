"""Is the ID number an applicant typed a real one, and does it agree with their birth date?

``check_id_number`` is pure: no I/O, no clock unless ``today`` is left out. Its result's
details name the rule applied (``scheme``) and how deep it went (``validated``):
``checksum`` (a check digit was verified), ``stdnum`` (python-stdnum's full validation for
that number: its checksum where it has one), ``format`` (a document-specific pattern matched),
or ``format_only`` (generic sanity: we know no rule for this document). Details never hold
the number, the birth date or the region itself.

Policy
------
Mainland resident ID (``national_id``, CN)
    18 characters: checksum (ISO 7064 MOD 11-2), a real birth date (1880 to today), and the
    region code. The birth date must equal the declared date of birth, else
    ``ID_NUMBER_DOB_MISMATCH`` (hard). A region code python-stdnum does not know, or one
    abolished before the holder was born, goes to a reviewer (``ID_NUMBER_REGION_UNKNOWN``):
    stdnum's table lags behind new districts, so this must not reject anyone on its own.
    A code created after the birth year is accepted: people are numbered when registered,
    and numbers survive renamed districts.

15-digit resident ID numbers
    Rejected as ``ID_NUMBER_LEGACY`` (hard, fixable): the first-generation cards that carry
    them stopped being valid on 2013-01-01, and every holder has an 18-digit number. Their
    birth date (19YYMMDD) and region are still read: an impossible date makes the number
    ``ID_NUMBER_INVALID`` instead, a date that disagrees with the applicant adds
    ``ID_NUMBER_DOB_MISMATCH``, and the region status is in the details for the reviewer.

Hong Kong, Macau and Taiwan residents
    ``hmt_residence_permit`` (港澳台居民居住证, 2018): 18 digits starting 810000 (HK),
    820000 (MO) or 830000 (TW), validated exactly like a resident ID (checksum, birth date,
    DOB match); such a number entered as CN ``national_id`` is validated as this permit.
    ``hk_macau_permit``: the Home Return Permit (港澳居民来往内地通行证: H or M + 8 digits,
    optionally + the 2-digit issue count) or the mainland Exit-Entry Permit (往来港澳通行证:
    C + 8 digits, or C + letter + 7 digits). ``taiwan_permit`` (台湾居民来往大陆通行证):
    8 digits, optionally + the 2-digit issue count. Permits carry no check digit or birth
    date, so their format is all that can be checked; the pre-2014 booklet permits (W...)
    are not accepted, as every one has expired. These three types are issued by mainland
    authorities to (or for travel to) CN, HK, MO and TW; with another country they are
    ``ID_TYPE_UNSUPPORTED``.
    ``national_id`` for HK (HKID) and TW (national ID) is checked with its check digit;
    ``residence_permit`` for TW checks new-style resident certificates (letter + 8/9 + 8
    digits) by checksum and older ones by format.

Passports
    ICAO 9303 document number (capitals and digits, at least one digit, up to 9; 10-12
    pass as format_only). CN ordinary passports must match E + 8 digits, E + letter +
    7 digits, or G + 8 digits; other CN prefixes (diplomatic, service) fall back to ICAO.

Other countries and types
    ``national_id`` and ``residence_permit`` use python-stdnum where it has the number
    printed on the card (``world.NATIONAL_ID_MODULES``), including its birth date where
    stdnum reads one reliably (two-digit years tolerate a century). Anything else, and
    every ``driver_licence``: generic sanity only (4-20 capitals/digits with a digit), which
    passes with ``validated: format_only`` so the level's policy can decide what that is
    worth. An ``id_type`` outside the list is ``ID_TYPE_UNSUPPORTED``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from aegis.checks.identity import cn, world
from aegis.checks.identity._common import CHECK, TYPE_UNSUPPORTED, fold, normalise
from aegis.checks.result import CheckResult

ID_TYPES = frozenset(
    {
        "national_id",
        "passport",
        "driver_licence",
        "residence_permit",
        "hk_macau_permit",
        "taiwan_permit",
        "hmt_residence_permit",
    }
)
# Documents issued by mainland authorities for travel to, or residence in, these places.
_GREATER_CHINA = frozenset({"CN", "HK", "MO", "TW"})
_COUNTRY = re.compile(r"[A-Z]{2}")


def _country(country: str) -> str:
    cc = country.strip().upper()
    if not _COUNTRY.fullmatch(cc):
        # A programming error upstream (the API validates ISO 3166 codes), not applicant data.
        raise ValueError("country must be an ISO 3166-1 alpha-2 code")
    return cc


def _dispatch(
    id_type: str, cc: str, raw: str, date_of_birth: date | None, today: date
) -> CheckResult:
    number = normalise(raw)
    if id_type in ("hk_macau_permit", "taiwan_permit", "hmt_residence_permit"):
        if cc not in _GREATER_CHINA:
            return CheckResult.failed(CHECK, TYPE_UNSUPPORTED, reason="country")
        if id_type == "hk_macau_permit":
            return cn.check_hk_macau_permit(number)
        if id_type == "taiwan_permit":
            return cn.check_taiwan_permit(number)
        return cn.check_hmt_residence_permit(number, date_of_birth, today)
    if id_type == "passport":
        found = cn.check_cn_passport(number) if cc == "CN" else None
        return found or world.check_icao_passport(number)
    if id_type == "national_id":
        if cc == "CN":
            return cn.check_ric(number, date_of_birth, today)
        if cc == "HK":
            return world.check_hkid(number)
        if cc == "TW":
            return world.check_tw(number, residence=False)
        if cc in world.NATIONAL_ID_MODULES:
            return world.check_stdnum(world.NATIONAL_ID_MODULES[cc], fold(raw), date_of_birth)
    if id_type == "residence_permit":
        if cc == "TW":
            return world.check_tw(number, residence=True)
        if cc in world.RESIDENCE_PERMIT_MODULES:
            modules = world.RESIDENCE_PERMIT_MODULES[cc]
            return world.check_stdnum(modules, fold(raw), date_of_birth)
    return world.check_generic(number)


def check_id_number(
    *,
    id_type: str,
    country: str,
    number: str,
    date_of_birth: date | None,
    today: date | None = None,
) -> CheckResult:
    """Validate ``number`` as an ``id_type`` issued by ``country`` (ISO 3166 alpha-2).

    ``date_of_birth`` is compared with the birth date the number encodes, where it encodes
    one. ``today`` bounds plausible birth dates; it defaults to the current UTC date.
    """
    if id_type not in ID_TYPES:
        return CheckResult.failed(CHECK, TYPE_UNSUPPORTED, reason="id_type")
    cc = _country(country)
    result = _dispatch(id_type, cc, number, date_of_birth, today or datetime.now(UTC).date())
    return CheckResult(
        result.check,
        result.outcome,
        result.codes,
        {"id_type": id_type, "country": cc, **result.details},
    )


def id_number_birth_date(*, id_type: str, country: str, number: str) -> date | None:
    """The birth date an ID number encodes, or None (no date in it, or not well formed).

    For pre-filling or cross-checking a date of birth; it does not validate the number
    (call ``check_id_number`` for that), except that a checksum must hold where one exists.
    """
    cc = _country(country)
    if id_type == "hmt_residence_permit" or (id_type == "national_id" and cc == "CN"):
        return cn.ric_birth_date(normalise(number))
    folded = fold(number)
    modules: tuple[str, ...] = ()
    if id_type == "national_id":
        modules = world.NATIONAL_ID_MODULES.get(cc, ())
    elif id_type == "residence_permit":
        modules = world.RESIDENCE_PERMIT_MODULES.get(cc, ())
    for name in modules:
        if world.check_stdnum((name,), folded, None).outcome != "fail":
            return world.stdnum_birth_date(name, folded)
    return None
