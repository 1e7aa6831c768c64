"""Dates: every format round-trips, numeric order policy, labels and the issue-date choice."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aegis.checks.address.dates import FoundDate, Label, find_dates, pick_issue_date

TODAY = date(2026, 10, 20)

_FORMATS: dict[str, Any] = {
    "iso": lambda d: f"{d:%Y-%m-%d}",
    "iso_slash": lambda d: f"{d:%Y/%m/%d}",
    "iso_dot": lambda d: f"{d:%Y.%m.%d}",
    "cjk": lambda d: f"{d.year}年{d.month}月{d.day}日",
    "cjk_padded": lambda d: f"{d:%Y}年{d:%m}月{d:%d}日",
    "day_month": lambda d: f"{d.day} {d:%b} {d.year}",
    "day_month_long": lambda d: f"{d.day} {d:%B %Y}",
    "day_month_ordinal": lambda d: f"{d.day}{_ordinal(d.day)} of {d:%B %Y}",
    "day_month_dashed": lambda d: f"{d:%d-%b-%y}",
    "month_day": lambda d: f"{d:%B} {d.day}, {d.year}",
    "month_day_short": lambda d: f"{d:%b}. {d.day} {d.year}",
    "numeric_dmy_gb": lambda d: f"{d:%d/%m/%Y}",
    "numeric_dmy_dots": lambda d: f"{d:%d.%m.%Y}",
    "numeric_mdy_us": lambda d: f"{d:%m/%d/%Y}",
}
_COUNTRY = {"numeric_mdy_us": "US"}


def _ordinal(n: int) -> str:
    return "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def only(text: str, **kw: Any) -> FoundDate:
    found = find_dates(text, **kw)
    assert len(found) == 1, found
    return found[0]


@given(st.dates(date(2000, 1, 1), date(2099, 12, 31)), st.sampled_from(sorted(_FORMATS)))
def test_every_format_round_trips(day: date, fmt: str) -> None:
    rendered = _FORMATS[fmt](day)
    found = only(f"Statement date: {rendered}", country=_COUNTRY.get(fmt, "GB"))
    assert found.value == day
    assert found.alternative is None
    assert (found.label, found.keyword) == (Label.ISSUE, "statement date")


@given(st.dates(date(2000, 1, 1), date(2099, 12, 31)))
def test_unsettled_numeric_dates_keep_their_other_reading(day: date) -> None:
    found = only(f"Date {day:%d/%m/%Y}")  # no country, nothing else on the page
    assert found.value == day
    if day.day <= 12 and day.day != day.month:
        assert found.alternative == date(day.year, day.day, day.month)
    else:
        assert found.alternative is None


def test_the_document_settles_its_own_order() -> None:
    dates = find_dates("Statement date 03/10/2026\nPaid 25/09/2026")
    assert [d.value for d in dates] == [date(2026, 10, 3), date(2026, 9, 25)]
    assert all(d.alternative is None for d in dates)
    us = find_dates("Statement date 03/10/2026\nPaid 09/25/2026", country="GB")
    assert us[0].value == date(2026, 3, 10)  # the page outranks the country


def test_the_country_settles_the_order_when_the_page_does_not() -> None:
    assert only("Date 03/10/2026", country="GB").value == date(2026, 10, 3)
    assert only("Date 03/10/2026", country="USA").value == date(2026, 3, 10)
    canada = only("Date 03/10/2026", country="CA")
    assert (canada.value, canada.alternative) == (date(2026, 10, 3), date(2026, 3, 10))


@pytest.mark.parametrize(
    "text", ["Sort code 20-00-00", "Ref 31/02/2026", "Invoice 2026-13-45", "Tel 0800 123 4567"]
)
def test_impossible_dates_are_not_dates(text: str) -> None:
    assert find_dates(text) == []


def test_labels_come_from_the_nearest_keyword_before_the_date() -> None:
    dates = find_dates("Statement date: 3 Oct 2026   Payment due date: 17 Oct 2026")
    assert [(d.label, d.keyword) for d in dates] == [
        (Label.ISSUE, "statement date"),
        (Label.DUE, "payment due"),
    ]


def test_a_header_row_labels_the_dates_below_it() -> None:
    dates = find_dates("Issue date    Due date\n2026-10-03    2026-10-20")
    assert [d.label for d in dates] == [Label.ISSUE, Label.DUE]
    single = find_dates("账单日期\n2026年10月3日")
    assert [(d.label, d.keyword) for d in single] == [(Label.ISSUE, "账单日期")]


@pytest.mark.parametrize(
    "text",
    [
        "Billing period 01/09/2026 - 30/09/2026",
        "From 1 September 2026 to 30 September 2026",
        "1 Sep 2026 to 30 Sep 2026",
        "计费周期：2026年9月1日至2026年9月30日",
    ],
)
def test_both_ends_of_a_period_are_period_dates(text: str) -> None:
    assert [d.label for d in find_dates(text, country="GB")] == [Label.PERIOD, Label.PERIOD]


def test_chinese_keywords_are_read_longest_first() -> None:
    dates = find_dates("账单日期：2026年10月3日 到期还款日：2026年10月20日")
    assert [d.keyword for d in dates] == ["账单日期", "到期还款日"]


def test_keywords_are_whole_words() -> None:
    assert only("Updated 03 Oct 2026").label is Label.NONE


def pick(text: str) -> FoundDate | None:
    return pick_issue_date(find_dates(text, country="GB"), today=TODAY, future_tolerance_days=1)


def test_a_labelled_issue_date_beats_every_other_date() -> None:
    text = "Due date 30/10/2026\nPeriod 01/09/2026 - 30/09/2026\nStatement date 03/10/2026"
    chosen = pick(text)
    assert chosen is not None
    assert (chosen.value, chosen.label) == (date(2026, 10, 3), Label.ISSUE)


def test_the_first_issue_date_on_the_page_wins() -> None:
    chosen = pick("Statement date 03/10/2026\nPrevious statement date 03/09/2026")
    assert chosen is not None
    assert chosen.value == date(2026, 10, 3)


def test_without_labels_the_latest_present_date_is_taken() -> None:
    chosen = pick("Paid 01/10/2026\nReceived 05/10/2026\nNext visit 01/12/2026")
    assert chosen is not None
    assert (chosen.value, chosen.label) == (date(2026, 10, 5), Label.NONE)


def test_period_dates_are_a_last_resort_and_due_dates_never_count() -> None:
    chosen = pick("Billing period 01/09/2026 - 30/09/2026\nDue date 20/10/2026")
    assert chosen is not None
    assert (chosen.value, chosen.label) == (date(2026, 9, 30), Label.PERIOD)
    assert pick("Due date 20/10/2026\nPay by 22/10/2026") is None
