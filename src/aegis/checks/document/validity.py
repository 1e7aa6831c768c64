"""Is the document valid, and is it the applicant's? Pure functions over frozen dataclasses.

:func:`check_validity` returns one :class:`CheckResult` per question:

``document_expiry``
    ``DOC_EXPIRED`` (hard) when the expiry date is before ``today``; the document is valid
    through its expiry date. No expiry date read (a Chinese ID card's front has none) gives
    ``DOC_EXPIRY_UNKNOWN`` for review.
``document_country``
    ``DOC_COUNTRY_INVALID`` when the issuing state or nationality is not an ICAO 9303 code:
    ISO 3166-1 alpha-3, or one of ICAO's own (``D`` for Germany, the British ``GBD``...,
    organisations such as ``UNO`` and ``EUE``, and ``XXA``-``XXX`` for stateless persons and
    refugees). Specimens' ``UTO`` (Utopia) is invalid, as it should be in production.
``document_number``
    ``DOC_NUMBER_INVALID`` when the number breaks its format: passports through the ID
    number rules (CN ordinary passports E/G + 8, else ICAO: capitals and digits, a digit,
    up to 9), other documents 1-9 capitals and digits (10-22 for cards whose number
    overflows into the optional data).
``id_number``
    The national ID number the document carries, through
    :func:`aegis.checks.identity.id_numbers.check_id_number` (format, checksum, region): its
    codes (``ID_NUMBER_INVALID``, ``ID_NUMBER_REGION_UNKNOWN``...) as they are. Whether its
    birth date agrees with the document's is a tampering signal (``tampering``).
``document_data_match``
    The document against the applicant's data: ``DATA_MISMATCH`` naming the fields
    (``name``, ``birth_date``, ``sex``, ``nationality``, ``document_number``,
    ``id_number``). Fields from ``doc`` fail; fields only the visual zone gave go to review.
``document_zones_match``
    The MRZ (``doc``) against the visual zone: ``DATA_MISMATCH`` for review, as a visual
    read can be an OCR slip as easily as an alteration.

Names are compared the way ICAO 9303 writes them: diacritics transliterated (``MÜLLER`` is
``MULLER`` or ``MUELLER``), apostrophes dropped and hyphens as spaces, spaces ignored
(``XIAO MING`` = ``XIAOMING``), surname and given names in either order, Chinese names
through their pinyin readings (every reading of a polyphonic character, ü as YU, V or U), and
a name the MRZ had to truncate as a prefix. Details never hold values: only field names.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from anyascii import anyascii
from pypinyin import Style, pinyin

from aegis.checks.document.fields import DocumentFields, DocumentType
from aegis.checks.identity import world
from aegis.checks.identity.id_numbers import check_id_number
from aegis.checks.result import CheckResult, Outcome

EXPIRED: Final = "DOC_EXPIRED"
EXPIRY_UNKNOWN: Final = "DOC_EXPIRY_UNKNOWN"
COUNTRY_INVALID: Final = "DOC_COUNTRY_INVALID"
NUMBER_INVALID: Final = "DOC_NUMBER_INVALID"
DATA_MISMATCH: Final = "DATA_MISMATCH"

HINTS: Final[dict[str, tuple[str, str]]] = {
    EXPIRED: (
        "Your document has expired; upload a document that is still valid.",
        "您的证件已过期，请上传仍在有效期内的证件。",
    ),
    EXPIRY_UNKNOWN: (
        "We could not read your document's expiry date; upload the side that shows it.",
        "无法读取证件的有效期，请上传显示有效期的一面。",
    ),
    COUNTRY_INVALID: (
        "The issuing country on your document is not recognised; upload an official document.",
        "无法识别证件的签发国家，请上传正式签发的证件。",
    ),
    NUMBER_INVALID: (
        "The document number does not have a valid format; check the photo shows it clearly.",
        "证件号码格式无效，请确认照片中的号码清晰可辨。",
    ),
    DATA_MISMATCH: (
        "The details on your document differ from the ones you entered; check and correct them.",
        "证件上的信息与您填写的信息不一致，请核对并更正。",
    ),
}

# ISO 3166-1 alpha-3 and alpha-2, in pairs.
_ISO: Final = """
AFG AF ALA AX ALB AL DZA DZ ASM AS AND AD AGO AO AIA AI ATA AQ ATG AG ARG AR ARM AM ABW AW
AUS AU AUT AT AZE AZ BHS BS BHR BH BGD BD BRB BB BLR BY BEL BE BLZ BZ BEN BJ BMU BM BTN BT
BOL BO BES BQ BIH BA BWA BW BVT BV BRA BR IOT IO BRN BN BGR BG BFA BF BDI BI CPV CV KHM KH
CMR CM CAN CA CYM KY CAF CF TCD TD CHL CL CHN CN CXR CX CCK CC COL CO COM KM COG CG COD CD
COK CK CRI CR CIV CI HRV HR CUB CU CUW CW CYP CY CZE CZ DNK DK DJI DJ DMA DM DOM DO ECU EC
EGY EG SLV SV GNQ GQ ERI ER EST EE SWZ SZ ETH ET FLK FK FRO FO FJI FJ FIN FI FRA FR GUF GF
PYF PF ATF TF GAB GA GMB GM GEO GE DEU DE GHA GH GIB GI GRC GR GRL GL GRD GD GLP GP GUM GU
GTM GT GGY GG GIN GN GNB GW GUY GY HTI HT HMD HM VAT VA HND HN HKG HK HUN HU ISL IS IND IN
IDN ID IRN IR IRQ IQ IRL IE IMN IM ISR IL ITA IT JAM JM JPN JP JEY JE JOR JO KAZ KZ KEN KE
KIR KI PRK KP KOR KR KWT KW KGZ KG LAO LA LVA LV LBN LB LSO LS LBR LR LBY LY LIE LI LTU LT
LUX LU MAC MO MDG MG MWI MW MYS MY MDV MV MLI ML MLT MT MHL MH MTQ MQ MRT MR MUS MU MYT YT
MEX MX FSM FM MDA MD MCO MC MNG MN MNE ME MSR MS MAR MA MOZ MZ MMR MM NAM NA NRU NR NPL NP
NLD NL NCL NC NZL NZ NIC NI NER NE NGA NG NIU NU NFK NF MKD MK MNP MP NOR NO OMN OM PAK PK
PLW PW PSE PS PAN PA PNG PG PRY PY PER PE PHL PH PCN PN POL PL PRT PT PRI PR QAT QA REU RE
ROU RO RUS RU RWA RW BLM BL SHN SH KNA KN LCA LC MAF MF SPM PM VCT VC WSM WS SMR SM STP ST
SAU SA SEN SN SRB RS SYC SC SLE SL SGP SG SXM SX SVK SK SVN SI SLB SB SOM SO ZAF ZA SGS GS
SSD SS ESP ES LKA LK SDN SD SUR SR SJM SJ SWE SE CHE CH SYR SY TWN TW TJK TJ TZA TZ THA TH
TLS TL TGO TG TKL TK TON TO TTO TT TUN TN TUR TR TKM TM TCA TC TUV TV UGA UG UKR UA ARE AE
GBR GB USA US UMI UM URY UY UZB UZ VUT VU VEN VE VNM VN VGB VG VIR VI WLF WF ESH EH YEM YE
ZMB ZM ZWE ZW
""".split()  # noqa: SIM905 - a table reads better as rows than as 498 quoted strings
ALPHA3_TO_ALPHA2: Final[dict[str, str]] = dict(zip(_ISO[::2], _ISO[1::2], strict=True))
ALPHA2_TO_ALPHA3: Final[dict[str, str]] = {v: k for k, v in ALPHA3_TO_ALPHA2.items()}
# ICAO 9303 Part 3 codes that are not ISO 3166 (with the country they belong to, if any).
ICAO_SPECIAL: Final[dict[str, str | None]] = {
    "D": "DEU",
    "GBD": "GBR",  # British Overseas Territories Citizen
    "GBN": "GBR",  # British National (Overseas)
    "GBO": "GBR",  # British Overseas Citizen
    "GBP": "GBR",  # British Protected Person
    "GBS": "GBR",  # British Subject
    "RKS": None,  # Kosovo, as Kosovo's own documents write it
    "UNO": None,  # United Nations Organization
    "UNA": None,  # specialised agency of the UN
    "UNK": None,  # resident of Kosovo, issued by UNMIK
    "EUE": None,  # European Union
    "XBA": None,  # African Development Bank
    "XIM": None,  # African Export-Import Bank
    "XCC": None,  # Caribbean Community
    "XCE": None,  # Council of Europe
    "XCO": None,  # Common Market for Eastern and Southern Africa
    "XEC": None,  # Economic Community of West African States
    "XES": None,  # Organisation of Eastern Caribbean States
    "XMP": None,  # International Committee of the Red Cross
    "XOM": None,  # Sovereign Military Order of Malta
    "XPO": None,  # INTERPOL
    "XDC": None,  # Southern African Development Community
    "XXA": None,  # stateless person
    "XXB": None,  # refugee (1951 Convention)
    "XXC": None,  # refugee (other)
    "XXX": None,  # unspecified nationality
}
ICAO_CODES: Final = frozenset(ALPHA3_TO_ALPHA2) | frozenset(ICAO_SPECIAL)

_DOC_NUMBER: Final = re.compile(r"[A-Z0-9]{1,9}")
_DOC_NUMBER_OVERFLOW: Final = re.compile(r"[A-Z0-9]{10,22}")  # TD1 cards: into optional data
_HAN: Final = re.compile(r"[\u3400-\u9fff]")
# ICAO 9303 Part 3's national transliterations, next to the plain one anyascii gives.
_EXPANSIONS: Final = {"Ä": "AE", "Ö": "OE", "Ü": "UE", "Å": "AA", "Ø": "OE", "Æ": "AE"}
_MAX_READINGS: Final = 64  # pinyin combinations tried per name (polyphonic characters)


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplicantFacts:
    """What the applicant declared. Countries as ISO alpha-2 or ICAO alpha-3 codes."""

    latin_surname: str | None = None
    latin_given_names: str | None = None
    native_name: str | None = None  # full name in its own script, e.g. 张伟
    birth_date: dt.date | None = None
    sex: str | None = None  # M, F or X
    nationality: str | None = None
    id_number: str | None = None
    document_number: str | None = None


# ---------------------------------------------------------------------------------------------
# Countries


def to_alpha3(code: str | None) -> str | None:
    """The country an ISO alpha-2 / alpha-3 or ICAO code stands for, as ISO alpha-3."""
    if not code:
        return None
    c = code.strip().upper().replace("<", "")
    if c in ALPHA3_TO_ALPHA2:
        return c
    if c in ALPHA2_TO_ALPHA3:
        return ALPHA2_TO_ALPHA3[c]
    return ICAO_SPECIAL.get(c)


def to_alpha2(code: str | None) -> str | None:
    three = to_alpha3(code)
    return ALPHA3_TO_ALPHA2.get(three) if three else None


# ---------------------------------------------------------------------------------------------
# Names

COMPOUND_SURNAMES: Final = (
    "欧阳", "司马", "诸葛", "上官", "司徒", "慕容", "东方", "皇甫", "尉迟", "公孙", "长孙",
    "宇文", "夏侯", "轩辕", "令狐", "钟离", "端木", "南宫", "西门", "独孤", "百里", "呼延",
)  # fmt: skip


def split_chinese_name(name: str) -> tuple[str, str]:
    """Surname and given name of a Han name; compound surnames from a list of common ones."""
    for compound in COMPOUND_SURNAMES:
        if name.startswith(compound) and len(name) > len(compound):
            return compound, name[len(compound) :]
    return name[:1], name[1:]


Parts = tuple[str, str]  # surname letters, given-name letters


def _letters(text: str) -> str:
    """Upper-case A-Z only: apostrophes, hyphens, spaces and fillers all vanish."""
    return re.sub(r"[^A-Z]", "", text.upper())


def _latin_forms(text: str) -> set[str]:
    """``text`` in plain Latin letters: anyascii's transliteration and ICAO's expansions."""
    upper = unicodedata.normalize("NFC", text).upper()
    expanded = "".join(_EXPANSIONS.get(c, c) for c in upper)
    return {_letters(anyascii(upper)), _letters(anyascii(expanded))}


def _pinyin_forms(han: str) -> set[str]:
    """Every upper-case pinyin spelling of ``han`` (polyphones, and ü written YU, V or U)."""
    readings = pinyin(han, style=Style.NORMAL, heteronym=True, errors="ignore")
    out: set[str] = set()
    for combo in itertools.islice(itertools.product(*readings), _MAX_READINGS):
        joined = "".join(combo).upper()
        out.update(_letters(joined.replace("V", u)) for u in ("YU", "V", "U"))
    return out


def _native(text: str) -> str:
    return re.sub(r"[\s·•・.\-]", "", unicodedata.normalize("NFKC", text))


def _forms(surname: str | None, given: str | None) -> set[Parts]:
    """All (surname, given) letter spellings of one name."""
    s, g = surname or "", given or ""
    if _HAN.search(s + g):
        if not g:  # a full native name in one field
            s, g = split_chinese_name(_native(s))
        return set(itertools.product(_pinyin_forms(_native(s)), _pinyin_forms(_native(g)) or {""}))
    return set(itertools.product(_latin_forms(s), _latin_forms(g)))


def _parts_match(doc: Parts, app: Parts, *, truncated: bool) -> bool:
    ds, dg = doc
    for s, g in ((app[0], app[1]), (app[1], app[0])):  # either order
        if (ds, dg) == (s, g) or ds + dg == s + g:
            return True
        # The MRZ cut the name short: what it kept is the start of the whole name.
        if truncated and ds and (s + g).startswith(ds + dg) and (not dg or ds == s):
            return True
    return False


def names_match(doc: DocumentFields, applicant: ApplicantFacts) -> bool | None:
    """Whether the document's name is the applicant's; None when either side has none."""
    if not (doc.surname or doc.given_names):
        return None
    doc_native = _HAN.search((doc.surname or "") + (doc.given_names or "")) is not None
    app_native = applicant.native_name and _HAN.search(applicant.native_name)
    if doc_native and app_native and applicant.native_name:
        # Same script on both sides: the characters themselves must agree (张 is not 章).
        return _native((doc.surname or "") + (doc.given_names or "")) == _native(
            applicant.native_name
        )
    doc_forms = _forms(doc.surname, doc.given_names)
    app_forms: set[Parts] = set()
    if applicant.latin_surname or applicant.latin_given_names:
        app_forms |= _forms(applicant.latin_surname, applicant.latin_given_names)
    if app_native and applicant.native_name:
        app_forms |= _forms(applicant.native_name, None)
    if not app_forms:
        return None
    return any(
        _parts_match(d, a, truncated=doc.name_truncated)
        for d, a in itertools.product(doc_forms, app_forms)
    )


# ---------------------------------------------------------------------------------------------
# Field comparisons


# Look-alikes folded for comparing numbers: OCR confuses them, and so do people typing
# a number off a card.
_LOOK_ALIKES = str.maketrans("OQI", "001")


def _norm_number(value: str | None) -> str | None:
    if not value:
        return None
    return re.sub(r"[\s<\-./]", "", unicodedata.normalize("NFKC", value)).upper() or None


def _comparable_number(value: str | None) -> str | None:
    plain = _norm_number(value)
    return None if plain is None else plain.translate(_LOOK_ALIKES)


def _same_country(a: str | None, b: str | None) -> bool | None:
    if not a or not b:
        return None
    # ICAO's D and the British classes (GBD, GBN...) stand for DEU and GBR here: an applicant
    # picks "Germany" or "United Kingdom" from a country list.
    a3, b3 = to_alpha3(a), to_alpha3(b)
    if a3 is None or b3 is None:  # organisations, stateless: compare the codes themselves
        return a.strip().upper() == b.strip().upper()
    return a3 == b3


def _equal(a: object, b: object) -> bool | None:
    return None if a is None or b is None else a == b


def _doc_vs_applicant(doc: DocumentFields, applicant: ApplicantFacts) -> dict[str, bool | None]:
    return {
        "name": names_match(doc, applicant),
        "birth_date": _equal(doc.birth_date, applicant.birth_date),
        "sex": _equal(doc.sex, applicant.sex.upper() if applicant.sex else None),
        "nationality": _same_country(doc.nationality, applicant.nationality),
        "document_number": _equal(
            _comparable_number(doc.document_number), _comparable_number(applicant.document_number)
        ),
        "id_number": _equal(
            _comparable_number(doc.personal_number), _comparable_number(applicant.id_number)
        ),
    }


def _zones(mrz: DocumentFields, visual: DocumentFields) -> dict[str, bool | None]:
    """MRZ against visual zone: the visual zone stands in for the applicant's declaration,
    so a native-script name printed there is compared through its readings."""
    name = (visual.surname or "") + (visual.given_names or "")
    native = _HAN.search(name) is not None
    as_applicant = ApplicantFacts(
        latin_surname=None if native else visual.surname,
        latin_given_names=None if native else visual.given_names,
        native_name=name if native else None,
        birth_date=visual.birth_date,
        sex=visual.sex,
        nationality=visual.nationality,
        id_number=visual.personal_number,
        document_number=visual.document_number,
    )
    found = _doc_vs_applicant(mrz, as_applicant)
    found["expiry_date"] = _equal(mrz.expiry_date, visual.expiry_date)
    return found


def _mismatched(found: dict[str, bool | None]) -> list[str]:
    return sorted(k for k, same in found.items() if same is False)


def _compared(found: dict[str, bool | None]) -> list[str]:
    return sorted(k for k, same in found.items() if same is not None)


def check_data_match(
    doc: DocumentFields, *, visual: DocumentFields | None, applicant: ApplicantFacts
) -> CheckResult:
    """The applicant's data against the document (``doc`` first, the visual zone for gaps)."""
    name = "document_data_match"
    from_doc = _doc_vs_applicant(doc, applicant)
    from_visual = _doc_vs_applicant(visual, applicant) if visual is not None else {}
    hard = _mismatched(from_doc)
    soft = [k for k in _mismatched(from_visual) if from_doc.get(k) is None]
    compared = sorted(set(_compared(from_doc)) | set(_compared(from_visual)))
    if hard:
        return CheckResult.failed(
            name, DATA_MISMATCH, fields=sorted({*hard, *soft}), compared=compared
        )
    if soft:
        return CheckResult.review(name, DATA_MISMATCH, fields=soft, compared=compared)
    return CheckResult.passed(name, compared=compared)


