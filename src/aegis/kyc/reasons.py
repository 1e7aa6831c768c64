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
            "SANCTIONS_POSSIBLE_MATCH",
            S,
            False,
            # Partners see the code; the applicant's hint stays neutral (no tipping-off).
            "Your application needs an additional compliance review; a reviewer will "
            "finish it shortly.",
            "您的申请需要额外的合规审核，审核人员将尽快完成。",
        ),
        # Says nothing of sanctions: telling the person would be tipping-off (FATF R.21).
        _R(
            "SANCTIONS_MATCH",
            H,
            False,
            "We cannot open an account for you. Please contact support.",
            "我们无法为您开立账户，请联系客服。",
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
        _R(
            "NO_FACE",
            H,
            True,
            (
                "We could not find a face; take a clear, well-lit photo of your face looking at "
                "the camera."
            ),
            "未检测到人脸，请在光线充足处正对镜头拍摄清晰的面部照片。",
        ),
        _R(
            "MULTIPLE_FACES",
            H,
            True,
            "More than one face is visible; make sure only you are in the photo.",
            "照片中有多张人脸，请确保画面中只有您本人。",
        ),
        _R(
            "FACE_MISMATCH",
            H,
            True,
            (
                "Your selfie does not match the photo on your document; retake the selfie or use "
                "your own document."
            ),
            "自拍与证件照片不一致，请重新自拍，或使用您本人的证件。",
        ),
        _R(
            "FACE_TOO_SMALL",
            H,
            True,
            "Your face is too small in the photo; move closer to the camera.",
            "照片中人脸过小，请靠近镜头重新拍摄。",
        ),
        _R(
            "LIVENESS_FAILED",
            H,
            True,
            (
                "The liveness check failed; follow the on-screen actions in order, alone and in "
                "good light, and try again."
            ),
            "活体检测未通过，请在光线充足处独自按屏幕提示的顺序完成动作后重试。",
        ),
        _R(
            "DUPLICATE_FACE",
            S,
            False,
            "Your face matches another account with different details; a reviewer will check it.",
            "您的人脸与另一个信息不同的账户相符，将由审核人员核实。",
        ),
        _R(
            "DOC_LOW_RESOLUTION",
            H,
            True,
            "The document photo is too small to read; take it closer, filling the frame.",
            "证件照片分辨率过低，请靠近拍摄并让证件充满画面。",
        ),
        _R(
            "DOC_BLURRY",
            H,
            True,
            "The document photo is blurry; hold the camera still and let it focus.",
            "证件照片模糊，请保持相机稳定并对焦后拍摄。",
        ),
        _R(
            "DOC_GLARE",
            H,
            True,
            "Light reflects off the document; tilt it or move away from direct light.",
            "证件表面反光，请调整角度或避开直射光源。",
        ),
        _R(
            "DOC_TOO_DARK",
            H,
            True,
            "The document photo is too dark; take it in better light.",
            "证件照片过暗，请在光线更好的地方拍摄。",
        ),
        _R(
            "DOC_CROPPED",
            H,
            True,
            "Part of the document is cut off; show all four corners in the photo.",
            "证件有部分未拍入画面，请确保四个角都在照片内。",
        ),
        _R(
            "POA_NAME_MISMATCH",
            H,
            True,
            (
                "The name on the document does not match your application; upload a bill or "
                "statement addressed to you."
            ),
            "文件上的姓名与您申请时填写的姓名不一致，请上传寄给您本人的账单或对账单。",
        ),
        _R(
            "POA_ADDRESS_MISMATCH",
            H,
            True,
            (
                "The address on the document does not match the one you entered; check it or "
                "upload a document showing it in full, including the postcode."
            ),
            "文件上的地址与您填写的地址不一致，请核对，或上传完整显示该地址（含邮编）的文件。",
        ),
        _R(
            "POA_TOO_OLD",
            H,
            True,
            "The document is more than 3 months old; upload one issued within the last 3 months.",
            "该文件已超过3个月，请上传最近3个月内开具的文件。",
        ),
        _R(
            "POA_DATE_IN_FUTURE",
            H,
            True,
            "The document's date is in the future; upload the original, unaltered document.",
            "文件上的日期晚于今天，请上传未经修改的原始文件。",
        ),
        _R(
            "POA_DATE_NOT_FOUND",
            S,
            True,
            "We could not find the issue date; upload a page showing the bill or statement date.",
            "未能在文件上找到开具日期，请上传显示账单日期或对账单日期的页面。",
        ),
        _R(
            "POA_DATE_AMBIGUOUS",
            S,
            False,
            (
                "The date can be read two ways; a reviewer will check it, or upload a document "
                "with the month in words."
            ),
            "文件上的日期有两种读法，将由审核人员确认；您也可以上传以文字标明月份的文件。",
        ),
        _R(
            "POA_UNREADABLE",
            S,
            True,
            (
                "We could not read the document; upload a clear, complete photo or the original "
                "PDF without a password."
            ),
            "无法识别该文件，请上传清晰完整的照片或未加密码的原始PDF。",
        ),
        _R(
            "POA_UNSUPPORTED_FORMAT",
            S,
            True,
            "This file type is not accepted for proof of address; upload a JPEG, PNG, WebP or PDF.",
            "不支持该文件格式，请上传JPEG、PNG、WebP或PDF文件。",
        ),
        _R(
            "DOC_EXPIRED",
            H,
            True,
            "Your document has expired; upload a document that is still valid.",
            "您的证件已过期，请上传仍在有效期内的证件。",
        ),
        _R(
            "DOC_EXPIRY_UNKNOWN",
            S,
            True,
            "We could not read your document's expiry date; upload the side that shows it.",
            "无法读取证件的有效期，请上传显示有效期的一面。",
        ),
        _R(
            "DOC_COUNTRY_INVALID",
            H,
            False,
            "The issuing country on your document is not recognised; upload an official document.",
            "无法识别证件的签发国家，请上传正式签发的证件。",
        ),
        _R(
            "DOC_NUMBER_INVALID",
            H,
            True,
            "The document number does not have a valid format; check the photo shows it clearly.",
            "证件号码格式无效，请确认照片中的号码清晰可辨。",
        ),
        _R(
            "DATA_MISMATCH",
            H,
            True,
            (
                "The details on your document differ from the ones you entered; check and "
                "correct them."
            ),
            "证件上的信息与您填写的信息不一致，请核对并更正。",
        ),
        _R(
            "DOC_TAMPER_SUSPECTED",
            S,
            False,
            "Your document needs a closer look by a reviewer; upload the original photo, unedited.",
            "您的证件需要进一步核查，审核人员将进行人工审核。请上传未经编辑的原始照片。",
        ),
        _R(
            "DOC_UNREADABLE",
            S,
            True,
            "We could not read your document; take a sharp, well-lit photo of its front.",
            "无法识别您的证件，请在光线充足处拍摄清晰的证件正面照片。",
        ),
        _R(
            "MRZ_CHECK_DIGIT_FAILED",
            S,
            True,
            (
                "The machine-readable lines of your document did not read consistently; a "
                "reviewer will check it, or upload a sharper photo."
            ),
            "证件机读码读取结果不一致，将由审核人员核实；您也可以上传更清晰的照片。",
        ),
        _R(
            "MRZ_UNREADABLE",
            S,
            True,
            (
                "We could not read the machine-readable lines of your document; take a sharp "
                "photo showing the whole page."
            ),
            "无法读取证件的机读码，请拍摄清晰且完整的证件页面。",
        ),
        _R(
            "MRZ_DATE_INVALID",
            S,
            False,
            (
                "A date in the machine-readable lines of your document is not a real date; a "
                "reviewer will check it."
            ),
            "证件机读码中的日期无效，将由审核人员核实。",
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
