"""Who is asking: the principal a request acts for, decided once by authentication."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Role(enum.StrEnum):
    ANONYMOUS = "anonymous"
    INDIVIDUAL = "individual"
    OFFICER = "officer"
    ANALYST = "analyst"
    SERVICE = "service"


@dataclass(frozen=True)
class Principal:
    """The caller. `person_id` is the individual's own ID (or the officer's); `sector` is the
    officer's sector; `scopes` are a service client's sectors ("identity", "traffic", …);
    `session` is the signed-in session the token belongs to (None for tokens issued otherwise);
    `on_behalf_of` is the establishment (unified number) an individual says the request acts for
    (the `X-On-Behalf-Of` header): a claim, checked against its authorised users on every request,
    never a grant by itself."""

    role: Role
    person_id: str | None = None
    sector: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    client: str | None = None
    purpose: str | None = None
    session: str | None = None
    on_behalf_of: str | None = None

    @property
    def actor(self) -> str:
        """How the audit names the caller: a person ID, an officer, or a client."""
        if self.role is Role.SERVICE:
            return f"service:{self.client}"
        if self.role is Role.ANONYMOUS:
            return "anonymous"
        return f"{self.role.value}:{self.person_id}"


ANONYMOUS = Principal(Role.ANONYMOUS)
