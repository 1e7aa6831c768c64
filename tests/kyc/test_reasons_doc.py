from pathlib import Path

from aegis.kyc.reasons import reasons_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "kyc-reasons.md"


def test_reason_reference_is_current() -> None:
    assert DOC.read_text() == reasons_markdown(), (
        "docs/kyc-reasons.md is stale: regenerate it with "
        "python -c 'from aegis.kyc.reasons import reasons_markdown; print(reasons_markdown(), end=\"\")' > docs/kyc-reasons.md"
    )
