"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from aegis.storage.all_models import metadata
from aegis.storage.db import make_engine
from aegis.storage.migrate import current_head


def test_models_match_migrations(db_url: str) -> None:
    engine = make_engine(db_url, pool=False)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
        assert context.get_current_revision() == current_head()
    engine.dispose()
    assert diff == [], diff
