"""Signed access tokens (JWT, ES256): who the bearer is, for a short while, and in which session.

The part that signs people in (the all-in-one hub, or the identity subgraph) issues them with its
private key; every part verifies them with public keys only, named by the token's `kid`: keys
given as a JWKS document, and those a JWKS URL publishes (fetched when a token names a key not
yet known, and again every few minutes, so a retired key stops being accepted). A verifier also
turns away the tokens of sessions ended before their time (`TokenVerifier.revoke`)."""

from __future__ import annotations

import asyncio
import binascii
import dataclasses
import datetime as dt
import logging
import re
import secrets
import time
from collections.abc import Callable, Mapping

import httpx
import jwt
import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from hub.access.keys import ALGORITHM, BadKey, PublicKey, SigningKey, b64url_decode, read_jwks
from hub.contract.principal import Principal, Role

ISSUER = "rabt"
ACCESS_TTL = dt.timedelta(minutes=15)
VERIFIED_CAPACITY = 10_000
REVOKED_SWEEP = 10_000
"""Ended sessions remembered before those past their end are swept away."""
JWKS_MAX_AGE = 300.0
"""Seconds a fetched JWKS is used before it is fetched again (in the background)."""
JWKS_MIN_INTERVAL = 30.0
"""Seconds between two fetches at least: a stream of tokens naming unknown keys fetches once."""
_PART = re.compile(r"[A-Za-z0-9_-]+")
_ECDSA = ec.ECDSA(hashes.SHA256())
log = logging.getLogger("rabt.tokens")


class InvalidToken(Exception):
    pass


class UnknownKey(InvalidToken):
    """The token names a key this verifier does not hold (yet)."""


class TokenIssuer:
    """Signs access tokens: held only by the part that signs people in."""

    def __init__(self, key: SigningKey, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.key = key
        self._kid = key.kid
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))

    def issue(
        self, principal: Principal, ttl: dt.timedelta = ACCESS_TTL, *, not_after: dt.datetime | None = None
    ) -> str:
        """A token for `principal`, valid `ttl` and never past `not_after` (its session's end)."""
        now = self._clock()
        expires = now + ttl if not_after is None else min(now + ttl, not_after)
        claims: dict[str, object] = {
            "iss": ISSUER,
            "iat": now,
            "exp": expires,
            "jti": secrets.token_hex(8),
            "role": principal.role.value,
        }
        if principal.person_id:
            claims["sub"] = principal.person_id
        if principal.sector:
            claims["sector"] = principal.sector
        if principal.scopes:
            claims["scopes"] = sorted(principal.scopes)
        if principal.client:
            claims["client"] = principal.client
        if principal.session:
            claims["sid"] = principal.session
        return jwt.encode(claims, self.key.private, algorithm=ALGORITHM, headers={"kid": self._kid})


