"""Alembic environment for the bot's store.

Connection, in order of precedence: a connection handed over by `bot.store.db.upgrade`
(`config.attributes["connection"]`), a URL in `config.attributes["url"]` or `-x url=…`, and
finally `DATABASE_URL` through `bot.common.settings` (the CLI case).
"""
from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from bot.store.models import Base

config = context.config
target_metadata = Base.metadata

# Only the CLI has an ini file; programmatic runs must not reconfigure the application's logging.
if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    url = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
    if url:
        return str(url)
    from bot.common.settings import get_settings

    return get_settings().database_url


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite cannot ALTER most things; batch mode lets later migrations rebuild tables.
        render_as_batch=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return

    from bot.store.db import make_engine

    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            _configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
