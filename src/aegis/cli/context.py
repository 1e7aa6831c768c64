"""Building the platform for a command, with logs on stderr so stdout stays parseable."""

from __future__ import annotations

import sys

from aegis.config import Settings
from aegis.logging import configure_logging
from aegis.platform import Platform


def platform_for_cli(*, migrate: bool = True) -> Platform:
    settings = Settings()
    configure_logging("WARNING", json=settings.log_json, stream=sys.stderr)
    return Platform.build(settings, run_migrations=migrate)
