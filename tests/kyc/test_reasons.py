"""Reason codes: every one has hints in English and Chinese, every code the checks and the
KYC flow can emit is in the catalogue, and docs/kyc-reasons.md documents them all."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from aegis.kyc.reasons import REASONS, Reason, Severity, reason, reasons_markdown

SRC = Path(__file__).resolve().parents[2] / "src" / "aegis"
DOC = Path(__file__).resolve().parents[2] / "docs" / "kyc-reasons.md"
SCANNED = (SRC / "checks", SRC / "kyc")
CODE_SHAPE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _python_files() -> list[Path]:
    return sorted(p for root in SCANNED for p in root.rglob("*.py"))


def _module_names(tree: ast.Module) -> set[str]:
    """Names a module defines or exports: quoted in ``__all__`` or lazy-import maps, they
    are identifiers, not reason codes."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.value.value if isinstance(node.value, ast.Constant) else None
            # CARD_NUMBER_INVALID = "CARD_NUMBER_INVALID" names a code: it stays a code.
            names |= {t.id for t in targets if isinstance(t, ast.Name) and t.id != value}
        elif isinstance(node, ast.ClassDef | ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ImportFrom):
            names |= {a.asname or a.name for a in node.names}
    return names


def emitted_codes() -> dict[str, list[str]]:
    """Every quoted UPPER_SNAKE_CASE string in aegis.checks and aegis.kyc that is not the
    name of something, with where it was found."""
    trees = {path: ast.parse(path.read_text(), str(path)) for path in _python_files()}
    identifiers = set().union(*(_module_names(t) for t in trees.values()))
    found: dict[str, list[str]] = {}
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            value = node.value
            if len(value) > 6 and CODE_SHAPE.match(value) and value not in identifiers:
                where = f"{path.relative_to(SRC.parent)}:{node.lineno}"
                found.setdefault(value, []).append(where)
    return found


def test_the_scan_finds_what_it_should() -> None:
    """Guard the scanner itself: codes emitted through constants and literals are seen."""
    found = emitted_codes()
    for code in (
        "ID_NUMBER_INVALID",  # a constant in checks/identity/_common.py
        "CARD_NUMBER_INVALID",  # a constant named like its value
        "REGISTRY_DECEASED",  # a literal argument of CheckResult.failed
        "DUPLICATE_IDENTITY",  # kyc/signals.py
        "RESUBMISSION_LIMIT_REACHED",  # kyc/policy.py
        "IDENTITY_DATA_CHANGED",  # kyc/service.py
        "PERIODIC_REVIEW_DUE",  # kyc/reverification.py
    ):
        assert code in found, code
    assert "UPLOAD_ERRORS" not in found and "ID_TYPES" not in found  # names, not codes


def test_every_emitted_code_is_in_the_catalogue() -> None:
    missing = {code: where for code, where in emitted_codes().items() if code not in REASONS}
    assert not missing, f"codes used in src but missing from aegis.kyc.reasons: {missing}"


@pytest.mark.parametrize("code", list(REASONS))
def test_every_reason_has_hints(code: str) -> None:
    r = REASONS[code]
    assert isinstance(r, Reason) and r.code == code
    assert CODE_SHAPE.match(code)
    assert isinstance(r.severity, Severity) and isinstance(r.fixable, bool)
    assert r.en.strip() and r.en == r.en.strip() and not r.en[0].islower()
    assert r.en.endswith("."), "English hints are sentences"
    assert not CJK.search(r.en)
    assert r.zh.strip() and CJK.search(r.zh), "the Chinese hint is in Chinese"
    assert r.zh.endswith("。")
    assert code not in r.en and code not in r.zh, "a hint explains; it does not repeat the code"
    assert reason(code) is r


def test_hints_are_distinct() -> None:
    assert len({r.en for r in REASONS.values()}) == len(REASONS)
    assert len({r.zh for r in REASONS.values()}) == len(REASONS)


def test_unknown_codes_are_refused() -> None:
    with pytest.raises(KeyError, match="undocumented reason code"):
        reason("NOT_A_REAL_CODE")


def test_the_issue_example() -> None:
    r = REASONS["ID_NUMBER_INVALID"]
    assert r.en == "The ID number does not pass its checksum; check it against your card."
    assert r.severity is Severity.HARD and r.fixable


def test_markdown_lists_every_code() -> None:
    text = reasons_markdown()
    for code, r in REASONS.items():
        line = next(line for line in text.splitlines() if line.startswith(f"| `{code}` |"))
        assert r.en in line and r.zh in line and r.severity.value in line


@pytest.mark.skipif(not DOC.exists(), reason="docs/kyc-reasons.md is not written yet")
def test_docs_list_every_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    listed = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", text))
    assert set(REASONS) <= listed, f"missing from {DOC.name}: {sorted(set(REASONS) - listed)}"
    assert listed <= set(REASONS), f"documented but unknown: {sorted(listed - set(REASONS))}"


@pytest.mark.skipif(not DOC.exists(), reason="docs/kyc-reasons.md is not written yet")
def test_docs_are_generated_from_the_catalogue() -> None:
    """aegis.kyc.reasons says the page is ``reasons_markdown()`` verbatim; regenerate with
    ``python -c 'from aegis.kyc.reasons import reasons_markdown as m; print(m(), end="")'
    > docs/kyc-reasons.md``."""
    assert DOC.read_text(encoding="utf-8") == reasons_markdown()
