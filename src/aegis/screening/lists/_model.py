"""What a load returns, and the error a failed download raises."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from aegis.screening.entities import ListEntity, ListFileError, ListFormat


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadedList:
    """One list snapshot, loaded whole: every entity, or a :class:`ListFileError`."""

    format: ListFormat
    # Who publishes it ("OFAC SDN", "UN Security Council Consolidated", "US CSL", or the
    # FollowTheMoney dataset name).
    source: str
    # Unique keys, sorted by key: two loads of the same files compare equal.
    entities: tuple[ListEntity, ...]
    # The publication date the file states (UN dateGenerated, OFAC XML Publish_Date).
    published: dt.date | None
    # sha256 of the file; for a folder, of the ``sha256sum`` lines of its files in the
    # format's fixed order, so ``sha256sum sdn.csv alt.csv add.csv | sha256sum`` checks it.
    digest: str
    # Skipped or odd rows, counted, with file and line but no personal data.
    warnings: tuple[str, ...] = ()


class ListFetchError(ListFileError):
    """A list could not be downloaded (network error, HTTP error status)."""
