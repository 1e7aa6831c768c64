"""Every reason an applicant can be held back, with a hint a partner can show its user.

The codes are an interface: partners switch on them. Add codes, never rename one.
``docs/kyc-reasons.md`` is generated from this table (see tests/kyc/test_reasons.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    HARD = "hard"  # fails the applicant (rejected, or resubmission if fixable)
    SOFT = "soft"  # sends the applicant to a reviewer


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    severity: Severity
    fixable: bool  # can the applicant fix it by resubmitting?
    en: str
    zh: str


_R = Reason
H, S = Severity.HARD, Severity.SOFT

REASONS: dict[str, Reason] = {
    r.code: r
    for r in (
        _R(
            "ID_NUMBER_INVALID",
            H,
            True,
            "The ID number does not pass its checksum; check it against your card.",
            "身份证号码校验未通过，请对照证件核对号码。",
        ),
        _R(
            "ID_NUMBER_DOB_MISMATCH",
            H,
            True,
            "The birth date in your ID number differs from the date of birth you entered.",
            "身份证号码中的出生日期与您填写的出生日期不一致。",
        ),
        _R(
            "ID_NUMBER_REGION_UNKNOWN",
            S,
            False,
            "The region code in the ID number is not a known one; a reviewer will check it.",
            "身份证号码中的地区代码无法识别，将由审核人员核实。",
        ),
        _R(
            "ID_NUMBER_LEGACY",
            H,
            True,
            "15-digit ID numbers are no longer accepted; enter your 18-digit ID number.",
            "不再接受15位身份证号码，请填写18位身份证号码。",
        ),
        _R(
            "ID_TYPE_UNSUPPORTED",
            H,
            True,
            "This type of ID is not accepted here; use a passport or a national ID card.",
            "不支持此类证件，请使用护照或身份证。",
        ),
        _R(
            "PHONE_INVALID",
            H,
            True,
            "The phone number is not valid; enter it with its country code.",
            "手机号码无效，请填写带国家代码的号码。",
        ),
        _R(
            "PHONE_NOT_VERIFIED",
            H,
            True,
            "Confirm your phone number with the code we sent you.",
            "请输入我们发送给您的验证码以验证手机号码。",
        ),
        _R(
            "CARD_NUMBER_INVALID",
            H,
            True,
            "The card number is not valid; check it against your card.",
            "银行卡号无效，请对照银行卡核对。",
        ),
        _R(
            "CARD_VERIFICATION_FAILED",
            H,
            True,
            "Your bank could not confirm that this card belongs to you with these details.",
            "银行未能核实该卡与您填写的信息相符。",
        ),
        _R(
            "CARD_VERIFICATION_UNAVAILABLE",
            S,
            False,
            "Your bank did not answer; a reviewer will finish the check.",
            "银行暂未响应，将由审核人员完成核验。",
        ),
        _R(
            "REGISTRY_MISMATCH",
            H,
            True,
            "Your name and ID number do not match the official record.",
            "您的姓名与身份证号码与官方记录不符。",
        ),
        _R(
            "REGISTRY_NOT_FOUND",
            H,
            True,
            "No official record was found for this ID number; check the number.",
            "未查询到该身份证号码的官方记录，请核对号码。",
        ),
        _R("REGISTRY_DECEASED", H, False, "This identity cannot be used.", "该身份信息无法使用。"),
        _R(
            "REGISTRY_UNAVAILABLE",
            S,
            False,
            "The official registry did not answer; a reviewer will finish the check.",
            "官方数据源暂未响应，将由审核人员完成核验。",
        ),
        _R(
            "DUPLICATE_IDENTITY",
            S,
            False,
            "These details are already used by another account; a reviewer will check.",
            "这些信息已被其他账户使用，将由审核人员核实。",
        ),
        _R(
            "ABNORMAL_REGISTRATION",
            S,
            False,
            "Unusually many sign-ups came from the same source; a reviewer will check.",
            "同一来源的注册异常频繁，将由审核人员核实。",
        ),
        _R(
            "DISPOSABLE_EMAIL",
            S,
            True,
            "Use a permanent e-mail address, not a disposable one.",
            "请使用常用邮箱，不要使用临时邮箱。",
        ),
        _R(
            "DOCUMENT_MISSING",
            H,
            True,
            "Upload a photo of your identity document.",
            "请上传您的身份证件照片。",
        ),
        _R(
            "SELFIE_MISSING",
            H,
            True,
            "Take a selfie so we can compare it with your document.",
            "请拍摄一张自拍照，以便与证件照片比对。",
        ),
        _R(
            "ADDRESS_PROOF_MISSING",
            H,
            True,
            "Upload a recent proof of address, such as a utility bill or bank statement.",
            "请上传近期的地址证明，如水电费账单或银行对账单。",
        ),
        _R(
            "DATA_MISSING",
            H,
            True,
            "Some required details are missing; complete your profile.",
            "缺少必填信息，请补全资料。",
        ),
        _R("CONSENT_MISSING", H, True, "Accept the terms to continue.", "请同意相关条款后继续。"),
        _R(
            "SANCTIONS_SCREENING_REQUIRED",
            S,
            False,
            "Your details need a compliance check; a reviewer will finish it.",
            "您的信息需要合规核查，将由审核人员完成。",
        ),
        _R(
            "MANUAL_REVIEW_REQUIRED",
            S,
            False,
            "A reviewer will look at your application.",
            "您的申请将由审核人员人工审核。",
        ),
        _R(
            "REVIEWER_REJECTED",
            H,
            False,
            "Your application was not approved after review.",
            "经审核，您的申请未获通过。",
        ),
        _R(
            "RESUBMISSION_LIMIT_REACHED",
            H,
            False,
            "Too many attempts; contact support.",
            "尝试次数过多，请联系客服。",
        ),
        _R(
            "DOCUMENT_EXPIRING",
            S,
            True,
            "Your identity document expires soon; upload a valid one.",
            "您的证件即将过期，请上传有效证件。",
        ),
        _R(
            "PERIODIC_REVIEW_DUE",
            S,
            True,
            "It is time to confirm your details again.",
            "请重新确认您的身份信息。",
        ),
        _R(
            "IDENTITY_DATA_CHANGED",
            S,
            True,
            "Your identity details changed; confirm them again.",
            "您的身份信息已变更，请重新确认。",
        ),
    )
}


def reason(code: str) -> Reason:
    try:
        return REASONS[code]
    except KeyError:
        raise KeyError(f"undocumented reason code {code!r}: add it to aegis.kyc.reasons") from None


def reasons_markdown() -> str:
    """The reason-code reference as Markdown (docs/kyc-reasons.md is this, verbatim)."""
    lines = [
        "# KYC reason codes",
        "",
        "Every reason an applicant is held back carries one of these codes, with a hint in",
        "English and Chinese that a partner can show its user. Codes are never renamed.",
        "`hard` reasons reject (or ask for resubmission when `fixable`); `soft` reasons send",
        "the applicant to a reviewer. Generated from `aegis.kyc.reasons`; do not edit by hand.",
        "",
        "| code | severity | fixable | hint (en) | hint (zh) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in REASONS.values():
        fixable = "yes" if r.fixable else "no"
        lines.append(f"| `{r.code}` | {r.severity.value} | {fixable} | {r.en} | {r.zh} |")
    return "\n".join(lines) + "\n"
