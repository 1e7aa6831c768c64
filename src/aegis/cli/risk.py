"""``aegis risk``: transaction risk tools that need no server.

    aegis risk evaluate --transactions FILE --train-start 2018-07-11 [--train-days 7]
        [--delay-days 7] [--test-days 7] [--scores-out FILE] --json

``evaluate`` runs the Fraud Detection Handbook's protocol on a file in its raw format
(Parquet or CSV): features computed by the engine itself, labels used only after the delay,
LightGBM trained on the training days, the test days scored and measured (AUC ROC, average
precision, card precision at 100).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from aegis.cli.output import emit, fail

risk_app = typer.Typer(help="Transaction risk: evaluation of the model.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


@risk_app.callback()
def _risk() -> None:
    """Transaction risk tools (no server needed)."""


@risk_app.command("evaluate")
def evaluate(
    transactions: Annotated[
        Path, typer.Option(help="Parquet or CSV with the handbook's raw columns.")
    ],
    train_start: Annotated[str, typer.Option(help="First training day, YYYY-MM-DD.")],
    train_days: Annotated[int, typer.Option(help="Training days.")] = 7,
    delay_days: Annotated[int, typer.Option(help="Days before a fraud label is usable.")] = 7,
    test_days: Annotated[int, typer.Option(help="Test days, after the delay.")] = 7,
    scores_out: Annotated[
        Path | None,
        typer.Option(help="Write TRANSACTION_ID,score for every test-day transaction."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Train on the training days, score the test days, by the handbook's protocol."""
    from aegis.risk.evaluation import EvaluationError
    from aegis.risk.evaluation import evaluate as run

    try:
        try:
            start = dt.date.fromisoformat(train_start)
        except ValueError:
            raise EvaluationError(
                f"--train-start must be YYYY-MM-DD, not {train_start!r}"
            ) from None
        if min(train_days, test_days) < 1 or delay_days < 0:
            raise EvaluationError("--train-days and --test-days must be >= 1, --delay-days >= 0")
        if scores_out is not None and not scores_out.parent.is_dir():
            raise EvaluationError(f"{scores_out.parent}: no such folder for --scores-out")
        result = run(
            transactions,
            start,
            train_days,
            delay_days,
            test_days,
            scores_out,
            rules=default_pack_score(),
        )
    except (EvaluationError, OSError) as exc:
        fail(str(exc).splitlines()[0], as_json=as_json, code=2)
    emit(result, as_json=as_json, human=_human(result))


def default_pack_score() -> Any:
    """The default rule pack as a score for the protocol: the outcome's rank first (a
    decline outranks any review), then the rules' total score. The customers of the
    handbook's data are unknown to KYC, so no model and default limits."""
    from aegis.risk.features import FEATURE_NAMES
    from aegis.risk.lists import NO_HITS
    from aegis.risk.rules import (
        CustomerFacts,
        Limits,
        compile_rule_set,
        default_rule_set,
        variables_for,
    )

    compiled = compile_rule_set(default_rule_set(), known_features=FEATURE_NAMES)
    customer, limits = CustomerFacts(), Limits()

    def score(tx: Any, features: Any) -> float:
        evaluation = compiled.evaluate(variables_for(tx, features, customer, NO_HITS, None, limits))
        return float(evaluation.outcome.rank * 1000 + evaluation.total_score)

    return score


def _human(result: dict[str, Any]) -> str:
    split, model = result["split"], result["model"]
    return (
        f"train {split['train'][0]}..{split['train'][1]} "
        f"({split['train_transactions']} tx, {split['train_frauds']} frauds), "
        f"test {split['test'][0]}..{split['test'][1]} "
        f"({split['test_transactions']} tx, {split['test_frauds']} frauds)\n"
        f"AUC ROC {model['auc_roc']:.3f}  AP {model['average_precision']:.3f}  "
        f"CP@100 {model['card_precision_at_100']:.3f}"
    )
