"""The GraphQL inputs, payloads and result unions of the accounts mutations."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from hub.accounts.models import AccountStatus
from hub.contract import Language, Refusal

strawberry.enum(  # exposes the stored statuses as the GraphQL enum AccountStatus
    AccountStatus,
    name="AccountStatus",
    description=(
        "Where an account stands: PENDING_PHONE (registered, mobile not yet verified), PENDING_ACTIVATION "
        "(verified, waiting for a kiosk or an officer), ACTIVE (may sign in), LOCKED (may not sign in)."
    ),
)


@strawberry.input(description="Open an account for yourself.")
class RegisterInput:
    id: strawberry.ID = strawberry.field(
        description="Your 10-digit national ID, iqama or border number (Eastern Arabic digits accepted)."
    )
    mobile: str = strawberry.field(
        description="Your mobile number as the identity registry holds it: +9665XXXXXXXX (05XXXXXXXX accepted)."
    )
    username: str = strawberry.field(
        description=(
            "8 to 32 Latin letters and digits, starting with a letter, with at least one lowercase letter and "
            "one digit. It cannot be changed later; case does not make it different from another."
        )
    )
    password: str = strawberry.field(
        description=(
            "At least 8 characters with an uppercase letter, a lowercase letter and a digit; no more than 5 "
            "consecutive digits of your ID; no single character making up more than half of it."
        )
    )
    accept_terms: bool = strawberry.field(description="You accept the Terms of Use and the Privacy Policy.")
    language: Language = strawberry.field(default=Language.AR, description="The language of your SMS messages.")


@strawberry.type(description="The account was created; a registration code was sent by SMS to the registered mobile.")
class RegistrationStarted:
    account_id: strawberry.ID | None = strawberry.field(description="The new account's reference.")
    username: str = strawberry.field(description="The username, as it will be used to sign in.")
    sent_to: str = strawberry.field(description="The mobile number the code went to, mostly hidden.")
    code_expires_at: dt.datetime = strawberry.field(description="When the code stops working (UTC).")
    message: str = strawberry.field(description="What to do next, in English.")
    message_ar: str = strawberry.field(description="What to do next, in Arabic.")


@strawberry.input(description="Prove you hold the registered mobile: the code sent when you registered.")
class VerifyPhoneInput:
    username: str = strawberry.field(description="The username you registered.")
    code: str = strawberry.field(description="The 6-digit code from the SMS.")


@strawberry.type(description="The mobile is verified; the account waits for activation at a kiosk or by an officer.")
class PhoneVerified:
    username: str = strawberry.field(description="The account's username.")
    status: AccountStatus = strawberry.field(description="PENDING_ACTIVATION.")
    message: str = strawberry.field(description="What to do next, in English.")
    message_ar: str = strawberry.field(description="What to do next, in Arabic.")


@strawberry.input(description="Activate an account whose owner stands before you (kiosk or activation desk).")
class ActivateAccountInput:
    username: str = strawberry.field(description="The account's username.")


@strawberry.type(description="The account is active: its owner may sign in.")
class AccountActivated:
    username: str = strawberry.field(description="The account's username.")
    person_id: strawberry.ID = strawberry.field(description="The owner's ID: check it against the ID card presented.")
    activated_at: dt.datetime = strawberry.field(description="When it was activated (UTC).")


@strawberry.input(description="Start signing in with your username and password.")
class SignInInput:
    username: str = strawberry.field(description="Your username.")
    password: str = strawberry.field(description="Your password.")


@strawberry.type(description="The password is right; a sign-in code was sent by SMS. Send it with confirmSignIn.")
class SignInCodeSent:
    sent_to: str = strawberry.field(description="The mobile number the code went to, mostly hidden.")
    code_expires_at: dt.datetime = strawberry.field(description="When the code stops working (UTC).")
    message: str = strawberry.field(description="What to do next, in English.")
    message_ar: str = strawberry.field(description="What to do next, in Arabic.")


@strawberry.input(description="Finish signing in with the code sent by SMS.")
class ConfirmSignInInput:
    username: str = strawberry.field(description="Your username.")
    code: str = strawberry.field(description="The 6-digit code from the SMS.")


@strawberry.type(description="A signed-in session.")
class Session:
    access_token: str = strawberry.field(
        description="Send it as 'Authorization: Bearer <token>'. It acts for you only, and expires at expiresAt."
    )
    refresh_token: str = strawberry.field(
        description="Keep it secret; exchange it with refreshSession for a new session before it expires. Single use."
    )
    expires_at: dt.datetime = strawberry.field(description="When the access token expires (UTC).")
    refresh_expires_at: dt.datetime = strawberry.field(description="When the refresh token expires (UTC).")


@strawberry.type(description="The session was ended.")
class SignedOut:
    revoked: bool = strawberry.field(
        description=(
            "True when a live session ended; false when the refresh token was unknown, expired or already revoked."
        )
    )


RegisterResult = Annotated[
    RegistrationStarted | Refusal,
    strawberry.union("RegisterResult", description="The started registration, or why it was refused."),
]
VerifyPhoneResult = Annotated[
    PhoneVerified | Refusal, strawberry.union("VerifyPhoneResult", description="The verification, or why it failed.")
]
ActivateAccountResult = Annotated[
    AccountActivated | Refusal,
    strawberry.union("ActivateAccountResult", description="The activation, or why it was refused."),
]
SignInResult = Annotated[
    SignInCodeSent | Refusal, strawberry.union("SignInResult", description="The code was sent, or why not.")
]
SessionResult = Annotated[
    Session | Refusal, strawberry.union("SessionResult", description="A session, or why none was opened.")
]
