"""The identity fields a document yields, whichever zone they were read from.

The MRZ parser, the visual-zone reader and the validity checks all speak this one shape, so a
comparison never has to know where a value came from. Values are normalised: dates as
``datetime.date``, countries as ICAO/ISO 3166-1 alpha-3 codes, sex as ``M``, ``F`` or ``X``,
names in upper-case Latin letters for the MRZ (the visual zone may carry native script).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class DocumentType(StrEnum):
    PASSPORT = "passport"
    ID_CARD = "id_card"
    RESIDENCE_PERMIT = "residence_permit"
    DRIVER_LICENCE = "driver_licence"
    VISA = "visa"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class DocumentFields:
    document_type: DocumentType | None = None
    # The MRZ's own document code (P, I, A, C, V, ...), kept for issuers' variants.
    document_code: str | None = None
    issuing_country: str | None = None
    surname: str | None = None
    given_names: str | None = None
    document_number: str | None = None
    nationality: str | None = None
    birth_date: dt.date | None = None
    expiry_date: dt.date | None = None
    sex: str | None = None
    optional_data: str | None = None
    # A national ID number where the document carries one (visual zone or optional data).
    personal_number: str | None = None
    # True when the MRZ name field was full and the name may have been cut short.
    name_truncated: bool = False
