"""Aegis: identity verification (KYC) and payment risk control."""

__version__ = "0.1.0"
