"""Rules every intake shape shares (the JSON body, pacs.008 in XML and in JSON), so that the
same payment sent in any of them becomes the same :class:`~aegis.risk.model.Transaction`."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Final

# A transaction id is the partner's, and it ends up in URLs, logs and idempotency keys: ASCII
# letters and digits plus a few separators that ISO 20022 references commonly use (SEPA and
# CBPR+ end-to-end ids often contain "/"). No spaces, quotes or anything that needs escaping
# in a log line.
TRANSACTION_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}")
TRANSACTION_ID_RULE: Final = (
    "must be 1-100 characters: letters, digits and . _ : / -, starting with a letter or digit"
)

# The value ISO 20022 tells senders to put in EndToEndId when the debtor gave none: it
# identifies nothing, so another identification is used instead.
NOT_PROVIDED: Final = "NOTPROVIDED"

# Clocks drift and partners batch: a little future is tolerated, more is a bug or an attempt
# to place a payment outside the velocity windows it belongs in.
DEFAULT_MAX_FUTURE_SKEW: Final = dt.timedelta(minutes=5)

# The API's default body limit and NATS' default max payload: a message no transport would
# carry is refused before parsing. A pacs.008 transaction with full party data takes 0.5-2 KB,
# so this still holds hundreds; raise it per call for bulk files.
DEFAULT_MAX_BYTES: Final = 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class ParseOptions:
    """How the ISO 20022 parsers read a message. The defaults suit the API."""

    now: dt.datetime | None = None
    """When set, a creation time beyond ``now + max_future_skew`` is an error."""
    max_future_skew: dt.timedelta = DEFAULT_MAX_FUTURE_SKEW
    naive_tz: dt.tzinfo = dt.UTC
    """ISO 20022 allows times without an offset, meaning the sender's local time, which only
    the partner knows: they are read in this zone."""
    max_bytes: int = DEFAULT_MAX_BYTES


DEFAULT_OPTIONS: Final = ParseOptions()


def future_excess(
    time: dt.datetime, *, now: dt.datetime, max_future_skew: dt.timedelta
) -> dt.timedelta | None:
    """How far ``time`` is beyond ``now + max_future_skew``, or None when it is acceptable."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    excess = time - (now + max_future_skew)
    return excess if excess > dt.timedelta(0) else None


def future_detail(max_future_skew: dt.timedelta) -> str:
    return (
        "is in the future by more than the allowed clock skew "
        f"({int(max_future_skew.total_seconds())} seconds)"
    )
