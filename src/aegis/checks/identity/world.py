"""Identity numbers outside mainland China: python-stdnum where it has the number,
Hong Kong and Taiwan check digits, the ICAO passport format, and a generic sanity check.
"""

from __future__ import annotations

import importlib
import re
from datetime import date
from types import ModuleType

from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

from aegis.checks.identity._common import DOB_MISMATCH, combine, dob_matches, invalid
from aegis.checks.result import CheckResult

# The number a national identity card carries, by country, as python-stdnum modules.
# Chosen by hand rather than from stdnum's ``personalid`` aliases: a national_id check must
# validate the number printed on the card, and some aliases name another number (see
# PERSONALID_NOT_ON_CARD). Where a card shows two numbers (NL: BSN and document number;
# BE: national number and card number) either is accepted.
NATIONAL_ID_MODULES: dict[str, tuple[str, ...]] = {
    "AR": ("ar.dni",),
    "BE": ("be.nn", "be.eid"),
    "BG": ("bg.egn",),
    "BR": ("br.cpf",),
    "CL": ("cl.rut",),
    "CR": ("cr.cpf",),
    "CU": ("cu.ni",),
    "CZ": ("cz.rc",),
    "DK": ("dk.cpr",),
    "DO": ("do.cedula",),
    "EC": ("ec.ci",),
    "EE": ("ee.ik",),
    "ES": ("es.dni",),
    "FI": ("fi.hetu",),
    "HR": ("hr.oib",),
    "ID": ("id.nik",),
    "IE": ("ie.pps",),
    "IL": ("il.idnr",),
    "IN": ("in_.aadhaar",),
    "IS": ("is_.kennitala",),
    "JP": ("jp.in_",),
    "KR": ("kr.rrn",),
    "LT": ("lt.asmens",),
    "MU": ("mu.nid",),
    "MX": ("mx.curp",),
    "MY": ("my.nric",),
    "NL": ("nl.bsn", "nl.identiteitskaartnummer"),
    "NO": ("no.fodselsnummer",),
    "PE": ("pe.cui",),
    "PK": ("pk.cnic",),
    "PL": ("pl.pesel",),
    "PT": ("pt.cc",),
    "RO": ("ro.cnp",),
    "SE": ("se.personnummer",),
    "SI": ("si.emso",),
    "SK": ("sk.rc",),
    "TH": ("th.pin",),
    "TR": ("tr.tckimlik",),
    "ZA": ("za.idnr",),
}

# stdnum ``personalid`` aliases deliberately not used for national_id (a test keeps this
# list in step with stdnum, so a new alias is a decision, not an accident).
PERSONALID_NOT_ON_CARD: dict[str, str] = {
    "AT": "at.vnr is the social insurance number; the ID card does not carry it",
}

# Residence permits whose number stdnum knows (foreigners' numbers).
RESIDENCE_PERMIT_MODULES: dict[str, tuple[str, ...]] = {
    "BE": ("be.nn", "be.bis"),
    "BG": ("bg.pnf",),
    "CR": ("cr.cr",),
    "ES": ("es.nie",),
}

# stdnum documents these birth dates as unreliable (MY: sometimes the registration date).
_BIRTH_DATE_UNRELIABLE = frozenset({"my.nric"})
# These encode a 2-digit year only (or say they may be a century off).
_CENTURY_AMBIGUOUS = frozenset({"id.nik", "za.idnr", "kr.rrn", "mx.curp", "cu.ni"})

_GENERIC = re.compile(r"[A-Z0-9]{4,20}")
_ICAO = re.compile(r"[A-Z0-9]{5,12}")
_ICAO_MAX = 9  # ICAO 9303: longer numbers overflow into the optional-data field
_HKID = re.compile(r"([A-Z]{1,2})(\d{6})([0-9A])")
_TW_CITIZEN = re.compile(r"[A-Z][12]\d{8}")
_TW_NEW_ARC = re.compile(r"[A-Z][89]\d{8}")  # resident certificates since 2021
_TW_OLD_ARC = re.compile(r"[A-Z][A-D]\d{8}")  # older certificates; other check scheme
# Letter values of the Taiwanese ID (I, O, W... are out of order: they were added later).
_TW_LETTERS = dict(zip("ABCDEFGHJKLMNPQRSTUVXYWZIO", range(10, 36), strict=True))


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"stdnum.{name}")


def _reason(exc: ValidationError) -> str:
    if isinstance(exc, InvalidChecksum):
        return "checksum"
    if isinstance(exc, InvalidLength):
        return "length"
    if isinstance(exc, InvalidFormat):
        return "format"
    if isinstance(exc, InvalidComponent):
        return "component"
    return "invalid"


