"""Vault benchmark: encrypt a 10-field PII record and compute its 4 blind indexes.

Target (issue): at most 50 µs per record. Uses the real ``Vault``, ``KeyRing`` and
``BlindIndexer`` with in-memory key material (no database: the ring's loader is the
seam), each field sealed under its own associated data as the services do.

    .venv/bin/python bench/vault.py [--records 20000] [--rounds 5]

``mean_us`` is the median of the rounds' means; p50/p95/p99 are over every record timed.

Prints one JSON document on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from typing import Any

import phonenumbers

from aegis.privacy.blind_index import BlindIndexer, IndexKind, normalise_phone
from aegis.privacy.crypto import KeyMaterial, KeyRing, Vault, aad_for

TARGET_US = 50.0
TABLE = "applicants"
FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "date_of_birth",
    "id_number",
    "card_number",
    "address_line",
    "city",
    "postcode",
)
INDEXED = (
    ("email", IndexKind.EMAIL),
    ("phone", IndexKind.PHONE),
    ("id_number", IndexKind.ID_NUMBER),
    ("card_number", IndexKind.CARD),
)
PHONES = ("+447911123456", "+8613800138000", "+14155552671", "+33612345678", "+4915112345678")


def make_ring() -> KeyRing:
    keys = [
        KeyMaterial("dek_bench_data", "data", os.urandom(32), True),
        KeyMaterial("dek_bench_index", "index", os.urandom(32), True),
    ]
    ring = KeyRing(lambda: keys)
    ring.reload()
    return ring


def make_records(n: int) -> list[dict[str, str]]:
    """Distinct realistic records, so no per-value cache can flatter the figure."""
    out = []
    for i in range(n):
        out.append(
            {
                "first_name": f"Alice{i}",
                "last_name": "Ångström-Lefèvre",
                "email": f"Alice.{i}@Example.COM",
                # Vary the subscriber digits across five countries.
                "phone": PHONES[i % len(PHONES)][:-5] + f"{i:05d}"[-5:],
                "date_of_birth": "1987-03-14",
                "id_number": f"ab-{i:07d}-x",
                "card_number": f"4111 1111 {i % 10000:04d} 1111",
                "address_line": f"{i} Rue de la Paix, Appartement 4B",
                "city": "Paris",
                "postcode": "75002",
            }
        )
    return out


def seal_record(
    vault: Vault, indexer: BlindIndexer, tenant_id: str, row_id: str, record: dict[str, str]
) -> dict[str, str]:
    sealed = {
        f"{f}_enc": vault.encrypt(record[f], aad_for(tenant_id, TABLE, f"{f}_enc", row_id))
        for f in FIELDS
    }
    for field, kind in INDEXED:
        sealed[f"{field}_bidx"] = indexer.compute(tenant_id, kind, record[field])
    return sealed


def _reference_phone(value: str) -> str:
    parsed = phonenumbers.parse(value, None)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _percentile(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def _time_per_call(fn: Any, values: list[str]) -> float:
    started = time.perf_counter_ns()
    for v in values:
        fn(v)
    return (time.perf_counter_ns() - started) / len(values) / 1000


def run(records: int = 20_000, warmup: int = 2_000, rounds: int = 5) -> dict[str, Any]:
    ring = make_ring()
    vault = Vault(ring)
    indexer = BlindIndexer(ring)
    tenant_id = "ten_01bench0000000000000000000"
    data = make_records(records + warmup)
    row_ids = [f"app_{i:026d}" for i in range(records + warmup)]

    for i in range(warmup):
        seal_record(vault, indexer, tenant_id, row_ids[i], data[i])

    # Several rounds over the same distinct records: on a shared machine one round can be
    # slowed by a neighbour, so the headline is the median round (best and worst shown).
    samples: list[float] = []
    round_means: list[float] = []
    clock = time.perf_counter_ns
    total_us = 0.0
    for _ in range(rounds):
        this_round: list[float] = []
        round_started = clock()
        for i in range(warmup, warmup + records):
            started = clock()
            sealed = seal_record(vault, indexer, tenant_id, row_ids[i], data[i])
            this_round.append((clock() - started) / 1000)
        total_us += (clock() - round_started) / 1000
        round_means.append(statistics.fmean(this_round))
        samples.extend(this_round)

    # Correctness spot check: the last record decrypts under its own AAD.
    last = warmup + records - 1
    for f in FIELDS:
        aad = aad_for(tenant_id, TABLE, f"{f}_enc", row_ids[last])
        assert vault.decrypt(sealed[f"{f}_enc"], aad) == data[last][f]

    # The phone normaliser's fast path must agree with a full parse on every input used.
    for record in data:
        assert normalise_phone(record["phone"]) == _reference_phone(record["phone"])

    # Where the time goes, per call (µs), on the same inputs.
    sample = data[:2000]
    aad = aad_for(tenant_id, TABLE, "email_enc", row_ids[0])
    parts = {
        "encrypt_field_us": _time_per_call(
            lambda v: vault.encrypt(v, aad), [r["address_line"] for r in sample]
        ),
        "index_email_us": _time_per_call(
            lambda v: indexer.compute(tenant_id, IndexKind.EMAIL, v), [r["email"] for r in sample]
        ),
        "index_phone_us": _time_per_call(
            lambda v: indexer.compute(tenant_id, IndexKind.PHONE, v), [r["phone"] for r in sample]
        ),
        "normalise_phone_us": _time_per_call(normalise_phone, [r["phone"] for r in sample]),
        "index_id_number_us": _time_per_call(
            lambda v: indexer.compute(tenant_id, IndexKind.ID_NUMBER, v),
            [r["id_number"] for r in sample],
        ),
        "index_card_us": _time_per_call(
            lambda v: indexer.compute(tenant_id, IndexKind.CARD, v),
            [r["card_number"] for r in sample],
        ),
    }

    samples.sort()
    mean = statistics.median(round_means)
    return {
        "benchmark": "vault_encrypt_record",
        "description": "10 fields AES-256-GCM with per-field AAD + 4 blind indexes "
        "(email, phone, id_number, card), one record at a time",
        "records": records,
        "rounds": rounds,
        "warmup_records": warmup,
        "mean_us": round(mean, 2),
        "round_means_us": [round(m, 2) for m in round_means],
        "p50_us": round(_percentile(samples, 0.50), 2),
        "p95_us": round(_percentile(samples, 0.95), 2),
        "p99_us": round(_percentile(samples, 0.99), 2),
        "max_us": round(samples[-1], 2),
        "throughput_records_per_s": round(records * rounds / (total_us / 1e6)),
        "breakdown_us": {k: round(v, 2) for k, v in parts.items()},
        "phone_normalisation_checked_against_full_parse": len(data),
        "target_us": TARGET_US,
        "target_met": mean <= TARGET_US,
        "python": sys.version.split()[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--warmup", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.records, args.warmup, args.rounds), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
