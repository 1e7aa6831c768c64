from tests.kyc.conftest import flow, receiver  # noqa: F401 - fixtures shared with KYC tests
