"""Checks that read and judge identity documents: MRZ, visual zone, validity, image quality."""
