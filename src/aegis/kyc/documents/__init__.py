"""Identity documents and selfies: upload processing (sniff, limit, strip, re-encode).

The public API is re-exported here; see :mod:`aegis.kyc.documents.files` for the choices made.
"""

from aegis.kyc.documents.files import (
    UPLOAD_ERRORS,
    DocumentKind,
    ProcessedUpload,
    UploadAnimated,
    UploadBomb,
    UploadCorrupt,
    UploadDimensions,
    UploadEmpty,
    UploadKindMismatch,
    UploadLimits,
    UploadPdfActiveContent,
    UploadPdfEncrypted,
    UploadPdfTooManyPages,
    UploadRejected,
    UploadSignals,
    UploadTooLarge,
    UploadTooSmall,
    UploadTypeUnsupported,
    process_upload,
)
from aegis.kyc.documents.formats import MediaType, sniff_media_type

__all__ = [
    "UPLOAD_ERRORS",
    "DocumentKind",
    "MediaType",
    "ProcessedUpload",
    "UploadAnimated",
    "UploadBomb",
    "UploadCorrupt",
    "UploadDimensions",
    "UploadEmpty",
    "UploadKindMismatch",
    "UploadLimits",
    "UploadPdfActiveContent",
    "UploadPdfEncrypted",
    "UploadPdfTooManyPages",
    "UploadRejected",
    "UploadSignals",
    "UploadTooLarge",
    "UploadTooSmall",
    "UploadTypeUnsupported",
    "process_upload",
    "sniff_media_type",
]
