"""Access tokens: verified signatures and claims, remembered only until the token expires."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from hub.access.tokens import InvalidToken, TokenSigner
from hub.contract.principal import Principal, Role

SECRET = "s" * 32


def test_a_verified_token_names_its_principal_with_this_requests_purpose() -> None:
    signer = TokenSigner(SECRET)
    token = signer.issue(Principal(Role.OFFICER, person_id="1000000008", sector="traffic"))
    first = signer.verify(token, "case 1")
    again = signer.verify(token, "case 2")  # from the remembered verification
    assert (first.role, first.person_id, first.sector, first.purpose) == (
        Role.OFFICER,
        "1000000008",
        "traffic",
        "case 1",
    )
    assert again.purpose == "case 2" and signer.verify(token, None).purpose is None


def test_a_token_altered_after_a_good_one_was_verified_is_refused() -> None:
    signer = TokenSigner(SECRET)
    token = signer.issue(Principal(Role.INDIVIDUAL, person_id="2010000020"))
    signer.verify(token, None)
    header, _payload, signature = token.split(".")
    forged = TokenSigner("another secret, 32 bytes or more").issue(Principal(Role.INDIVIDUAL, person_id="1000000008"))
    for altered in (
        f"{header}.{forged.split('.')[1]}.{signature}",
        token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),
    ):
        with pytest.raises(InvalidToken):
            signer.verify(altered, None)


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    signer = TokenSigner(SECRET)
    token = signer.issue(Principal(Role.INDIVIDUAL, person_id="2010000020"), ttl=dt.timedelta(seconds=1))
    assert signer.verify(token, None).person_id == "2010000020"
    time.sleep(2.05)  # `exp` has whole seconds
    with pytest.raises(InvalidToken):
        signer.verify(token, None)