def check_zones_match(doc: DocumentFields, visual: DocumentFields) -> CheckResult:
    name = "document_zones_match"
    found = _zones(doc, visual)
    bad = _mismatched(found)
    if bad:
        return CheckResult.review(name, DATA_MISMATCH, fields=bad, compared=_compared(found))
    return CheckResult.passed(name, compared=_compared(found))


# ---------------------------------------------------------------------------------------------
# The document itself


def check_expiry(doc: DocumentFields, today: dt.date) -> CheckResult:
    name = "document_expiry"
    if doc.expiry_date is None:
        return CheckResult.review(name, EXPIRY_UNKNOWN)
    if doc.expiry_date < today:
        return CheckResult.failed(name, EXPIRED, days_expired=(today - doc.expiry_date).days)
    return CheckResult.passed(name, days_left=(doc.expiry_date - today).days)


def check_countries(doc: DocumentFields) -> CheckResult:
    name = "document_country"
    present = {
        k: v.strip().upper().replace("<", "")
        for k, v in (("issuing_country", doc.issuing_country), ("nationality", doc.nationality))
        if v
    }
    bad = sorted(k for k, v in present.items() if v not in ICAO_CODES)
    if bad:
        return CheckResult.failed(name, COUNTRY_INVALID, fields=bad)
    return CheckResult.passed(name, checked=sorted(present))


