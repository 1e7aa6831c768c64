"""Sanctions and PEP screening: list snapshots with diffs, explainable name matching across
scripts, hits with review memory, and re-screening when a list changes."""