class PublicKeys:
    """The public keys a verifier accepts, by kid: fixed ones, and a JWKS URL's when one is given."""

    def __init__(
        self,
        fixed: Mapping[str, PublicKey],
        url: str | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fixed = dict(fixed)
        self._fetched: dict[str, PublicKey] = {}
        self.url = url
        self._transport = transport
        self._clock = clock
        self._fetched_at: float | None = None
        self._fetching: asyncio.Future[bool] | None = None
        self.version = 0  # changes whenever the set of keys changes

    def get(self, kid: str) -> PublicKey | None:
        return self._fixed.get(kid) or self._fetched.get(kid)

    def kids(self) -> set[str]:
        return {*self._fixed, *self._fetched}

    @property
    def stale(self) -> bool:
        return self.url is not None and (self._fetched_at is None or self._clock() - self._fetched_at >= JWKS_MAX_AGE)

    async def refresh(self) -> bool:
        """Fetches the JWKS URL again (one fetch at a time, at most one per JWKS_MIN_INTERVAL);
        True when the keys changed. A failed fetch keeps the keys known so far."""
        fetching = self._start_fetch()
        return False if fetching is None else await asyncio.shield(fetching)

    def refresh_soon(self) -> None:
        """A refresh in the background: the request that noticed the keys are stale does not wait."""
        self._start_fetch()

    def _start_fetch(self) -> asyncio.Future[bool] | None:
        if self.url is None:
            return None
        if self._fetching is not None and not self._fetching.done():
            return self._fetching
        if self._fetched_at is not None and self._clock() - self._fetched_at < JWKS_MIN_INTERVAL:
            return None
        self._fetching = asyncio.ensure_future(self._fetch(self.url))
        return self._fetching

    async def _fetch(self, url: str) -> bool:
        self._fetched_at = self._clock()
        try:
            async with httpx.AsyncClient(transport=self._transport, timeout=5.0) as client:
                response = await client.get(url)
                response.raise_for_status()
            keys = read_jwks(response.content)
        except (httpx.HTTPError, BadKey) as error:
            log.warning("token keys: could not fetch %s: %s", url, error)
            return False
        changed = keys.keys() != self._fetched.keys()
        self._fetched = keys
        if changed:
            self.version += 1
        return changed


class TokenVerifier:
    """Verifies access tokens with public keys only."""

    def __init__(self, keys: PublicKeys, clock: Callable[[], float] = time.time) -> None:
        self.keys = keys
        self._clock = clock  # epoch seconds, as `exp` counts them
        # token -> (who it names, its expiry): a front end sends the same token with every request
        # for its lifetime, and verifying an ES256 signature and the claims costs ~130 µs each time.
        # Remembering a verified token changes no answer: its expiry and its session's revocation
        # are still checked on every use, and a change of keys forgets them all.
        self._verified: dict[str, tuple[Principal, float]] = {}
        self._keys_version = keys.version
        # session id -> until when (epoch seconds) its tokens are turned away: the sessions ended
        # before their time (sign-out, a reused refresh token, a password change, recovery).
        self._revoked: dict[str, float] = {}

    async def verify(self, token: str, purpose: str | None) -> Principal:
        """The token's principal (with this request's purpose), or InvalidToken."""
        if self.keys.stale:
            self.keys.refresh_soon()
        try:
            return self.verify_known(token, purpose)
        except UnknownKey:
            if not await self.keys.refresh():
                raise
            return self.verify_known(token, purpose)

    def verify_known(self, token: str, purpose: str | None) -> Principal:
        """`verify` with the keys known now: UnknownKey when the token names another."""
        if self._keys_version != self.keys.version:
            self._verified.clear()
            self._keys_version = self.keys.version
        known = self._verified.get(token)
        if known is None or known[1] <= self._clock():
            self._verified.pop(token, None)
            known = self._verified_now(token)
        principal = known[0]
        if principal.session is not None and principal.session in self._revoked:
            raise InvalidToken("the session was ended")
        return principal if purpose is None else dataclasses.replace(principal, purpose=purpose)

    def revoke(self, session: str, until: float) -> None:
        """Turns away every token of `session` from now on (until `until`, when none can be valid)."""
        if len(self._revoked) >= REVOKED_SWEEP:
            now = self._clock()
            self._revoked = {sid: end for sid, end in self._revoked.items() if end > now}
        self._revoked[session] = until

    def _verified_now(self, token: str) -> tuple[Principal, float]:
        # Written out rather than through PyJWT's general decoder: it accepts exactly one algorithm
        # and header shape, and costs ~130 µs where `jwt.decode` cost ~210 µs for the same token.
        parts = token.split(".")
        if len(parts) != 3 or not all(_PART.fullmatch(part) for part in parts):
            raise InvalidToken("not a compact JWS")
        try:
            header = orjson.loads(b64url_decode(parts[0]))
            if not isinstance(header, dict) or header.get("alg") != ALGORITHM or "crit" in header:
                raise InvalidToken(f"only {ALGORITHM} tokens are accepted")
            kid = header.get("kid")
            key = self.keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise UnknownKey(f"no key {kid!r}")
            signature = b64url_decode(parts[2])
            if len(signature) != 64:
                raise InvalidToken("an ES256 signature is 64 bytes")
            key.verify(
                encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")),
                f"{parts[0]}.{parts[1]}".encode("ascii"),
                _ECDSA,
            )
            claims = orjson.loads(b64url_decode(parts[1]))
        except (InvalidSignature, orjson.JSONDecodeError, binascii.Error, ValueError) as error:
            raise InvalidToken(type(error).__name__) from None
        return self._remember(token, claims)

    def _remember(self, token: str, claims: object) -> tuple[Principal, float]:
        if not isinstance(claims, dict) or claims.get("iss") != ISSUER:
            raise InvalidToken("not issued by rabt")
        expires, issued = claims.get("exp"), claims.get("iat")
        if not isinstance(expires, int | float) or not isinstance(issued, int | float) or expires <= self._clock():
            raise InvalidToken("expired, or without exp and iat")
        try:
            role = Role(claims["role"])
        except (KeyError, ValueError):
            raise InvalidToken("no known role") from None
        if role is Role.ANONYMOUS:
            raise InvalidToken("anonymous tokens are not issued")
        principal = Principal(
            role=role,
            person_id=claims.get("sub"),
            sector=claims.get("sector"),
            scopes=frozenset(claims.get("scopes", ())),
            client=claims.get("client"),
            session=claims.get("sid"),
        )
        if len(self._verified) >= VERIFIED_CAPACITY:
            del self._verified[next(iter(self._verified))]  # the oldest verified first
        self._verified[token] = found = (principal, float(expires))
        return found
