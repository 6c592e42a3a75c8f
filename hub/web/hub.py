"""One running hub's parts, built once from settings: the all-in-one hub or one federation subgraph."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hub.access.keys import jwks
from hub.access.tokens import TokenIssuer, TokenVerifier
from hub.accounts.revocations import RevocationFeed
from hub.accounts.services import AccountServices, build_account_services
from hub.api.schema import IDENTITY_SUBGRAPH, RabtSchema, schema_for
from hub.contract import Check, RelationSource, Sector
from hub.contract.calendar import riyadh_today
from hub.data.db import Database
from hub.data.secrets_store import load_secrets
from hub.data.sectors import Stores, parse_faults
from hub.registry import enabled_sectors
from hub.settings import Settings
from hub.web.token_keys import token_keys


@dataclass
class Hub:
    """Everything one running hub holds, built once from settings (tests build their own)."""

    settings: Settings
    db: Database
    sectors: tuple[Sector, ...]
    schema: RabtSchema
    signer: TokenIssuer | None  # only where people sign in: the all-in-one hub and the identity subgraph
    verifier: TokenVerifier
    accounts: AccountServices | None
    revocations: RevocationFeed  # sessions ended by other processes, read into `verifier`
    stores: Stores  # each sector's database, budget and fault
    subgraph: str | None = None
    today: Callable[[], dt.date] = riyadh_today
    """Where the seed, the access policy and every service's rules read "today": tests fix it, so a
    run across midnight decides every rule on the same day its expectations were computed for."""

    @classmethod
    def build(cls, settings: Settings, *, subgraph: str | None = None) -> Hub:
        """The all-in-one hub, or (with `subgraph`) one federation subgraph: `identity` or a sector.

        Every shape keeps every enabled sector's relation sources: a guardian's right to read a
        minor's traffic records is decided from civil affairs' data, whichever subgraph answers.
        """
        sectors = enabled_sectors(settings.sectors)
        budgets = settings.budgets()
        db = Database(settings.database_url, budgets)
        stores = Stores(
            db,
            sectors,
            urls=settings.sector_database_urls([sector.name for sector in sectors]),
            faults=parse_faults(settings.faults),
            budget=settings.sector_budget,
            budgets=budgets,
        )
        signs = subgraph in (None, IDENTITY_SUBGRAPH)  # where people sign in, and statistics are served
        signer, verifier = token_keys(settings, signs=signs)
        statistics_key = load_secrets(settings.data_dir)["RABT_STATISTICS_KEY"].encode() if signs else None
        return cls(
            settings=settings,
            db=db,
            sectors=sectors,
            schema=schema_for(sectors, subgraph, statistics_key),
            signer=signer,
            verifier=verifier,
            accounts=build_account_services(settings, db, signer, verifier) if signer is not None else None,
            revocations=RevocationFeed(db, verifier),
            stores=stores,
            subgraph=subgraph,
        )

    def jwks(self) -> dict[str, Any] | None:
        """The public keys this hub publishes: a signer's own and those it accepts besides (a
        rotation's next or previous key); None where nobody signs in."""
        if self.signer is None:
            return None
        keys = self.verifier.keys
        return jwks(key for kid in sorted(keys.kids()) if (key := keys.get(kid)) is not None)

    def relation_sources(self) -> Sequence[tuple[str, RelationSource]]:
        return [(sector.name, source) for sector in self.sectors for source in sector.relations]

    def checks(self) -> Mapping[str, Check]:
        """The checks this part answers from its own data, by name: every enabled sector's in the
        all-in-one hub; a subgraph asks the other sectors' of their subgraphs (`hub.web.peer_checks`)."""
        if self.subgraph is not None:
            return {
                check.name: check for sector in self.sectors if sector.name == self.subgraph for check in sector.checks
            }
        return {check.name: check for sector in self.sectors for check in sector.checks}
