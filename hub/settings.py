"""Configuration: read once from the environment, handed to the app factory."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = Path("var")


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite+aiosqlite:///{DEFAULT_DATA_DIR / 'rabt.db'}"
    redis_url: str | None = None
    data_dir: Path = DEFAULT_DATA_DIR
    seed_people: int = 10_000
    seed: int = 2026
    # None: every installed sector; otherwise the names to enable, e.g. ("passports", "traffic").
    sectors: tuple[str, ...] | None = None
    # Executions at once per worker; more requests wait their turn (see hub/http.py).
    max_in_flight: int = 8
    graphiql: bool = True
    # Production mode: run only the shipped operations (hub/operations), by hash or full text.
    trusted_documents: bool = False
    # Persisted operations answered from a cached plan (hub/compiled); RABT_COMPILED=0 turns it off.
    compiled: bool = True

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        data_dir = Path(env.get("RABT_DATA_DIR", str(DEFAULT_DATA_DIR)))
        sectors = env.get("RABT_SECTORS")
        return cls(
            database_url=env.get("RABT_DATABASE_URL", f"sqlite+aiosqlite:///{data_dir / 'rabt.db'}"),
            redis_url=env.get("RABT_REDIS_URL") or None,
            data_dir=data_dir,
            seed_people=int(env.get("RABT_SEED_PEOPLE", "10000")),
            seed=int(env.get("RABT_SEED", "2026")),
            sectors=tuple(s.strip() for s in sectors.split(",") if s.strip()) if sectors else None,
            graphiql=env.get("RABT_GRAPHIQL", "1") != "0",
            max_in_flight=int(env.get("RABT_MAX_IN_FLIGHT", "8")),
            trusted_documents=env.get("RABT_TRUSTED_DOCUMENTS", "0") == "1",
            compiled=env.get("RABT_COMPILED", "1") != "0",
        )
