"""Know your customer: applicants, verification levels, checks, decisions, review."""
