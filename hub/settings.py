"""Configuration: read once from the environment (`RABT_*`), typed, handed to the app factory."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:
    from hub.data.db import Budgets

DEFAULT_DATA_DIR = Path("var")
PREFIX = "RABT_"


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """'10.0.0.5, 10.1.0.0/16' -> the networks; a bare address is a network of one."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


class SettingsError(ValueError):
    """A setting the hub cannot use: names the variable and what it expects."""


class Settings(BaseSettings):
    """Every setting of the hub. Each field is read from `RABT_<NAME>` (docs/operations.md lists them)."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, frozen=True, extra="ignore")

    mode: Literal["demo", "production"] = Field(
        "demo",
        description=(
            "`production` refuses demo conveniences (persona tokens, fault switches); "
            "unset: demo on the embedded SQLite database, production on any other"
        ),
    )
    data_dir: Path = Field(DEFAULT_DATA_DIR, description="where the embedded demo keeps its database and secrets")
    database_url: str = Field("", description="SQLAlchemy async URL; default: SQLite in the data directory")
    redis_url: str | None = Field(None, description="Redis for limits shared by workers; none: in memory")
    seed_people: int = Field(10_000, ge=0, description="people seeded on first start (0: do not seed)")
    seed: int = Field(2026, description="the demo data's random seed")
    sectors: Annotated[tuple[str, ...] | None, NoDecode] = Field(
        None, description="comma-separated sectors to serve; none: every installed sector"
    )
    max_in_flight: int = Field(8, ge=1, description="slots of GraphQL execution per worker")
    graphiql: bool = Field(True, description="serve GraphiQL at /graphql to browsers")
    trusted_documents: bool = Field(False, description="run only the shipped operations (hub/api/operations)")
    compiled: bool = Field(True, description="answer repeated operations from a cached plan")
    plan_text_after: int = Field(
        3, ge=0, description="sightings of a plain-text document before it is planned (0: at its first)"
    )
    plan_cache: int = Field(1_000, ge=1, description="documents, plans and text sightings each cache, at most")
    token_public_keys: str = Field(
        "",
        description="a JWKS document (JSON) of token keys to accept besides the signer's own: "
        "the next or the previous key during a rotation, or every key on a part that does not sign",
    )
    token_jwks_url: str | None = Field(
        None, description="where a part that does not sign fetches the token keys (identity's /.well-known/jwks.json)"
    )
    request_timeout: float = Field(
        10.0, gt=0, description="seconds a request may take to arrive whole, from its first byte (hub/web/server.py)"
    )
    session_lifetime_minutes: float = Field(
        720, gt=0, description="a signed-in session ends this long after sign-in, whatever happens"
    )
    session_idle_minutes: float = Field(30, gt=0, description="a session ends after this long without a refresh")
    trusted_proxies: Annotated[tuple[Network, ...], NoDecode] = Field(
        (), description="comma-separated proxies (addresses or networks) whose X-Forwarded-For is believed"
    )
    connect_timeout: float = Field(2.0, gt=0, description="seconds to open a database connection")
    pool_timeout: float = Field(2.0, gt=0, description="seconds to wait for a pooled database connection")
    statement_timeout: float = Field(
        5.0, gt=0, description="seconds one statement may run (sent to PostgreSQL as statement_timeout too)"
    )
    request_deadline: float = Field(
        10.0, gt=0, description="seconds a request may take from its arrival to its answer (503 past it)"
    )
    sector_budget: float = Field(
        3.0, gt=0, description="seconds one sector's reads may take within a request (SECTOR_UNAVAILABLE past it)"
    )
    subgraph_timeout: float = Field(
        5.0, gt=0, description="seconds the gateway waits for one subgraph (`python -m hub gateway`)"
    )
    shutdown_grace: float = Field(
        10.0, ge=0, description="seconds in-flight requests may finish after SIGTERM (503 past it)"
    )
    retry_after: int = Field(5, ge=1, description="seconds a 503 answer's Retry-After asks a client to wait")
    sector_databases: dict[str, str] = Field(
        default_factory=dict,
        description="each sector's own database URL, read from `RABT_<SECTOR>_DATABASE_URL` "
        "(e.g. RABT_TRAFFIC_DATABASE_URL); a sector without one lives in the hub's database",
    )
    faults: str = Field(
        "",
        description="demo and test outages, e.g. `traffic=down,passports=delay:2s,civil_affairs=error`; "
        "refused in production mode",
    )

    log_format: Literal["json", "text"] | None = Field(
        None, description="`json`: one JSON object a line; `text`: readable lines; unset: json in production, else text"
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="the least severe log lines written (`--log-level` overrides it)"
    )
    metrics_networks: Annotated[tuple[Network, ...], NoDecode] = Field(
        (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")),
        description="comma-separated networks whose direct requests may read /metrics",
    )
    otlp_endpoint: str | None = Field(
        None, description="OTLP/HTTP traces endpoint, e.g. http://collector:4318/v1/traces; none: no traces recorded"
    )

    @field_validator("sectors", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            names = tuple(name.strip() for name in value.split(",") if name.strip())
            return names or None
        return value

    @field_validator("trusted_proxies", "metrics_networks", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> Any:
        return parse_networks(value) if isinstance(value, str) else value

    @field_validator("redis_url", "token_jwks_url", "otlp_endpoint", "log_format", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_case(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _embedded_database(self) -> Settings:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite+aiosqlite:///{self.data_dir / 'rabt.db'}")
        # A hub on a real database is a deployment: it is the demo only when it says so.
        if "mode" not in self.model_fields_set and not self.database_url.startswith("sqlite"):
            object.__setattr__(self, "mode", "production")
        return self

    @model_validator(mode="after")
    def _no_faults_in_production(self) -> Settings:
        if self.faults and self.mode == "production":
            raise ValueError("RABT_FAULTS is refused in production mode: it is for tests and demos")
        return self

    @field_validator("faults")
    @classmethod
    def _readable_faults(cls, value: str) -> str:
        from hub.data.sectors import parse_faults

        parse_faults(value)
        return value

    def sector_database_urls(self, names: Sequence[str], environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """Each named sector's own database URL: `sector_databases`, else RABT_<SECTOR>_DATABASE_URL."""
        env = os.environ if environ is None else environ
        found = {}
        for name in names:
            url = self.sector_databases.get(name) or env.get(f"{PREFIX}{name.upper()}_DATABASE_URL", "").strip()
            if url:
                found[name] = url
        return found

    def subgraph_urls(self, names: Sequence[str], environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """Where each named sector's subgraph answers the other parts: `RABT_<SECTOR>_SUBGRAPH_URL`,
        its base URL (e.g. RABT_TRAFFIC_SUBGRAPH_URL=http://traffic:4003). A subgraph asks it the
        checks of that sector's rules (`hub.web.peer_checks`)."""
        env = os.environ if environ is None else environ
        found = {}
        for name in names:
            url = env.get(f"{PREFIX}{name.upper()}_SUBGRAPH_URL", "").strip()
            if url:
                found[name] = url
        return found

    def budgets(self) -> Budgets:
        from hub.data.db import Budgets

        return Budgets(connect=self.connect_timeout, pool=self.pool_timeout, statement=self.statement_timeout)

    @property
    def is_production(self) -> bool:
        return self.mode == "production"

    @property
    def logs_as(self) -> Literal["json", "text"]:
        """How log lines are written: as set, else JSON in production and text on the demo."""
        if self.log_format is not None:
            return self.log_format
        return "json" if self.is_production else "text"

    @property
    def migrates_itself(self) -> bool:
        """The embedded demo (SQLite, demo mode) brings its tables to the migrations' heads at start;
        any other database is migrated by `python -m hub migrate upgrade`, and the hub refuses to
        serve one that is behind."""
        return self.mode == "demo" and self.database_url.startswith("sqlite")

    @property
    def session_lifetime(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.session_lifetime_minutes)

    @property
    def session_idle(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.session_idle_minutes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings in `environ` (default: the process environment); SettingsError names each
        variable that does not hold what it should."""
        env = os.environ if environ is None else environ
        values = {name: env[f"{PREFIX}{name.upper()}"] for name in cls.model_fields if f"{PREFIX}{name.upper()}" in env}
        try:
            return cls.model_validate(values) if environ is not None else cls()
        except ValidationError as error:
            raise SettingsError(_explain(error)) from None


def _explain(error: ValidationError) -> str:
    lines = []
    for problem in error.errors():
        name = ".".join(str(part) for part in problem["loc"]) or "settings"
        lines.append(f"{PREFIX}{name.upper()}: {problem['msg']} (got {problem.get('input')!r})")
    return "; ".join(lines)