def check_document_number(doc: DocumentFields) -> CheckResult:
    name = "document_number"
    number = _norm_number(doc.document_number)
    if number is None:
        return CheckResult.passed(name, checked=False)
    is_passport = doc.document_type is DocumentType.PASSPORT or (doc.document_code or "")[:1] == "P"
    if is_passport:
        country = to_alpha2(doc.issuing_country)
        found = (
            check_id_number(id_type="passport", country=country, number=number, date_of_birth=None)
            if country
            else world.check_icao_passport(number)
        )
        if found.outcome is Outcome.FAIL:
            return CheckResult.failed(name, NUMBER_INVALID, rule=found.details.get("scheme"))
        return CheckResult.passed(name, rule=found.details.get("scheme"))
    if _DOC_NUMBER.fullmatch(number) or _DOC_NUMBER_OVERFLOW.fullmatch(number):
        return CheckResult.passed(name, rule="icao_generic")
    return CheckResult.failed(name, NUMBER_INVALID, rule="icao_generic")


def check_personal_number(doc: DocumentFields, today: dt.date) -> CheckResult | None:
    """The national ID number on the document, by its country's rules; None if absent."""
    if not doc.personal_number:
        return None
    country = to_alpha2(doc.issuing_country) or to_alpha2(doc.nationality)
    if country is None:
        return None
    # The number's birth date against the document's is a tampering signal (for review,
    # see ``tampering``), not a verdict on the number: either side may be an OCR slip.
    return check_id_number(
        id_type="national_id",
        country=country,
        number=doc.personal_number,
        date_of_birth=None,
        today=today,
    )


def check_validity(
    doc: DocumentFields,
    *,
    visual: DocumentFields | None = None,
    applicant: ApplicantFacts,
    today: dt.date,
) -> list[CheckResult]:
    """Every validity and consistency finding for one document, in a fixed order."""
    results: list[CheckResult | None] = [
        check_expiry(doc, today),
        check_countries(doc),
        check_document_number(doc),
        check_personal_number(doc, today),
        check_data_match(doc, visual=visual, applicant=applicant),
        check_zones_match(doc, visual) if visual is not None else None,
    ]
    return [r for r in results if r is not None]


def worst(results: Iterable[CheckResult]) -> Outcome:
    """The overall outcome: any failure fails, else any review reviews."""
    outcomes = {r.outcome for r in results}
    if Outcome.FAIL in outcomes:
        return Outcome.FAIL
    return Outcome.REVIEW if Outcome.REVIEW in outcomes else Outcome.PASS
