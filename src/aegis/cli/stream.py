"""``aegis stream consume``: decide transactions arriving on NATS JetStream."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from aegis.cli.output import fail

stream_app = typer.Typer(help="NATS JetStream intake (the scaled shape).", no_args_is_help=True)


@stream_app.command("consume")
def consume_cmd(
    batch: Annotated[int, typer.Option(min=1, max=1000, help="Messages per fetch.")] = 64,
    prefix: Annotated[
        str, typer.Option(help="Subject prefix: <prefix>.tx.<tenant> in, <prefix>.decision.* out.")
    ] = "aegis",
    ack_wait: Annotated[
        float,
        typer.Option(
            min=1.0,
            max=3600.0,
            help="Seconds before an unacknowledged message (its consumer died) is delivered again.",
        ),
    ] = 30.0,
) -> None:
    """Take transactions from `<prefix>.tx.<tenant_id>` and publish decisions on
    `<prefix>.decision.<tenant_id>` until SIGTERM. Run several: they share the load."""
    from aegis.config import Settings
    from aegis.kit.process import tune_for_serving
    from aegis.logging import configure_logging
    from aegis.platform import Platform
    from aegis.risk.stream import StreamNames, consume
    from aegis.services import Services

    settings = Settings()
    if not settings.nats_url:
        fail("AEGIS_NATS_URL is not set", as_json=False, code=2)
    assert settings.nats_url is not None
    configure_logging(settings.log_level, json=settings.log_json)
    platform = Platform.build(settings, run_migrations=False)
    services = Services.build(platform)
    # Before the first message, as a web worker does before its first connection.
    platform.risk.prebuild()
    tune_for_serving()
    try:
        asyncio.run(
            consume(
                platform,
                services,
                url=settings.nats_url,
                names=StreamNames(prefix=prefix),
                batch=batch,
                ack_wait=ack_wait,
            )
        )
    finally:
        platform.close()
