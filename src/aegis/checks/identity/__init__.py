"""Identity-document numbers: CN resident IDs and permits, passports, other countries."""
