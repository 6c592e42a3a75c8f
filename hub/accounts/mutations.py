"""The accounts' root mutation fields, handed out fresh on every call (one field object must never
sit in two schemas). The hub adds them with `build_schema(..., hub_mutation=mutation_fields())`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.types.field import StrawberryField

from hub.accounts.otp import CODE_TTL, MAX_ATTEMPTS
from hub.accounts.registration import activate_account, register, verify_phone
from hub.accounts.sessions import REFRESH_TTL
from hub.accounts.sign_in import confirm_sign_in, refresh_session, sign_in, sign_out

_MINUTES = int(CODE_TTL.total_seconds() // 60)
_RATE = "Too many attempts from one address or for one person fail with the GraphQL error RATE_LIMITED."


def _mutation(resolver: Callable[..., Any], description: str) -> StrawberryField:
    # Typed through Any: strawberry's overloads present a field as its resolver's return type.
    field: StrawberryField = strawberry.mutation(resolver=resolver, description=description)
    return field


def mutation_fields() -> dict[str, StrawberryField]:
    return {
        "register": _mutation(
            register,
            (
                "Open an account (anyone; no token needed). The mobile must be exactly the one the identity "
                "registry holds for the ID: otherwise, or when the ID is unknown, REGISTRATION_MISMATCH. "
                "Refusals: TERMS_NOT_ACCEPTED, USERNAME_POLICY and PASSWORD_POLICY (saying what is missing), "
                "USERNAME_TAKEN, ALREADY_REGISTERED. On success a 6-digit code is sent by SMS to that mobile, "
                f"valid {_MINUTES} minutes; registering again before it is verified starts over with a new code. "
                f"A malformed ID is the GraphQL error INVALID_ID, a malformed mobile BAD_USER_INPUT. {_RATE}"
            ),
        ),
        "verify_phone": _mutation(
            verify_phone,
            (
                "Send the registration code from the SMS (anyone holding it; no token needed). The account then "
                "waits for activation. Refusals: CODE_INVALID, CODE_EXPIRED, and TOO_MANY_ATTEMPTS once "
                f"{MAX_ATTEMPTS} codes were tried (register again for a new code). {_RATE}"
            ),
        ),
        "activate_account": _mutation(
            activate_account,
            (
                "Activate a verified account whose owner is present (a self-service kiosk or an activation "
                "desk). Only an officer, of any sector, may call it; anyone else gets the GraphQL error "
                "FORBIDDEN. Refusals: ACCOUNT_NOT_FOUND, NOT_PENDING_ACTIVATION."
            ),
        ),
        "sign_in": _mutation(
            sign_in,
            (
                "Start signing in (anyone; no token needed): checks the username and password and sends a "
                f"6-digit code by SMS, valid {_MINUTES} minutes. Refusals: INVALID_CREDENTIALS (unknown "
                "username or wrong password, alike), ACCOUNT_NOT_ACTIVE, ACCOUNT_LOCKED, MOBILE_UNAVAILABLE. "
                f"{_RATE}"
            ),
        ),
        "confirm_sign_in": _mutation(
            confirm_sign_in,
            (
                "Finish signing in with the code from the SMS (anyone holding it; no token needed): returns an "
                f"access token acting for the account's owner and a refresh token valid {REFRESH_TTL.days} days. "
                f"Refusals: CODE_INVALID, CODE_EXPIRED, TOO_MANY_ATTEMPTS (after {MAX_ATTEMPTS} tries; sign in "
                f"again). {_RATE}"
            ),
        ),
        "refresh_session": _mutation(
            refresh_session,
            (
                "Exchange a refresh token for a new session (whoever holds the token; no access token needed). "
                "The old refresh token stops working. A refresh token used twice ends every session of the "
                "account. Refusals: SESSION_INVALID, SESSION_EXPIRED, ACCOUNT_NOT_ACTIVE, ACCOUNT_LOCKED."
            ),
        ),
        "sign_out": _mutation(
            sign_out,
            (
                "End a session by revoking its refresh token (whoever holds it; no access token needed). "
                "The access token already issued stays valid until it expires, at most 15 minutes."
            ),
        ),
    }
