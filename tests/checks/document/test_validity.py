"""Document validity: expiry, ICAO codes, number formats, and the document against the
applicant (names across scripts and transliterations, dates, sex, nationality, numbers)."""

from __future__ import annotations

import datetime as dt

import pytest
from anyascii import anyascii
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pypinyin import Style, lazy_pinyin

from aegis.checks.document import validity as val
from aegis.checks.document.fields import DocumentFields, DocumentType
from aegis.checks.document.synthetic import cn_id as syn
from aegis.checks.document.validity import split_chinese_name
from aegis.checks.result import Outcome
from tests.checks.helpers import make_ric

TODAY = dt.date(2025, 6, 1)
RIC = make_ric("110105", dt.date(1990, 3, 7), 123)  # odd sequence: a man


def passport(**kw: object) -> DocumentFields:
    base: dict[str, object] = {
        "document_type": DocumentType.PASSPORT,
        "document_code": "P",
        "issuing_country": "CHN",
        "nationality": "CHN",
        "surname": "ZHANG",
        "given_names": "WEI",
        "document_number": "E12345678",
        "birth_date": dt.date(1990, 3, 7),
        "expiry_date": dt.date(2030, 1, 1),
        "sex": "M",
    }
    base.update(kw)
    return DocumentFields(**base)  # type: ignore[arg-type]


def applicant(**kw: object) -> val.ApplicantFacts:
    base: dict[str, object] = {
        "latin_surname": "Zhang",
        "latin_given_names": "Wei",
        "native_name": "张伟",
        "birth_date": dt.date(1990, 3, 7),
        "sex": "M",
        "nationality": "CN",
        "document_number": "E12345678",
    }
    base.update(kw)
    return val.ApplicantFacts(**base)  # type: ignore[arg-type]


def names(doc_surname: str, doc_given: str | None, **app: str | None) -> bool | None:
    doc = passport(surname=doc_surname, given_names=doc_given)
    return val.names_match(doc, val.ApplicantFacts(**app))  # type: ignore[arg-type]


# --- expiry, countries, numbers ------------------------------------------------------------


def test_expiry_is_a_hard_failure_from_the_day_after() -> None:
    assert val.check_expiry(passport(expiry_date=TODAY), TODAY).outcome is Outcome.PASS
    expired = val.check_expiry(passport(expiry_date=TODAY - dt.timedelta(days=1)), TODAY)
    assert (expired.outcome, expired.codes) == (Outcome.FAIL, (val.EXPIRED,))
    assert expired.details == {"days_expired": 1}
    unknown = val.check_expiry(passport(expiry_date=None), TODAY)
    assert (unknown.outcome, unknown.codes) == (Outcome.REVIEW, (val.EXPIRY_UNKNOWN,))


@pytest.mark.parametrize("code", ["CHN", "D", "DEU", "GBD", "UNO", "XXA", "EUE", "RKS"])
def test_icao_codes_are_valid(code: str) -> None:
    result = val.check_countries(passport(issuing_country=code, nationality=code))
    assert result.outcome is Outcome.PASS


@pytest.mark.parametrize(("issuer", "nationality"), [("UTO", "UTO"), ("CHN", "ZZZ"), ("CN", "CHN")])
def test_non_icao_codes_are_invalid_and_named(issuer: str, nationality: str) -> None:
    result = val.check_countries(passport(issuing_country=issuer, nationality=nationality))
    assert result.codes == (val.COUNTRY_INVALID,)
    bad = [
        f
        for f, c in (("issuing_country", issuer), ("nationality", nationality))
        if c not in val.ICAO_CODES
    ]
    assert result.details["fields"] == bad


def test_the_country_table_is_iso_3166() -> None:
    assert len(val.ALPHA3_TO_ALPHA2) == 249
    assert len(set(val.ALPHA3_TO_ALPHA2.values())) == 249
    assert val.to_alpha3("cn") == "CHN" and val.to_alpha3("D") == "DEU"
    assert val.to_alpha2("GBD") == "GB" and val.to_alpha2("UNO") is None


@pytest.mark.parametrize(
    ("number", "issuer", "kind", "ok"),
    [
        ("E12345678", "CHN", DocumentType.PASSPORT, True),
        ("EA1234567", "CHN", DocumentType.PASSPORT, True),
        ("E1234567", "CHN", DocumentType.PASSPORT, False),
        ("L898902C3", "UTO", DocumentType.PASSPORT, True),
        ("ABCDEFGHI", "FRA", DocumentType.PASSPORT, False),  # ICAO: at least one digit
        ("D23145890", "DEU", DocumentType.ID_CARD, True),
        ("AB-12 34", "FRA", DocumentType.ID_CARD, True),
        ("A$1", "FRA", DocumentType.ID_CARD, False),
    ],
)
def test_document_number_formats(number: str, issuer: str, kind: DocumentType, ok: bool) -> None:
    doc = passport(
        document_number=number, issuing_country=issuer, document_type=kind, document_code=None
    )
    result = val.check_document_number(doc)
    assert (result.outcome is Outcome.PASS) == ok, result
    assert ok or result.codes == (val.NUMBER_INVALID,)


