"""A partner's compliance contacts (MLRO, technical, ...): the first PII-bearing resource."""
