"""Allow and block lists: the pure part (entries, an in-memory index, the matcher).

An entry names a value of one kind (an account, a card fingerprint, a device, an IP address
or CIDR block, a country, a customer) on the allow list or the block list, with a reason and
an optional expiry. The store keeps entries as rows; the decision service rebuilds a
:class:`ListIndex` from them whenever they change (an index is immutable, so a rebuilt one
can replace the old one under concurrent readers without locks) and calls
:func:`match_lists` once per transaction. The rules then read the result as ``lists.*``.

Expired entries are kept in the index and skipped at match time, so that an index built a
while ago never applies an entry past its expiry.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from aegis.risk.model import Transaction

__all__ = [
    "ListEntry",
    "ListHits",
    "ListIndex",
    "ListKind",
    "ListMatch",
    "ListType",
    "match_lists",
    "normalize_value",
]


class ListType(StrEnum):
    ALLOW = "allow"
    BLOCK = "block"


class ListKind(StrEnum):
    ACCOUNT = "account"
    CARD = "card"
    DEVICE = "device"
    IP = "ip"
    COUNTRY = "country"
    CUSTOMER = "customer"


# Which transaction fields each kind is compared with. An account or a country on either
# side of the payment counts: a mule's account is as bad as payee as it is as payer.
FIELDS: dict[ListKind, tuple[str, ...]] = {
    ListKind.ACCOUNT: ("payer_account", "payee_account"),
    ListKind.CARD: ("card_fingerprint",),
    ListKind.DEVICE: ("device_id",),
    ListKind.IP: ("ip",),
    ListKind.COUNTRY: ("country", "payee_country"),
    ListKind.CUSTOMER: ("customer_id",),
}

_COUNTRY = re.compile(r"^[A-Z]{2}$")
_SPACES = re.compile(r"[\s-]+")
MAX_VALUE_LENGTH = 200

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def normalize_value(kind: ListKind, value: str) -> str:
    """The canonical form of ``value`` for ``kind``; raises ``ValueError`` when it cannot be
    one (the API answers 422 with the message).

    Accounts lose spaces and dashes and are upper-cased, so an IBAN matches however it was
    typed; countries are ISO alpha-2 upper case; IPs and CIDR blocks are written as
    networks (``10.0.0.0/8``, a single address as ``/32`` or ``/128``). Other kinds are
    opaque identifiers compared exactly.
    """
    value = value.strip()
    if not value:
        raise ValueError("a list value cannot be empty")
    if len(value) > MAX_VALUE_LENGTH:
        raise ValueError(f"a list value is at most {MAX_VALUE_LENGTH} characters")
    if kind is ListKind.ACCOUNT:
        return _SPACES.sub("", value).upper()
    if kind is ListKind.COUNTRY:
        country = value.upper()
        if not _COUNTRY.match(country):
            raise ValueError(f"not an ISO 3166 alpha-2 country code: {value!r}")
        return country
    if kind is ListKind.IP:
        return str(_network(value))
    return value


def _network(value: str) -> IPNetwork:
    try:
        # strict=False: "10.1.2.3/8" means the /8 around it; operators paste such blocks.
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(f"not an IP address or CIDR block: {value!r}") from None
    if isinstance(network, ipaddress.IPv6Network) and network.prefixlen >= 96:
        mapped = network.network_address.ipv4_mapped
        if mapped is not None:
            return ipaddress.IPv4Network((mapped, network.prefixlen - 96))
    return network


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True, slots=True, kw_only=True)
class ListEntry:
    """One list entry as the store holds it (``id`` is the store's, for explanations)."""

    value: str
    kind: ListKind
    list: ListType
    reason: str = ""
    expires_at: dt.datetime | None = None
    id: str | None = None

    def expired(self, now: dt.datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


@dataclass(frozen=True, slots=True, kw_only=True)
class ListMatch:
    """An entry that matched a transaction, and the transaction field it matched."""

    entry_id: str | None
    list: ListType
    kind: ListKind
    field: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ListHits:
    """Every live entry that matched one transaction (what ``lists.*`` is built from)."""

    matches: tuple[ListMatch, ...] = ()

    @property
    def blocked(self) -> bool:
        return any(m.list is ListType.BLOCK for m in self.matches)

    @property
    def allowed(self) -> bool:
        return any(m.list is ListType.ALLOW for m in self.matches)

    def kinds(self, list_type: ListType) -> tuple[str, ...]:
        """The kinds that matched on one list, sorted and without repeats."""
        return tuple(sorted({m.kind.value for m in self.matches if m.list is list_type}))


NO_HITS = ListHits()


class ListIndex:
    """An immutable in-memory index of list entries, rebuilt from the store's rows.

    Exact kinds are a dictionary lookup; IP entries are grouped by prefix length, so a
    lookup masks the address once per prefix length in use (a handful) whatever the number
    of blocks.
    """

    __slots__ = ("_exact", "_networks", "_size", "invalid")

    def __init__(self, entries: Iterable[ListEntry] = ()) -> None:
        exact: dict[tuple[ListKind, str], list[ListEntry]] = defaultdict(list)
        # (ip version, prefix length) -> network address as int -> entries
        networks: dict[tuple[int, int], dict[int, list[ListEntry]]] = defaultdict(
            lambda: defaultdict(list)
        )
        size = 0
        invalid: list[ListEntry] = []
        for entry in entries:
            # One bad row (written before validation existed, or by hand) must not take the
            # whole list down: it is set aside for the operator and the rest still applies.
            try:
                if entry.kind is ListKind.IP:
                    net = _network(entry.value)
                    by_prefix = networks[(net.version, net.prefixlen)]
                    by_prefix[int(net.network_address)].append(entry)
                else:
                    exact[(entry.kind, normalize_value(entry.kind, entry.value))].append(entry)
            except ValueError:
                invalid.append(entry)
                continue
            size += 1
        self._exact = {key: tuple(found) for key, found in exact.items()}
        self._networks = tuple(
            (version, prefix, {addr: tuple(found) for addr, found in by_addr.items()})
            for (version, prefix), by_addr in sorted(networks.items())
        )
        self._size = size
        self.invalid: tuple[ListEntry, ...] = tuple(invalid)

    def __len__(self) -> int:
        """The number of entries indexed (invalid ones excluded)."""
        return self._size

    def lookup(self, kind: ListKind, value: str) -> tuple[ListEntry, ...]:
        """Every entry (expired or not) whose value matches ``value`` of ``kind``."""
        if kind is ListKind.IP:
            return self._lookup_ip(value)
        try:
            key = normalize_value(kind, value)
        except ValueError:
            return ()
        return self._exact.get((kind, key), ())

    def _lookup_ip(self, value: str) -> tuple[ListEntry, ...]:
        address = _address(value)
        if address is None:
            return ()
        as_int = int(address)
        bits = address.max_prefixlen
        found: list[ListEntry] = []
        for version, prefix, by_addr in self._networks:
            if version != address.version:
                continue
            mask = ((1 << prefix) - 1) << (bits - prefix) if prefix else 0
            found.extend(by_addr.get(as_int & mask, ()))
        return tuple(found)


def match_lists(tx: Transaction, index: ListIndex, now: dt.datetime) -> ListHits:
    """The live entries of ``index`` that match ``tx`` at ``now`` (expired ones ignored)."""
    if not len(index):
        return NO_HITS
    matches: list[ListMatch] = []
    for kind, fields in FIELDS.items():
        for field in fields:
            value = getattr(tx, field)
            if not value:
                continue
            for entry in index.lookup(kind, value):
                if entry.expired(now):
                    continue
                matches.append(
                    ListMatch(
                        entry_id=entry.id,
                        list=entry.list,
                        kind=kind,
                        field=field,
                        reason=entry.reason,
                    )
                )
    return ListHits(matches=tuple(matches)) if matches else NO_HITS
