"""Signed access tokens (JWT, HS256): who the bearer is, for a short while."""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
import time

import jwt

from hub.contract.principal import Principal, Role

ISSUER = "rabt"
ACCESS_TTL = dt.timedelta(minutes=15)
VERIFIED_CAPACITY = 10_000


class InvalidToken(Exception):
    pass


class TokenSigner:
    def __init__(self, secret: str) -> None:
        self._secret = secret
        # token -> (who it names, its expiry): a front end sends the same token with every request
        # for its lifetime, and checking the signature and claims again cost ~56 µs each time.
        # Access tokens cannot be revoked before they expire, so remembering a verified one
        # changes no answer; the expiry is still checked on every use.
        self._verified: dict[str, tuple[Principal, float]] = {}

    def issue(self, principal: Principal, ttl: dt.timedelta = ACCESS_TTL) -> str:
        now = dt.datetime.now(dt.UTC)
        claims: dict[str, object] = {
            "iss": ISSUER,
            "iat": now,
            "exp": now + ttl,
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
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify(self, token: str, purpose: str | None) -> Principal:
        known = self._verified.get(token)
        if known is None or known[1] <= time.time():
            self._verified.pop(token, None)
            known = self._verified_now(token)
        principal = known[0]
        return principal if purpose is None else dataclasses.replace(principal, purpose=purpose)

    def _verified_now(self, token: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=["HS256"], issuer=ISSUER, options={"require": ["exp", "iat", "role"]}
            )
            role = Role(claims["role"])
        except (jwt.PyJWTError, ValueError) as error:
            raise InvalidToken(str(error)) from None
        if role is Role.ANONYMOUS:
            raise InvalidToken("anonymous tokens are not issued")
        principal = Principal(
            role=role,
            person_id=claims.get("sub"),
            sector=claims.get("sector"),
            scopes=frozenset(claims.get("scopes", ())),
            client=claims.get("client"),
        )
        if len(self._verified) >= VERIFIED_CAPACITY:
            del self._verified[next(iter(self._verified))]  # the oldest verified first
        self._verified[token] = found = (principal, float(claims["exp"]))
        return found
