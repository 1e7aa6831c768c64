"""Allow and block lists: normalisation, expiry, CIDR blocks, which fields match."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aegis.risk.lists import (
    ListEntry,
    ListIndex,
    ListKind,
    ListType,
    match_lists,
    normalize_value,
)
from aegis.risk.rules import compile_rule_set, default_rule_set
from tests.risk.rules.support import NOW, transaction, variables

BLOCK, ALLOW = ListType.BLOCK, ListType.ALLOW


def entry(kind: ListKind, value: str, list_type: ListType = BLOCK, **more: object) -> ListEntry:
    return ListEntry(value=value, kind=kind, list=list_type, reason="test", **more)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "raw", "normal"),
    [
        (ListKind.ACCOUNT, " de89 3704-0044 0532 0130 00 ", "DE89370400440532013000"),
        (ListKind.COUNTRY, "ir", "IR"),
        (ListKind.IP, "10.1.2.3/8", "10.0.0.0/8"),
        (ListKind.IP, "192.0.2.7", "192.0.2.7/32"),
        (ListKind.IP, "2001:db8::1", "2001:db8::1/128"),
        (ListKind.IP, "::ffff:192.0.2.7", "192.0.2.7/32"),
        (ListKind.CARD, " fp-Abc ", "fp-Abc"),
    ],
)
def test_values_are_normalised(kind: ListKind, raw: str, normal: str) -> None:
    assert normalize_value(kind, raw) == normal


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        (ListKind.COUNTRY, "IRN"),
        (ListKind.IP, "300.1.1.1"),
        (ListKind.IP, "10.0.0.0/33"),
        (ListKind.DEVICE, "   "),
        (ListKind.DEVICE, "x" * 201),
    ],
)
def test_invalid_values_are_refused(kind: ListKind, raw: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        normalize_value(kind, raw)


def test_each_kind_matches_its_fields() -> None:
    index = ListIndex(
        [
            entry(ListKind.ACCOUNT, "FR14 2004 1010 0505 0001 3M02 606", id="rle_payee"),
            entry(ListKind.CARD, "card-1", ALLOW, id="rle_card"),
            entry(ListKind.DEVICE, "dev-9"),
            entry(ListKind.COUNTRY, "fr", id="rle_country"),
            entry(ListKind.CUSTOMER, "cus-1", ALLOW, id="rle_customer"),
        ]
    )
    result = match_lists(transaction(), index, NOW)
    found = {(m.entry_id, m.field) for m in result.matches}
    assert found == {
        ("rle_payee", "payee_account"),
        ("rle_card", "card_fingerprint"),
        ("rle_country", "payee_country"),
        ("rle_customer", "customer_id"),
    }
    assert result.blocked and result.allowed
    assert result.kinds(BLOCK) == ("account", "country")
    assert result.kinds(ALLOW) == ("card", "customer")


def test_expired_entries_are_ignored() -> None:
    index = ListIndex(
        [
            entry(ListKind.DEVICE, "dev-1", expires_at=NOW),  # expires at this very instant
            entry(ListKind.CARD, "card-1", expires_at=NOW + dt.timedelta(seconds=1)),
        ]
    )
    result = match_lists(transaction(), index, NOW)
    assert [m.kind for m in result.matches] == [ListKind.CARD]
    later = match_lists(transaction(), index, NOW + dt.timedelta(days=1))
    assert not later.matches and not later.blocked


@pytest.mark.parametrize(
    ("block", "ip", "hit"),
    [
        ("198.51.100.0/24", "198.51.100.7", True),
        ("198.51.100.0/24", "198.51.101.7", False),
        ("10.0.0.0/8", "10.255.0.1", True),
        ("0.0.0.0/0", "203.0.113.9", True),
        ("198.51.100.7", "198.51.100.7", True),
        ("198.51.100.7", "198.51.100.8", False),
        ("2001:db8::/32", "2001:db8:1::5", True),
        ("2001:db8::/32", "2001:db9::5", False),
        ("198.51.100.0/24", "::ffff:198.51.100.7", True),  # mapped IPv4
        ("2001:db8::/32", "198.51.100.7", False),
        ("198.51.100.0/24", "not an ip", False),
    ],
)
def test_ip_blocks(block: str, ip: str, hit: bool) -> None:
    index = ListIndex([entry(ListKind.IP, block)])
    assert match_lists(transaction(ip=ip), index, NOW).blocked is hit


@given(
    address=st.integers(0, 2**32 - 1),
    prefix=st.integers(0, 32),
    probe=st.integers(0, 2**32 - 1),
)
def test_cidr_matching_agrees_with_ipaddress(address: int, prefix: int, probe: int) -> None:
    import ipaddress

    network = ipaddress.IPv4Network((address, prefix), strict=False)
    index = ListIndex([entry(ListKind.IP, str(network))])
    ip = str(ipaddress.IPv4Address(probe))
    assert match_lists(transaction(ip=ip), index, NOW).blocked is (
        ipaddress.IPv4Address(probe) in network
    )


def test_invalid_rows_are_set_aside_not_fatal() -> None:
    bad = entry(ListKind.IP, "nonsense")
    index = ListIndex([bad, entry(ListKind.DEVICE, "dev-1")])
    assert index.invalid == (bad,)
    assert len(index) == 1
    assert match_lists(transaction(), index, NOW).blocked


def test_an_empty_index_matches_nothing() -> None:
    result = match_lists(transaction(), ListIndex(), NOW)
    assert result.matches == () and not result.blocked and not result.allowed


def test_list_hits_reach_the_rules() -> None:
    index = ListIndex(
        [entry(ListKind.IP, "198.51.100.0/24"), entry(ListKind.CUSTOMER, "cus-1", ALLOW)]
    )
    hits = match_lists(transaction(), index, NOW)
    v = variables(lists=hits)
    assert v.roots["lists"] == {
        "blocked": True,
        "allowed": True,
        "blocked_kinds": ["ip"],
        "allowed_kinds": ["customer"],
    }
    result = compile_rule_set(default_rule_set()).evaluate(v)
    assert {e.rule_id for e in result.hits} == {"list_blocked"}