def test_the_national_id_number_is_checked_by_its_country_rules() -> None:
    card = DocumentFields(issuing_country="CHN", personal_number=RIC)
    assert val.check_personal_number(card, TODAY).outcome is Outcome.PASS  # type: ignore[union-attr]
    broken = DocumentFields(
        issuing_country="CHN", personal_number=RIC[:-1] + ("0" if RIC[-1] != "0" else "1")
    )
    result = val.check_personal_number(broken, TODAY)
    assert result is not None and result.codes == ("ID_NUMBER_INVALID",)
    assert val.check_personal_number(DocumentFields(issuing_country="CHN"), TODAY) is None


# --- names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "app"),
    [
        (("ZHANG", "WEI"), {"native_name": "张伟"}),
        (("ZHANG", "WEI"), {"latin_surname": "Wei", "latin_given_names": "Zhang"}),  # swapped
        (("ZHANG", "XIAOMING"), {"latin_surname": "Zhang", "latin_given_names": "Xiao Ming"}),
        (("ZHANG", "XIAO MING"), {"native_name": "张晓明"}),
        (("LYU", "NA"), {"native_name": "吕娜"}),
        (("LV", "NA"), {"native_name": "吕娜"}),
        (("SHAN", "LI"), {"native_name": "单丽"}),  # polyphonic surname: dan/chan/shan
        (("OUYANG", "FEI"), {"native_name": "欧阳菲"}),
        (("MUELLER", "JOERG"), {"latin_surname": "Müller", "latin_given_names": "Jörg"}),
        (("MULLER", "JORG"), {"latin_surname": "Müller", "latin_given_names": "Jörg"}),
        (("OBRIEN", "SEAN"), {"latin_surname": "O'Brien", "latin_given_names": "Seán"}),
        (
            ("DUPONT", "JEAN PIERRE"),
            {"latin_surname": "Dupont", "latin_given_names": "Jean-Pierre"},
        ),
        (("张", "伟"), {"native_name": "张伟"}),
        (("张", "伟"), {"latin_surname": "ZHANG", "latin_given_names": "WEI"}),
        (("张伟", None), {"latin_surname": "Zhang", "latin_given_names": "Wei"}),
    ],
)
def test_names_that_are_the_same(doc: tuple[str, str | None], app: dict[str, str]) -> None:
    assert names(doc[0], doc[1], **app) is True


@pytest.mark.parametrize(
    ("doc", "app"),
    [
        (("ZHANG", "WEI"), {"native_name": "张伟伟"}),
        (("ZHANG", "WEI"), {"latin_surname": "Zhang", "latin_given_names": "Wen"}),
        (("张", "伟"), {"native_name": "章伟"}),  # same pinyin, other character
        (("MULLER", "JORG"), {"latin_surname": "Miller", "latin_given_names": "Jörg"}),
    ],
)
def test_names_that_differ(doc: tuple[str, str | None], app: dict[str, str]) -> None:
    assert names(doc[0], doc[1], **app) is False


def test_a_truncated_mrz_name_matches_as_a_prefix_only_when_marked() -> None:
    long_given = "MARIA ALEXANDRA CHRISTINA"
    doc = passport(surname="VAN DER BERG", given_names="MARIA ALEXANDRA CHRI", name_truncated=True)
    app = val.ApplicantFacts(latin_surname="van der Berg", latin_given_names=long_given)
    assert val.names_match(doc, app) is True
    assert (
        val.names_match(passport(surname="VAN DER BERG", given_names="MARIA ALEXANDRA CHRI"), app)
        is False
    )
    other = val.ApplicantFacts(latin_surname="van der Burg", latin_given_names=long_given)
    assert val.names_match(doc, other) is False


def test_no_name_on_either_side_is_no_finding() -> None:
    assert names("ZHANG", "WEI") is None
    assert val.names_match(passport(surname=None, given_names=None), applicant()) is None


# --- the applicant against the document --------------------------------------------------


def test_matching_data_passes_and_says_what_was_compared() -> None:
    result = val.check_data_match(passport(), visual=None, applicant=applicant())
    assert result.outcome is Outcome.PASS
    assert result.details["compared"] == [
        "birth_date",
        "document_number",
        "name",
        "nationality",
        "sex",
    ]


