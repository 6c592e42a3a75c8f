"""The accounts' root mutation fields, handed out fresh on every call (one field object must never
sit in two schemas). The hub adds them with `build_schema(..., hub_mutation=mutation_fields())`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.types.field import StrawberryField

from hub.accounts.lockout import LOCK_AFTER, RECOVERY_ALLOWANCE
from hub.accounts.otp import CODE_TTL, MAX_ATTEMPTS
from hub.accounts.password_change import change_password
from hub.accounts.recovery import recover_account, send_recovery_code
from hub.accounts.registration import activate_account, register, verify_phone
from hub.accounts.sign_in import confirm_sign_in, refresh_session, sign_in, sign_out, sign_out_everywhere

_MINUTES = int(CODE_TTL.total_seconds() // 60)
_RATE = (
    "Too many attempts from one address, or for one account from one address, or too many failures for one "
    "account from every address, fail with the GraphQL error RATE_LIMITED."
)
_LOCK = (
    f"After {LOCK_AFTER} consecutive failed passwords and codes the account is locked (ACCOUNT_LOCKED) until its "
    "owner uses recoverAccount or an officer unlocks it."
)
_CHALLENGE = "Send the challenge returned with the code: only whoever asked for a code may use it."


# Each mutation: its resolver and what the schema says of it.
_MUTATIONS: dict[str, tuple[Callable[..., Any], str]] = {
    "register": (
        register,
        (
            "Open an account (anyone; no token needed). The mobile must be exactly the one the identity "
            "registry holds for the ID: otherwise, or when the ID is unknown, REGISTRATION_MISMATCH. "
            "Refusals: TERMS_NOT_ACCEPTED, USERNAME_POLICY and PASSWORD_POLICY (saying what is missing), "
            "USERNAME_TAKEN, ALREADY_REGISTERED, and REGISTRATION_PENDING while an earlier registration of the "
            "ID waits for its code: it belongs to whoever started it until that code expires. On success a "
            f"6-digit code is sent by SMS to that mobile, valid {_MINUTES} minutes, with a challenge to send back "
            "with it. A malformed ID is the GraphQL error INVALID_ID, a malformed mobile BAD_USER_INPUT. "
            f"{_RATE}"
        ),
    ),
    "verify_phone": (
        verify_phone,
        (
            "Send the registration code from the SMS (anyone holding it; no token needed). The account then "
            "waits for activation. Refusals: CODE_INVALID, CODE_EXPIRED, and TOO_MANY_ATTEMPTS once "
            f"{MAX_ATTEMPTS} codes were tried (register again once it expired). {_CHALLENGE} {_LOCK} {_RATE}"
        ),
    ),
    "activate_account": (
        activate_account,
        (
            "Activate a verified account, or unlock a locked one, whose owner is present (a self-service kiosk "
            "or an activation desk) with their ID card: `input.id` must be the account's owner. Only an officer, "
            "of any sector, whose token names them may call it; anyone else gets the GraphQL error FORBIDDEN. "
            "Never another person's account than the ID presented, nor the officer's own, nor a relative's: "
            "those are refused as an unknown username is, ACCOUNT_NOT_FOUND. Refusals: ACCOUNT_NOT_FOUND, "
            "NOT_PENDING_ACTIVATION. A malformed ID is the GraphQL error INVALID_ID. Every attempt is audited "
            "with the officer's sector."
        ),
    ),
    "sign_in": (
        sign_in,
        (
            "Start signing in (anyone; no token needed): checks the username and password and sends a "
            f"6-digit code by SMS, valid {_MINUTES} minutes, and returns its challenge. Refusals: "
            "INVALID_CREDENTIALS (unknown username or wrong password, alike), ACCOUNT_NOT_ACTIVE, ACCOUNT_LOCKED "
            f"(whatever the password), MOBILE_UNAVAILABLE. {_LOCK} {_RATE}"
        ),
    ),
    "confirm_sign_in": (
        confirm_sign_in,
        (
            "Finish signing in with the code from the SMS and its challenge (no token needed): opens a session "
            "and returns an access token acting for the account's owner and a refresh token. The session ends "
            "at sessionExpiresAt whatever happens, or earlier when no refresh comes before refreshExpiresAt. "
            f"Refusals: CODE_INVALID, CODE_EXPIRED, TOO_MANY_ATTEMPTS (after {MAX_ATTEMPTS} tries; sign in "
            f"again), ACCOUNT_LOCKED. {_LOCK} {_RATE}"
        ),
    ),
    "refresh_session": (
        refresh_session,
        (
            "Exchange a refresh token for new tokens in the same session (whoever holds the token; no access "
            "token needed). The old refresh token stops working; the session's end does not move. A refresh "
            "token used twice ends every session of the account, access tokens included. Refusals: "
            "SESSION_INVALID, SESSION_EXPIRED, ACCOUNT_NOT_ACTIVE, ACCOUNT_LOCKED."
        ),
    ),
    "sign_out": (
        sign_out,
        (
            "End the session of a refresh token (whoever holds it; no access token needed): its refresh "
            "tokens and its access tokens stop working."
        ),
    ),
    "sign_out_everywhere": (
        sign_out_everywhere,
        (
            "End every session of your account, this one included (signed in with an account; anyone else "
            "gets the GraphQL error FORBIDDEN): every refresh and access token of them stops working."
        ),
    ),
    "change_password": (
        change_password,
        (
            "Change your password (signed in with an account; anyone else gets the GraphQL error FORBIDDEN). "
            "Every other session of the account ends. Refusals: INVALID_CREDENTIALS (the current password is "
            "wrong), PASSWORD_POLICY, PASSWORD_UNCHANGED, ACCOUNT_LOCKED. "
            f"{_LOCK} {_RATE}"
        ),
    ),
    "send_recovery_code": (
        send_recovery_code,
        (
            "Start recovering your account (anyone; no token needed): when the ID has an account and the mobile "
            f"is the one the identity registry holds for it, a 6-digit code valid {_MINUTES} minutes is sent "
            "to it. The answer, with a challenge, is the same whether or not a code was sent. A malformed ID is "
            f"the GraphQL error INVALID_ID, a malformed mobile BAD_USER_INPUT. {_RATE}"
        ),
    ),
    "recover_account": (
        recover_account,
        (
            "Set a new password with the recovery code and its challenge (anyone holding them; no token "
            "needed). The account is unlocked and every session of it ends; a registration started by "
            "someone else with your ID becomes yours, waiting for activation. Refusals: PASSWORD_POLICY, "
            "CODE_INVALID, CODE_EXPIRED, TOO_MANY_ATTEMPTS, and RECOVERY_LOCKED after "
            f"{LOCK_AFTER + RECOVERY_ALLOWANCE} consecutive failures (only an officer unlocks it then). {_RATE}"
        ),
    ),
}


def mutation_fields() -> dict[str, StrawberryField]:
    return {
        name: strawberry.mutation(resolver, description=description)
        for name, (resolver, description) in _MUTATIONS.items()
    }
