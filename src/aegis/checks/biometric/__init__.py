"""Checks on faces: detection, matching, liveness, duplicate faces."""
