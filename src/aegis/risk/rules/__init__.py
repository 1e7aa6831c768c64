"""The rules engine: rule sets as versioned data, CEL expressions compiled once per
version, and every rule execution recorded with the values it saw.

    from aegis.risk.rules import compile_rule_set, default_rule_set, variables_for

    compiled = compile_rule_set(default_rule_set())        # when a version is saved/loaded
    variables = variables_for(tx, features, customer, hits, model, limits)
    evaluation = compiled.evaluate(variables)                # per decision, never raises
    evaluation.outcome, evaluation.total_score, evaluation.executions

Errors:

    AegisError
    └── ValidationFailed (422)
        └── RuleSetInvalid      an expression does not compile; .problems per rule

Pure code: no I/O. The store keeps rule sets, the decision service caches compiled ones
per (tenant, name, version) and stores each evaluation's executions.
"""

from aegis.risk.rules.compiler import RuleProblem, RuleSetInvalid, compile_rule_set
from aegis.risk.rules.default_pack import DEFAULT_PACK_NAME, FEATURES_USED, default_rule_set
from aegis.risk.rules.engine import CompiledRuleSet, Evaluation, RuleExecution
from aegis.risk.rules.facts import (
    CATALOGUE,
    ROOTS,
    CounterpartyFacts,
    CustomerFacts,
    Limits,
    ModelFacts,
    Variables,
    variables_for,
)
from aegis.risk.rules.schema import (
    DEFAULT_THRESHOLDS,
    MAX_EXPRESSION_LENGTH,
    Rule,
    RuleSet,
    RuleSetStatus,
    Threshold,
    outcome_for_score,
)

__all__ = [
    "CATALOGUE",
    "DEFAULT_PACK_NAME",
    "DEFAULT_THRESHOLDS",
    "FEATURES_USED",
    "MAX_EXPRESSION_LENGTH",
    "ROOTS",
    "CompiledRuleSet",
    "CounterpartyFacts",
    "CustomerFacts",
    "Evaluation",
    "Limits",
    "ModelFacts",
    "Rule",
    "RuleExecution",
    "RuleProblem",
    "RuleSet",
    "RuleSetInvalid",
    "RuleSetStatus",
    "Threshold",
    "Variables",
    "compile_rule_set",
    "default_rule_set",
    "outcome_for_score",
    "variables_for",
]
