"""Alembic environment: the URL comes from the caller's Settings, never from alembic.ini."""

from __future__ import annotations

from alembic import context

from aegis.storage.all_models import metadata
from aegis.storage.db import make_engine

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "aegis.storage.migrate sets sqlalchemy.url"

if context.is_offline_mode():
    context.configure(url=url, target_metadata=metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = make_engine(url, pool=False)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
