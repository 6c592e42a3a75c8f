"""Access tokens: ES256 signatures by the one signing key, verified with public keys only,
remembered only until the token expires; keys rotate without a moment when tokens fail."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import jwt
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hub.access.keys import BadKey, SigningKey, jwks, load_signing_key, read_jwks
from hub.access.tokens import InvalidToken, PublicKeys, TokenIssuer, TokenVerifier, UnknownKey
from hub.contract.principal import Principal, Role
from hub.settings import Settings, SettingsError
from hub.web.token_keys import DEMO_JWKS_URL, token_keys
from tests.forged_tokens import forgeries, officer_claims

KEY = SigningKey.generate()
WORKER = Principal(Role.INDIVIDUAL, person_id="2010000020")


def verifier_of(*keys: SigningKey) -> TokenVerifier:
    return TokenVerifier(PublicKeys({key.kid: key.public for key in keys}))


async def test_a_verified_token_names_its_principal_with_this_requests_purpose() -> None:
    verifier = verifier_of(KEY)
    token = TokenIssuer(KEY).issue(Principal(Role.OFFICER, person_id="1000000008", sector="traffic"))
    first = await verifier.verify(token, "case 1")
    again = await verifier.verify(token, "case 2")  # from the remembered verification
    assert (first.role, first.person_id, first.sector, first.purpose) == (
        Role.OFFICER,
        "1000000008",
        "traffic",
        "case 1",
    )
    assert again.purpose == "case 2" and (await verifier.verify(token, None)).purpose is None
    assert jwt.get_unverified_header(token) == {"alg": "ES256", "kid": KEY.kid, "typ": "JWT"}


async def test_a_token_altered_after_a_good_one_was_verified_is_refused() -> None:
    verifier = verifier_of(KEY)
    token = TokenIssuer(KEY).issue(WORKER)
    await verifier.verify(token, None)
    header, _payload, signature = token.split(".")
    other = TokenIssuer(KEY).issue(Principal(Role.INDIVIDUAL, person_id="1000000008"))
    for altered in (
        f"{header}.{other.split('.')[1]}.{signature}",
        token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),
    ):
        with pytest.raises(InvalidToken):
            await verifier.verify(altered, None)


def test_only_es256_by_a_known_key_is_accepted_whatever_the_header_says() -> None:
    verifier = verifier_of(KEY)
    claims = officer_claims("passports")
    public_pem = KEY.public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    held = {"the public key (PEM)": public_pem.decode(), "the JWKS": orjson.dumps(jwks([KEY.public])).decode()}
    forged = forgeries(claims, KEY.kid, held)
    for what, token in forged.items():
        with pytest.raises(InvalidToken):
            verifier.verify_known(token, None)
            pytest.fail(f"accepted: {what}")
    genuine = jwt.encode(claims, KEY.private, algorithm="ES256", headers={"kid": KEY.kid})
    assert verifier.verify_known(genuine, None).sector == "passports"
    for claim in ("iss", "exp", "iat", "role"):
        without = jwt.encode({k: v for k, v in claims.items() if k != claim}, KEY.private, "ES256", {"kid": KEY.kid})
        with pytest.raises(InvalidToken):
            verifier.verify_known(without, None)


async def test_a_remembered_token_is_refused_once_it_expires() -> None:
    """On a clock of the test's own: accepted up to the second before `exp`, refused from `exp` on,
    even though the verification was remembered."""
    issued = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC)
    now = [issued.timestamp()]
    verifier = TokenVerifier(PublicKeys({KEY.kid: KEY.public}), clock=lambda: now[0])
    token = TokenIssuer(KEY, clock=lambda: issued).issue(WORKER, ttl=dt.timedelta(minutes=5))
    assert (await verifier.verify(token, None)).person_id == "2010000020"
    now[0] = issued.timestamp() + 299
    assert (await verifier.verify(token, None)).person_id == "2010000020"
    now[0] = issued.timestamp() + 300
    with pytest.raises(InvalidToken):
        await verifier.verify(token, None)
    fresh = TokenVerifier(PublicKeys({KEY.kid: KEY.public}), clock=lambda: now[0])
    with pytest.raises(InvalidToken):  # refused by a verifier that never saw it valid, too
        await fresh.verify(token, None)


async def test_keys_rotate_without_a_moment_when_a_valid_token_fails() -> None:
    """Publish the next key, sign with it while the old one is still accepted, then retire the old."""
    old, new = SigningKey.generate(), SigningKey.generate()
    before = TokenIssuer(old).issue(WORKER)
    published = verifier_of(old, new)  # 1. every verifier learns the next key; identity still signs with the old
    assert (await published.verify(before, None)).person_id == WORKER.person_id
    after = TokenIssuer(new).issue(WORKER)  # 2. identity signs with the new key
    for token in (before, after):
        assert (await published.verify(token, None)).person_id == WORKER.person_id
    retired = verifier_of(new)  # 3. once the old key's tokens have expired, it is dropped
    assert (await retired.verify(after, None)).person_id == WORKER.person_id
    with pytest.raises(UnknownKey):
        await retired.verify(before, None)


def _identity(documents: list[dict[str, object]]) -> tuple[httpx.ASGITransport, list[int]]:
    """A JWKS endpoint serving `documents[0]`, counting its requests (the list may be changed)."""
    served = [0]

    async def document(_: Request) -> JSONResponse:
        served[0] += 1
        return JSONResponse(documents[0])

    app = Starlette(routes=[Route("/.well-known/jwks.json", document)])
    return httpx.ASGITransport(app=app), served


async def test_a_jwks_url_is_fetched_when_a_token_names_a_new_key_and_a_retired_key_stops_working() -> None:
    old, new = SigningKey.generate(), SigningKey.generate()
    documents: list[dict[str, object]] = [jwks([old.public])]
    transport, served = _identity(documents)
    now = [1000.0]
    keys = PublicKeys({}, "http://identity/.well-known/jwks.json", transport=transport, clock=lambda: now[0])
    verifier = TokenVerifier(keys)
    assert (await verifier.verify(TokenIssuer(old).issue(WORKER), None)).person_id == WORKER.person_id
    assert served == [1]

    documents[0] = jwks([old.public, new.public])  # identity publishes the next key and signs with it
    now[0] += 31
    assert (await verifier.verify(TokenIssuer(new).issue(WORKER), None)).person_id == WORKER.person_id
    assert served == [2]

    stranger = TokenIssuer(SigningKey.generate())
    for _ in range(3):  # tokens naming unknown keys fetch at most once per interval
        with pytest.raises(UnknownKey):
            await verifier.verify(stranger.issue(WORKER), None)
    assert served == [2]

    old_token = TokenIssuer(old).issue(WORKER)
    await verifier.verify(old_token, None)
    documents[0] = jwks([new.public])  # the old key retired: verifiers drop it at their next fetch
    now[0] += 301
    await verifier.verify(old_token, None)  # the stale keys are fetched again in the background
    await keys.refresh()
    with pytest.raises(UnknownKey):
        await verifier.verify(old_token, None)


def test_a_jwks_carries_public_keys_only_each_named_by_its_thumbprint() -> None:
    document = jwks([KEY.public])
    assert set(document["keys"][0]) == {"kty", "crv", "x", "y", "kid", "alg", "use"}
    assert read_jwks(orjson.dumps(document)).keys() == {KEY.kid}
    for wrong in (
        {**document["keys"][0], "kid": "chosen-by-the-sender"},
        {**document["keys"][0], "d": "c2VjcmV0"},
        {"kty": "oct", "k": "c2VjcmV0"},
    ):
        with pytest.raises(BadKey):
            read_jwks(orjson.dumps({"keys": [wrong]}))


def test_the_demo_generates_its_key_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    first = load_signing_key(tmp_path, {}, generate=True)
    assert (tmp_path / "token-signing-key.pem").stat().st_mode & 0o777 == 0o600
    assert load_signing_key(tmp_path, {}, generate=True).kid == first.kid
    given = SigningKey.generate()
    one_line = given.to_pem().strip().replace("\n", "\\n")
    assert load_signing_key(tmp_path, {"RABT_TOKEN_PRIVATE_KEY": one_line}, generate=False).kid == given.kid
    with pytest.raises(BadKey, match="RABT_TOKEN_PRIVATE_KEY"):
        load_signing_key(tmp_path / "empty", {}, generate=False)


def test_in_production_no_key_is_generated_and_a_part_that_does_not_sign_needs_identitys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RABT_TOKEN_PRIVATE_KEY", raising=False)
    production = Settings(mode="production", data_dir=tmp_path)
    with pytest.raises(SettingsError, match="RABT_TOKEN_PRIVATE_KEY"):
        token_keys(production, signs=True)
    with pytest.raises(SettingsError, match="RABT_TOKEN_JWKS_URL or RABT_TOKEN_PUBLIC_KEYS"):
        token_keys(production, signs=False)
    assert not list(tmp_path.iterdir())
    signer, verifier = token_keys(Settings(data_dir=tmp_path), signs=True)  # the demo makes its own
    assert signer is not None and verifier.keys.kids() == {signer.key.kid}
    sector_signer, sector = token_keys(Settings(data_dir=tmp_path), signs=False)
    assert sector_signer is None and sector.keys.kids() == set() and sector.keys.url == DEMO_JWKS_URL
