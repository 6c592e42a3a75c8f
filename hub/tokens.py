"""Signed access tokens (JWT, HS256): who the bearer is, for a short while."""

from __future__ import annotations

import datetime as dt
import secrets

import jwt

from hub.principal import Principal, Role

ISSUER = "rabt"
ACCESS_TTL = dt.timedelta(minutes=15)


class InvalidToken(Exception):
    pass


class TokenSigner:
    def __init__(self, secret: str) -> None:
        self._secret = secret

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
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=["HS256"], issuer=ISSUER, options={"require": ["exp", "iat", "role"]}
            )
            role = Role(claims["role"])
        except (jwt.PyJWTError, ValueError) as error:
            raise InvalidToken(str(error)) from None
        if role is Role.ANONYMOUS:
            raise InvalidToken("anonymous tokens are not issued")
        return Principal(
            role=role,
            person_id=claims.get("sub"),
            sector=claims.get("sector"),
            scopes=frozenset(claims.get("scopes", ())),
            client=claims.get("client"),
            purpose=purpose,
        )
