"""Import every model module so metadata (and Alembic) sees every table."""

from aegis.api import models as api_models
from aegis.contacts import models as contacts_models
from aegis.kyc import models as kyc_models
from aegis.kyc.faces import models as face_models
from aegis.partners import models as partners_models
from aegis.partners.webhooks import models as webhooks_models
from aegis.privacy import models as privacy_models
from aegis.privacy.audit import models as audit_models
from aegis.queue import models as queue_models
from aegis.risk import models as risk_models
from aegis.screening import models as screening_models
from aegis.storage.db import Base

metadata = Base.metadata

__all__ = [
    "api_models",
    "audit_models",
    "contacts_models",
    "face_models",
    "kyc_models",
    "metadata",
    "partners_models",
    "privacy_models",
    "queue_models",
    "risk_models",
    "screening_models",
    "webhooks_models",
]
