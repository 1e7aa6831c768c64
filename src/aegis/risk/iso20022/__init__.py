"""ISO 20022 intake: pacs.008 and pacs.002, in XML and in Tazama's JSON.

Pure parsing: bytes (or an already parsed JSON object) in, frozen values out, no I/O. The
official XSDs are not read at run time and not shipped; each parser applies the schema's
rules to the elements it reads (see ``docs/risk-intake.md`` for exactly which).

Accepted versions: pacs.008.001.07 and .10, pacs.002.001.03 and .12 in XML; Tazama's JSON
renders pacs.008.001.10 and pacs.002.001.12.

Errors::

    ValueError
    ├── Iso20022Error        every problem found, as (path, detail) pairs: all a parser raises
    └── AmountError          to_minor(): an amount the currency cannot hold (rule and code)
"""

from aegis.risk.iso20022.currencies import AmountError, from_minor, minor_units, to_minor
from aegis.risk.iso20022.detect import MessageKind, detect
from aegis.risk.iso20022.errors import Iso20022Error
from aegis.risk.iso20022.pacs002 import PaymentStatus, parse_pacs002_json, parse_pacs002_xml
from aegis.risk.iso20022.pacs008 import parse_pacs008_json, parse_pacs008_xml
from aegis.risk.iso20022.policy import ParseOptions

__all__ = [
    "AmountError",
    "Iso20022Error",
    "MessageKind",
    "ParseOptions",
    "PaymentStatus",
    "detect",
    "from_minor",
    "minor_units",
    "parse_pacs002_json",
    "parse_pacs002_xml",
    "parse_pacs008_json",
    "parse_pacs008_xml",
    "to_minor",
]