def stdnum_birth_date(module_name: str, number: str) -> date | None:
    """The birth date a valid number encodes, when stdnum can read one reliably."""
    mod = _module(module_name)
    if module_name in _BIRTH_DATE_UNRELIABLE or not hasattr(mod, "get_birth_date"):
        return None
    try:
        born = mod.get_birth_date(number)
    except (ValidationError, ValueError):
        return None
    return born if isinstance(born, date) else None


def check_stdnum(modules: tuple[str, ...], number: str, date_of_birth: date | None) -> CheckResult:
    """Valid if any of ``modules`` accepts the number; then compare an encoded birth date."""
    first_error: tuple[str, str] | None = None
    for name in modules:
        mod = _module(name)
        try:
            mod.validate(number)
        except ValidationError as exc:
            first_error = first_error or (name, _reason(exc))
            continue
        born = stdnum_birth_date(name, number)
        fail = []
        if born is not None and date_of_birth is not None:
            ambiguous = name in _CENTURY_AMBIGUOUS
            if not dob_matches(born, date_of_birth, century_ambiguous=ambiguous):
                fail.append(DOB_MISMATCH)
        return combine(
            f"stdnum:{name}",
            # stdnum's full validation: checksum where the number has one, else format,
            # plus whatever components (dates, regions) the standard defines.
            validated="stdnum",
            fail_codes=fail,
            review_codes=[],
            dob_checked=born is not None and date_of_birth is not None,
        )
    assert first_error is not None  # modules is never empty
    return invalid(f"stdnum:{first_error[0]}", first_error[1])


def hkid_check_char(letters: str, digits: str) -> str:
    """Hong Kong identity card check character (0-9 or A), weights 9..2 mod 11.

    A single prefix letter is padded with a space worth 36 (the Immigration Department's
    published scheme; A123456(3) is its specimen).
    """
    values = [36] if len(letters) == 1 else []
    values += [ord(c) - ord("A") + 10 for c in letters]
    values += [int(d) for d in digits]
    total = sum(v * w for v, w in zip(values, range(9, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return "A" if check == 10 else str(check)


def check_hkid(number: str) -> CheckResult:
    m = _HKID.fullmatch(number)
    if m is None:
        return invalid("hk_hkid", "format")
    if hkid_check_char(m.group(1), m.group(2)) != m.group(3):
        return invalid("hk_hkid", "checksum")
    return combine("hk_hkid", validated="checksum", fail_codes=[], review_codes=[])


def tw_id_valid(number: str) -> bool:
    """Taiwanese national ID / new-style resident certificate checksum (mod 10).

    The letter becomes two digits (weights 1 and 9), the next eight digits weigh 8..1 and
    the check digit 1; A123456789 is the specimen.
    """
    tens, units = divmod(_TW_LETTERS[number[0]], 10)
    weights = (8, 7, 6, 5, 4, 3, 2, 1, 1)
    total = tens + units * 9 + sum(int(d) * w for d, w in zip(number[1:], weights, strict=True))
    return total % 10 == 0


def check_tw(number: str, *, residence: bool) -> CheckResult:
    scheme = "tw_resident_certificate" if residence else "tw_national_id"
    pattern = _TW_NEW_ARC if residence else _TW_CITIZEN
    if pattern.fullmatch(number):
        if not tw_id_valid(number):
            return invalid(scheme, "checksum")
        return combine(scheme, validated="checksum", fail_codes=[], review_codes=[])
    if residence and _TW_OLD_ARC.fullmatch(number):
        return combine(scheme, validated="format", fail_codes=[], review_codes=[])
    return invalid(scheme, "format")


def check_icao_passport(number: str) -> CheckResult:
    """ICAO 9303 document number: Latin capitals and digits, at least one digit.

    Up to 9 characters fit the MRZ field; 10-12 are legal (the rest overflows into optional
    data) but rare, so they pass as format_only for a reviewer's benefit.
    """
    if not _ICAO.fullmatch(number) or not any(c.isdigit() for c in number):
        return invalid("icao_9303", "format")
    validated = "format" if len(number) <= _ICAO_MAX else "format_only"
    return combine("icao_9303", validated=validated, fail_codes=[], review_codes=[])


def check_generic(number: str) -> CheckResult:
    """Sanity only, for numbers we have no rule for: 4-20 Latin capitals/digits, a digit."""
    if not _GENERIC.fullmatch(number) or not any(c.isdigit() for c in number):
        return invalid("generic", "format")
    return combine("generic", validated="format_only", fail_codes=[], review_codes=[])
