"""The asyncpg pool the driver path reads through (and the audit appends through), and what
counts as its connection lost."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import URL

POOL_SIZE = 15  # as many as SQLAlchemy's default pool may open (5 + 10 overflow)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


async def read_pool(url: URL, budgets: Any = None) -> Any:
    """A fixed asyncpg pool for reads (and the audit's appends) at a SQLAlchemy URL, within the
    connect and statement budgets (`hub.data.db.Budgets`) when given."""
    import asyncpg

    limits: dict[str, Any] = {}
    if budgets is not None:
        limits = {
            "timeout": budgets.connect,
            "command_timeout": budgets.statement,
            "server_settings": budgets.server_settings(),
        }
    return await asyncpg.create_pool(
        **limits, **connect_arguments(url), min_size=1, max_size=POOL_SIZE, reset=keep_session
    )


def connect_arguments(url: URL) -> dict[str, Any]:
    """asyncpg's connection arguments for a SQLAlchemy URL (its driver name aside)."""
    return {
        "host": url.host,
        "port": url.port or 5432,
        "user": url.username,
        "password": url.password,
        "database": url.database,
        # On loopback, no TLS attempt first (asyncpg's default); elsewhere its default.
        "ssl": False if url.host in LOOPBACK_HOSTS else None,
    }


async def keep_session(_connection: Any) -> None:
    """No reset query when a connection goes back to the pool: these connections only ever send
    SELECTs in autocommit, so there is no session state to clear, and asyncpg's default (unlock
    advisory locks, close cursors, UNLISTEN, RESET ALL) was one more round trip per request."""


def _connection_lost() -> tuple[type[BaseException], ...]:
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        return (ConnectionError,)
    return (ConnectionError, asyncpg.ConnectionDoesNotExistError, asyncpg.InterfaceError)


CONNECTION_LOST = _connection_lost()