def test_a_mismatch_fails_naming_fields_never_values() -> None:
    app = applicant(birth_date=dt.date(1990, 3, 8), nationality="FR", document_number="E87654321")
    result = val.check_data_match(passport(), visual=None, applicant=app)
    assert (result.outcome, result.codes) == (Outcome.FAIL, (val.DATA_MISMATCH,))
    assert result.details["fields"] == ["birth_date", "document_number", "nationality"]
    text = str(result.details)
    assert "1990" not in text and "E876" not in text and "FR" not in text and "ZHANG" not in text


def test_visual_only_fields_go_to_review() -> None:
    card = syn.make_card(3).to_fields()
    app = applicant(native_name="王芳", id_number=syn.make_card(3).id_number)
    doc = passport(surname=None, given_names=None)
    result = val.check_data_match(doc, visual=card, applicant=app)
    assert (result.outcome, result.details["fields"]) == (Outcome.REVIEW, ["name"])


def test_mrz_and_visual_zone_disagreeing_is_for_review() -> None:
    visual = passport(birth_date=dt.date(1990, 3, 9), surname="张", given_names="伟")
    result = val.check_zones_match(passport(), visual)
    assert (result.outcome, result.codes) == (Outcome.REVIEW, (val.DATA_MISMATCH,))
    assert result.details["fields"] == ["birth_date"]
    assert val.check_zones_match(passport(), passport()).outcome is Outcome.PASS


def test_check_validity_runs_every_check_in_order() -> None:
    doc = passport(expiry_date=dt.date(2020, 1, 1), personal_number=None)
    results = val.check_validity(doc, visual=passport(), applicant=applicant(), today=TODAY)
    assert [r.check for r in results] == [
        "document_expiry",
        "document_country",
        "document_number",
        "document_data_match",
        "document_zones_match",
    ]
    assert val.worst(results) is Outcome.FAIL
    card = syn.make_card(5)
    id_card = card.to_fields()
    app = val.ApplicantFacts(
        native_name=card.name, birth_date=card.birth_date, id_number=card.id_number
    )
    results = val.check_validity(id_card, applicant=app, today=TODAY)
    assert {r.check: r.outcome for r in results} == {
        "document_expiry": Outcome.REVIEW,  # the front carries no expiry date
        "document_country": Outcome.PASS,
        "document_number": Outcome.PASS,
        "id_number": Outcome.PASS,
        "document_data_match": Outcome.PASS,
    }


def test_every_code_has_a_hint_in_both_languages() -> None:
    for en, zh in val.HINTS.values():
        assert en.isascii() and en.endswith(".")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh)


# --- properties --------------------------------------------------------------------------

HAN = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰文辉建国红梅海波鹏飞宇浩然"
han_names = st.text(alphabet=HAN, min_size=2, max_size=4)


@settings(max_examples=150, deadline=None)
@given(han_names)
def test_a_han_name_matches_its_own_pinyin(name: str) -> None:
    surname, given = split_chinese_name(name)
    doc = passport(
        surname="".join(lazy_pinyin(surname, style=Style.NORMAL)).upper().replace("V", "YU"),
        given_names="".join(lazy_pinyin(given, style=Style.NORMAL)).upper().replace("V", "YU"),
    )
    assert val.names_match(doc, val.ApplicantFacts(native_name=name)) is True


@settings(max_examples=150, deadline=None)
@given(han_names, han_names)
def test_different_han_names_never_match_natively(a: str, b: str) -> None:
    assume(a != b)
    doc = passport(surname=a, given_names=None)
    assert val.names_match(doc, val.ApplicantFacts(native_name=b)) is False


latin = st.text(alphabet="ABCDEFGHIJKLMNOPRSTUVWYZÄÖÜÉÈÑÇØÅ'-", min_size=2, max_size=12).filter(
    lambda s: any(c.isalpha() for c in s)
)


@settings(max_examples=150, deadline=None)
@given(latin, latin)
def test_a_latin_name_matches_its_plain_ascii_form(surname: str, given_name: str) -> None:
    doc = passport(surname=anyascii(surname).upper(), given_names=anyascii(given_name).upper())
    app = val.ApplicantFacts(latin_surname=surname.title(), latin_given_names=given_name.lower())
    assert val.names_match(doc, app) is True


dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 1, 1))


@settings(max_examples=150, deadline=None)
@given(dates, dates)
def test_any_other_birth_date_is_a_mismatch(on_document: dt.date, declared: dt.date) -> None:
    assume(on_document != declared)
    result = val.check_data_match(
        passport(birth_date=on_document), visual=None, applicant=applicant(birth_date=declared)
    )
    assert result.outcome is Outcome.FAIL
    assert result.details["fields"] == ["birth_date"]
