"""A transaction as JSON, the way it is stored (encrypted) and replayed."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields
from typing import Any

from aegis.risk.model import Transaction, TxType

_FIELDS = tuple(f.name for f in fields(Transaction))


def transaction_to_json(tx: Transaction) -> dict[str, Any]:
    # Field by field: dataclasses.asdict deep-copies, and this runs twice per decision.
    data = {name: getattr(tx, name) for name in _FIELDS}
    data["time"] = tx.time.astimezone(dt.UTC).isoformat()
    data["type"] = tx.type.value
    return {k: v for k, v in data.items() if v is not None}


def transaction_from_json(data: dict[str, Any]) -> Transaction:
    values = dict(data)
    values["time"] = dt.datetime.fromisoformat(values["time"])
    values["type"] = TxType(values["type"])
    return Transaction(**values)
