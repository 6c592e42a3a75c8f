"""Public inquiries: what anyone may ask without signing in (is this visa valid, when does this
iqama expire), answered with a status and a date and never a name.

Each is counted per client before it reads (a moving window of the hub's rate limiter: in Redis
when RABT_REDIS_URL is set, so every worker shares it), and what it read of a person is audited
for that person as any read is: they see in their access log that someone looked them up.
"""

from __future__ import annotations

from hub.accounts.ratelimit import Limit, RateLimiter, enforce
from hub.audit.entries import AuditBatch

INQUIRIES_PER_CLIENT = Limit(30, 600)
"""Public inquiries one client address may make in a moving window: enough for a person checking
their own papers, too few to walk the number space."""

PUBLIC = "public"
"""The capacity the audit names for a public inquiry's read."""

UNKNOWN_CLIENT = "unknown"


async def count_inquiry(limiter: RateLimiter, client_ip: str | None) -> None:
    """One inquiry by this client: RATE_LIMITED once the client is over the limit. Every inquiry
    shares one window, so no inquiry can be used to go round another's."""
    await enforce(limiter, "inquiry", [("client", (client_ip or UNKNOWN_CLIENT,), INQUIRIES_PER_CLIENT)])


def note_inquiry(audit: AuditBatch, name: str, person_id: str, sector: str, fields: frozenset[str]) -> None:
    """The read noted for the person looked up, the inquiry's name as its action."""
    audit.note(person_id, sector, PUBLIC, fields, action=name)
