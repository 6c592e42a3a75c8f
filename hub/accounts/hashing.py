"""argon2id password hashing at one set of parameters, held by the hub's account services.

Hashing runs in a worker thread: argon2 is deliberately slow and would stall the event loop. The
parameters are argon2-cffi's defaults (RFC 9106's low-memory profile: 3 passes over 64 MiB, 4 lanes);
the test suite gives its hubs cheaper ones, as it is about the rules around the hash, not its cost.
"""

from __future__ import annotations

import asyncio
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_NOBODYS_PASSWORD = "a password no account has, hashed once to spend the same time"


class PasswordHashing:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()

    @cached_property
    def _dummy_hash(self) -> str:
        return self.hasher.hash(_NOBODYS_PASSWORD)

    async def warm(self) -> None:
        """Hashes the unknown user's stand-in now, at the hub's start: made on the first sign-in
        instead, it would make that one answer a hash slower, for an unknown username only."""
        await asyncio.to_thread(lambda: self._dummy_hash)

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self.hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether `password` matches. With no hash (unknown user) it spends the same time and says
        no, so the answer's timing does not reveal which usernames exist."""
        return await asyncio.to_thread(self._verify, password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters than these: rehash at the next sign-in."""
        return self.hasher.check_needs_rehash(password_hash)

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash or self._dummy_hash, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False
