"""Face embeddings of applicants, encrypted at rest, and the duplicate-face check."""
