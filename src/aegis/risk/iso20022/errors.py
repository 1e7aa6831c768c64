"""The one error every ISO 20022 parser raises, whatever went wrong."""

from __future__ import annotations

from collections.abc import Iterable

# A message with thousands of broken transactions should not produce a response as large as
# itself: after this many, one last entry says how many more there were.
MAX_REPORTED = 50


class Iso20022Error(ValueError):
    """A message Aegis will not take, with every problem found.

    ``errors`` is a list of ``(path, detail)``. For XML the path is an element path from the
    ``Document`` (``/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[1]/IntrBkSttlmAmt``, repeatable
    elements indexed from 1, attributes as ``/@Ccy``); for JSON it is a JSON Pointer
    (``/FIToFICstmrCdtTrf/CdtTrfTxInf/IntrBkSttlmAmt/Amt/Amt``). Problems with the whole
    body (not XML, too large, a DOCTYPE) are reported at ``/``.

    Details name the rule broken, never the value: names and accounts are personal data and
    error messages end up in logs and responses.
    """

    def __init__(self, errors: Iterable[tuple[str, str]]) -> None:
        self.errors: list[tuple[str, str]] = list(errors) or [("/", "invalid message")]
        first_path, first_detail = self.errors[0]
        more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        super().__init__(f"{first_path}: {first_detail}{more}")

    @classmethod
    def at(cls, path: str, detail: str) -> Iso20022Error:
        return cls([(path, detail)])
