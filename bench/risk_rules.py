"""Rules benchmark: the default rule pack evaluated for one transaction at a time. Prints
one JSON document on stdout.

    .venv/bin/python bench/risk_rules.py [--transactions 20000] [--seed 7]

The transactions are synthetic and varied (amounts, features, customers, list hits, a model
score on most), so that each evaluation converts fresh values into CEL as a real decision
does. ``evaluate_us`` times ``CompiledRuleSet.evaluate``; ``variables_us`` times
``variables_for`` (assembling the variables); ``compile_ms`` is compiling the pack once.
The process is pinned to CPU 0 (the targets are per core).

Target (issue 6): the whole in-process decision (features, model and rules) at 5,000/s per
core, so the rules' share should stay well under 100 µs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import random
import sys
import time
from typing import Any

from aegis.risk.features import FEATURE_NAMES
from aegis.risk.lists import ListHits, ListKind, ListMatch, ListType
from aegis.risk.model import Transaction, TxType
from aegis.risk.rules import (
    FEATURES_USED,
    CounterpartyFacts,
    CustomerFacts,
    Limits,
    ModelFacts,
    Variables,
    compile_rule_set,
    default_rule_set,
    variables_for,
)

START = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)


def _pct(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def _features(rng: random.Random) -> dict[str, float]:
    # The feature engine's whole vector, as a decision gets it; the rules read a few names.
    features = {name: rng.random() * 10 for name in FEATURE_NAMES}
    for name in FEATURES_USED:
        if rng.random() < 0.05:
            features[name] = math.nan  # unknown: no device, no history
        elif "_new_" in name:
            features[name] = 1.0 if rng.random() < 0.1 else 0.0
        elif "_count_" in name or "_distinct_" in name:
            features[name] = float(rng.choice((0, 0, 0, 1, 1, 2, 3, 5, 12)))
        elif "_mean_" in name or "_max_" in name:
            features[name] = rng.lognormvariate(8, 1.5)
    features["customer_amount_ratio_30d"] = rng.lognormvariate(0, 0.8)
    features["terminal_risk_share_7d"] = rng.random() * 0.25
    return features


def _case(rng: random.Random, i: int) -> tuple[Any, ...]:
    tx = Transaction(
        id=f"t{i}",
        time=START + dt.timedelta(seconds=37 * i),
        type=rng.choice(list(TxType)),
        amount=max(1, int(rng.lognormvariate(8.5, 1.5))),  # median about 50.00
        currency="EUR",
        customer_id=f"c{rng.randint(1, 5000)}",
        payer_account=f"DE{rng.randint(10**9, 10**10)}",
        payee_account=f"FR{rng.randint(10**9, 10**10)}",
        card_fingerprint=f"card{rng.randint(1, 9000)}" if rng.random() < 0.7 else None,
        device_id=f"dev{rng.randint(1, 8000)}",
        ip=f"198.51.100.{rng.randint(1, 254)}",
        channel=rng.choice(["web", "app", "pos"]),
        country="DE",
        payee_country=rng.choice(["DE", "FR", "NL"]),
    )
    customer = CustomerFacts(
        kyc_level="basic",
        kyc_status="approved" if rng.random() < 0.97 else "in_review",
        risk_rating=rng.choice(["low", "medium", "high"]),
        screening="clear",
        days_since_last_tx=rng.randint(0, 400),
        account_age_days=rng.randint(1, 2000),
    )
    hits = (
        ListHits(
            matches=(
                ListMatch(
                    entry_id="rle_1",
                    list=ListType.ALLOW,
                    kind=ListKind.CUSTOMER,
                    field="customer_id",
                    reason="vip",
                ),
            )
        )
        if rng.random() < 0.05
        else ListHits()
    )
    model = ModelFacts(score=rng.betavariate(1, 12), version="3") if rng.random() < 0.95 else None
    counterparty = CounterpartyFacts(screening="clear", screening_score=rng.random() * 0.5)
    return tx, _features(rng), customer, hits, model, counterparty


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    rng = random.Random(args.seed)
    limits = Limits()

    started = time.perf_counter()
    compiled = compile_rule_set(default_rule_set())
    compile_ms = (time.perf_counter() - started) * 1000

    cases = [_case(rng, i) for i in range(args.transactions)]
    variables: list[Variables] = []
    build_us: list[float] = []
    for tx, features, customer, hits, model, counterparty in cases:
        t0 = time.perf_counter_ns()
        v = variables_for(tx, features, customer, hits, model, limits, counterparty=counterparty)
        build_us.append((time.perf_counter_ns() - t0) / 1000)
        variables.append(v)

    for v in variables[:500]:  # warm up
        compiled.evaluate(v)
    gc.collect()
    gc.disable()
    eval_us: list[float] = []
    outcomes: dict[str, int] = {}
    hits_total = errors = 0
    wall = time.perf_counter()
    for v in variables:
        t0 = time.perf_counter_ns()
        evaluation = compiled.evaluate(v)
        eval_us.append((time.perf_counter_ns() - t0) / 1000)
        outcomes[evaluation.outcome.value] = outcomes.get(evaluation.outcome.value, 0) + 1
        hits_total += len(evaluation.hits)
        errors += len(evaluation.errors)
    wall = time.perf_counter() - wall
    gc.enable()

    eval_us.sort()
    build_us.sort()
    result = {
        "benchmark": "risk_rules",
        "rules": len(compiled.rule_set.rules),
        "transactions": len(variables),
        "compile_ms": round(compile_ms, 2),
        "evaluate_us": {
            "p50": round(_pct(eval_us, 0.50), 1),
            "p90": round(_pct(eval_us, 0.90), 1),
            "p99": round(_pct(eval_us, 0.99), 1),
            "mean": round(sum(eval_us) / len(eval_us), 1),
        },
        "variables_us": {
            "p50": round(_pct(build_us, 0.50), 1),
            "p99": round(_pct(build_us, 0.99), 1),
        },
        "evaluations_per_s": round(len(variables) / wall),
        "hits_per_evaluation": round(hits_total / len(variables), 2),
        "rule_errors": errors,
        "outcomes": dict(sorted(outcomes.items())),
        "python": sys.version.split()[0],
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
