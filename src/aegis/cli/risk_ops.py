"""``aegis risk train`` and ``aegis risk backtest``: models and rule sets against history.

    aegis risk train TENANT_ID --transactions FILE [--label-delay-days 7]
        [--promote champion|challenger] --json
    aegis risk backtest --transactions FILE [--tenant TENANT_ID] [--rule-set default]
        [--version N | --rules FILE.json] [--label-delay-days 7] --json

FILE: the Fraud Detection Handbook's raw format (Parquet or CSV) or JSON lines of
transactions with an optional ``"fraud": true|false``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from aegis.cli.output import emit, fail

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
FileOpt = Annotated[Path, typer.Option(help="Parquet/CSV (handbook format) or JSON lines.")]
DelayOpt = Annotated[int, typer.Option(min=0, max=180, help="Days before a label is usable.")]


def train(
    tenant_id: Annotated[str, typer.Argument(help="The tenant whose registry gets the model.")],
    transactions: FileOpt,
    label_delay_days: DelayOpt = 7,
    promote: Annotated[
        str | None, typer.Option(help="champion or challenger: promote it at once.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Train a LightGBM model on a labelled history and register it for the tenant."""
    import numpy as np

    from aegis.auth.context import Actor, Ctx, Scope
    from aegis.cli.context import open_platform
    from aegis.risk.backtest import BacktestError, features_of, read_history
    from aegis.risk.features import FEATURE_NAMES
    from aegis.risk.scoring import ModelArtifact, TrainParams
    from aegis.risk.scoring import train as fit
    from aegis.services import Services

    if promote not in (None, "champion", "challenger"):
        fail("--promote must be champion or challenger", as_json=as_json, code=2)
    try:
        history = read_history(transactions)
    except BacktestError as exc:
        fail(str(exc), as_json=as_json, code=2)
    rows = [i for i, f in enumerate(history.fraud) if f is not None]
    labels = np.array([int(bool(history.fraud[i])) for i in rows])
    if len(rows) < 100 or labels.sum() < 5 or labels.sum() == len(labels):
        fail("need at least 100 labelled transactions with frauds and genuine ones",
             as_json=as_json, code=2)  # fmt: skip
    features = features_of(history, label_delay=dt.timedelta(days=label_delay_days))
    matrix = np.array([[features[i].get(n, np.nan) for n in FEATURE_NAMES] for i in rows])
    booster = fit(matrix, labels, FEATURE_NAMES, TrainParams())
    times = [history.transactions[i].time for i in rows]
    artifact = ModelArtifact.from_booster(
        booster,
        version=f"{min(times).date()}..{max(times).date()}",
        train_start=min(times),
        train_end=max(times),
        params=TrainParams().lightgbm(),
        description=f"trained on {len(rows)} labelled transactions from {transactions.name}",
    )
    info = {
        "trained_on": len(rows),
        "frauds": int(labels.sum()),
        "train_start": min(times).isoformat(),
        "train_end": max(times).isoformat(),
        "features": len(FEATURE_NAMES),
        "label_delay_days": label_delay_days,
    }
    platform = open_platform(as_json=as_json)
    services = Services.build(platform)
    try:
        with platform.db.session() as session:
            row = services.risk_models.register(
                session, tenant_id=tenant_id, artifact=artifact.to_bytes(), info=info,
                actor="cli:risk-train",
            )  # fmt: skip
            if promote:
                ctx = Ctx(tenant_id, Actor("cli", "risk-train"), None, frozenset(Scope))
                services.risk_models.promote(session, ctx, row.id, promote)
            out = {"id": row.id, "version": row.version, "status": row.status, "info": info}
    finally:
        platform.close()
    emit(out, as_json=as_json, human=f"{out['id']} v{out['version']} {out['status']}")


def backtest(
    transactions: FileOpt,
    tenant: Annotated[str | None, typer.Option(help="Read rule sets from this tenant.")] = None,
    rule_set: Annotated[str, typer.Option(help="The rule set's name.")] = "default",
    version: Annotated[
        int | None, typer.Option(help="The candidate version (a draft); default: the newest.")
    ] = None,
    rules: Annotated[
        Path | None, typer.Option(help="A candidate rule set as JSON (rules, thresholds).")
    ] = None,
    label_delay_days: DelayOpt = 7,
    as_json: JsonOpt = False,
) -> None:
    """Replay a history through a candidate rule set and the published one; hit rates,
    precision and recall against the labels, and the difference."""
    from aegis.batch import engine_for
    from aegis.config import Settings
    from aegis.risk.backtest import BacktestError, read_history
    from aegis.risk.backtest import backtest as run
    from aegis.risk.rules import Limits, RuleSetInvalid, compile_rule_set
    from aegis.risk.rules import default_rule_set as builtin

    try:
        history = read_history(transactions)
        candidate, baseline, limits = _rule_sets(tenant, rule_set, version, rules)
        compile_rule_set(candidate)
    except (BacktestError, RuleSetInvalid, ValueError, OSError) as exc:
        message = exc.detail if isinstance(exc, RuleSetInvalid) else str(exc).splitlines()[0]
        fail(message, as_json=as_json, code=2)
    report = run(
        history,
        candidate=candidate,
        baseline=baseline if baseline is not None else builtin(),
        limits=limits or Limits(),
        label_delay=dt.timedelta(days=label_delay_days),
        engine=engine_for(Settings().ray_address),
    )
    cand = report["candidate"]
    human = (
        f"{report['transactions']} transactions, {report['frauds']} frauds: candidate flags "
        f"{cand['flagged']} (precision {cand['precision']}, recall {cand['recall']})"
    )
    emit(report, as_json=as_json, human=human)


def _rule_sets(
    tenant: str | None, name: str, version: int | None, rules: Path | None
) -> tuple[Any, Any, Any]:
    from aegis.cli.context import CliError, platform_for_cli
    from aegis.partners.models import Tenant
    from aegis.partners.schemas import TenantSettings
    from aegis.risk.repository import RuleSetRepository
    from aegis.risk.rules import RuleSet, default_rule_set

    def from_row(row: Any) -> RuleSet:
        return RuleSet.model_validate({**row.body, "name": row.name, "version": row.version})

    candidate = baseline = limits = None
    if rules is not None:
        body = json.loads(rules.read_text(encoding="utf-8"))
        candidate = RuleSet.model_validate({"name": name, "version": 1, **body})
    if tenant is None:
        if candidate is None:
            raise ValueError("give --rules FILE, or --tenant to read the rule set")
        return candidate, default_rule_set(), None
    try:
        platform = platform_for_cli(migrate=False)
    except CliError as exc:
        raise ValueError(str(exc)) from None
    try:
        with platform.db.session(write=False) as session:
            row = session.get(Tenant, tenant)
            if row is None:
                raise ValueError(f"tenant {tenant} not found")
            limits = TenantSettings.model_validate(row.settings or {}).risk_limits
            repo = RuleSetRepository(session, tenant)
            published = repo.published(name)
            baseline = from_row(published) if published else default_rule_set()
            if candidate is None:
                versions = repo.versions(name)
                chosen = [v for v in versions if version is None or v.version == version]
                if chosen:
                    candidate = from_row(chosen[-1])
                elif name == "default" and version in (None, 1):
                    candidate = default_rule_set()  # the built-in pack
                else:
                    raise ValueError(f"rule set {name} has no version {version}")
    finally:
        platform.close()
    return candidate, baseline, limits
