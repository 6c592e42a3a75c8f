"""The GraphQL inputs, payloads and result unions of the accounts mutations."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from hub.accounts.models import AccountStatus
from hub.contract import Language, Refusal, described_enum

described_enum(  # exposes the stored statuses as the GraphQL enum AccountStatus
    "Where an account stands.",
    {
        "PENDING_PHONE": "Registered; the mobile is not yet verified with the code sent by SMS.",
        "PENDING_ACTIVATION": "The mobile is verified; the account waits for activation at a kiosk or by an officer.",
        "ACTIVE": "Activated: its owner may sign in.",
        "LOCKED": (
            "Locked after too many consecutive failed passwords and codes: its owner may not sign in until they "
            "recover it (recoverAccount) or an officer unlocks it (activateAccount)."
        ),
    },
    name="AccountStatus",
)(AccountStatus)


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


RegisterArgument = Annotated[
    RegisterInput,
    strawberry.argument(
        description=(
            "Who opens the account (ID and mobile), the username and password chosen, and acceptance of the terms."
        )
    ),
]


@strawberry.type(description="The account was created; a registration code was sent by SMS to the registered mobile.")
class RegistrationStarted:
    account_id: strawberry.ID | None = strawberry.field(description="The new account's reference (opaque).")
    username: str = strawberry.field(description="The username, as it will be used to sign in.")
    sent_to: str = strawberry.field(description="The mobile number the code went to, mostly hidden.")
    code_expires_at: dt.datetime = strawberry.field(description="When the code stops working (UTC).")
    challenge: str = strawberry.field(
        description="Send it back with the code: only the one who asked for the code may use it."
    )
    message: str = strawberry.field(description="What to do next, in English.")
    message_ar: str = strawberry.field(description="What to do next, in Arabic.")


@strawberry.input(description="Prove you hold the registered mobile: the code sent when you registered.")
class VerifyPhoneInput:
    username: str = strawberry.field(description="The username you registered.")
    code: str = strawberry.field(description="The 6-digit code from the SMS.")
    challenge: str = strawberry.field(description="The challenge returned when the code was sent.")


VerifyPhoneArgument = Annotated[
    VerifyPhoneInput,
    strawberry.argument(description="The username registered, with the code from the SMS and its challenge."),
]


@strawberry.type(description="The mobile is verified; the account waits for activation at a kiosk or by an officer.")
class PhoneVerified:
    username: str = strawberry.field(description="The account's username.")
    status: AccountStatus = strawberry.field(description="PENDING_ACTIVATION.")
    message: str = strawberry.field(description="What to do next, in English.")
    message_ar: str = strawberry.field(description="What to do next, in Arabic.")


@strawberry.input(description="Activate an account whose owner stands before you (kiosk or activation desk).")
class ActivateAccountInput:
    username: str = strawberry.field(description="The account's username.")
    id: strawberry.ID = strawberry.field(
        description=(
            "The ID on the card the person before you presents (national ID, iqama or border number): "
            "the account must be theirs."
        )
    )


ActivateAccountArgument = Annotated[
    ActivateAccountInput,
    strawberry.argument(description="The username of the account, and the ID card of the person before you."),
]


@strawberry.type(
    description=(
        "The account is active: its owner may sign in. A locked account is unlocked the same way; one locked "
        "before it was ever activated starts its registration again (status PENDING_PHONE)."
    )
)
class AccountActivated:
    username: str = strawberry.field(description="The account's username.")
    person_id: strawberry.ID = strawberry.field(description="The owner's ID: the ID card presented.")
    activated_at: dt.datetime = strawberry.field(description="When it was activated or unlocked (UTC).")
    status: AccountStatus = strawberry.field(description="ACTIVE, or PENDING_PHONE for a registration started again.")


@strawberry.input(description="Start signing in with your username and password.")
class SignInInput:
    username: str = strawberry.field(description="Your username.")
    password: str = strawberry.field(description="Your password.")


SignInArgument = Annotated[SignInInput, strawberry.argument(description="The username and password.")]


@strawberry.type(description="The password is right; a sign-in code was sent by SMS. Send it with confirmSignIn.")
class SignInCodeSent:
    sent_to: str = strawberry.field(description="The mobile number the code went to, mostly hidden.")
    code_expires_at: dt.datetime = strawberry.field(description="When the code stops working (UTC).")
    challenge: str = strawberry.field(
        description="Send it back with the code: only the one who asked for the code may use it."
    )
    message: str = strawberry.field(description="What to do next, in English.")
    message_ar: str = strawberry.field(description="What to do next, in Arabic.")


@strawberry.input(description="Finish signing in with the code sent by SMS.")
class ConfirmSignInInput:
    username: str = strawberry.field(description="Your username.")
    code: str = strawberry.field(description="The 6-digit code from the SMS.")
    challenge: str = strawberry.field(description="The challenge returned when the code was sent.")


ConfirmSignInArgument = Annotated[
    ConfirmSignInInput, strawberry.argument(description="The username, with the code from the SMS and its challenge.")
]


@strawberry.type(description="A signed-in session.")
class Session:
    access_token: str = strawberry.field(
        description="Send it as 'Authorization: Bearer <token>'. It acts for you only, and expires at expiresAt."
    )
    refresh_token: str = strawberry.field(
        description="Keep it secret; exchange it with refreshSession for a new session before it expires. Single use."
    )
    expires_at: dt.datetime = strawberry.field(description="When the access token expires (UTC).")
    refresh_expires_at: dt.datetime = strawberry.field(
        description="When the refresh token expires unless used (UTC): the session's idle limit, or its end."
    )
    session_expires_at: dt.datetime = strawberry.field(
        description="When the session ends whatever happens (UTC): refreshing never moves it. Then sign in again."
    )


@strawberry.type(description="The session was ended.")
class SignedOut:
    revoked: bool = strawberry.field(
        description=(
            "True when a live session ended; false when the refresh token was unknown, expired or already revoked."
        )
    )


@strawberry.type(description="Every session of the account was ended.")
class SignedOutEverywhere:
    sessions_ended: int = strawberry.field(description="How many live sessions ended, this one included.")


@strawberry.input(description="Change your password (signed in).")
class ChangePasswordInput:
    current_password: str = strawberry.field(description="Your current password.")
    new_password: str = strawberry.field(description="The new password: the same rules as at registration.")


ChangePasswordArgument = Annotated[
    ChangePasswordInput, strawberry.argument(description="Your current password and the new one.")
]


@strawberry.type(description="The password was changed; every other session of the account was ended.")
class PasswordChanged:
    other_sessions_ended: int = strawberry.field(description="How many other live sessions ended.")
    message: str = strawberry.field(description="What happened, in English.")
    message_ar: str = strawberry.field(description="What happened, in Arabic.")


@strawberry.input(description="Ask for a recovery code: your ID and the mobile the identity registry holds for it.")
class SendRecoveryCodeInput:
    id: strawberry.ID = strawberry.field(description="Your 10-digit national ID, iqama or border number.")
    mobile: str = strawberry.field(description="Your mobile number as the identity registry holds it.")


SendRecoveryCodeArgument = Annotated[
    SendRecoveryCodeInput, strawberry.argument(description="Your ID and the mobile the identity registry holds for it.")
]


@strawberry.type(
    description=(
        "If the ID has an account and the mobile is the one the identity registry holds for it, a 6-digit code "
        "was sent to it by SMS. The answer is the same either way."
    )
)
class RecoveryCodeSent:
    sent_to: str = strawberry.field(description="The mobile number given, mostly hidden.")
    code_expires_at: dt.datetime = strawberry.field(description="When a code sent now stops working (UTC).")
    challenge: str = strawberry.field(
        description="Send it back with the code: only the one who asked for the code may use it."
    )
    message: str = strawberry.field(description="What to do next, in English.")
    message_ar: str = strawberry.field(description="What to do next, in Arabic.")


@strawberry.input(description="Set a new password with the recovery code sent by SMS.")
class RecoverAccountInput:
    id: strawberry.ID = strawberry.field(description="Your 10-digit national ID, iqama or border number.")
    code: str = strawberry.field(description="The 6-digit code from the SMS.")
    challenge: str = strawberry.field(description="The challenge returned when the code was sent.")
    new_password: str = strawberry.field(description="The new password: the same rules as at registration.")


RecoverAccountArgument = Annotated[
    RecoverAccountInput,
    strawberry.argument(
        description="Your ID, the recovery code from the SMS with its challenge, and the new password."
    ),
]


@strawberry.type(description="The account has a new password and is unlocked; every session of it was ended.")
class AccountRecovered:
    username: str = strawberry.field(description="The account's username, to sign in with.")
    status: AccountStatus = strawberry.field(
        description="ACTIVE, or PENDING_ACTIVATION for an account never activated (visit a kiosk or an officer)."
    )
    message: str = strawberry.field(description="What to do next, in English.")
    message_ar: str = strawberry.field(description="What to do next, in Arabic.")


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
ChangePasswordResult = Annotated[
    PasswordChanged | Refusal,
    strawberry.union("ChangePasswordResult", description="The password change, or why it was refused."),
]
RecoverAccountResult = Annotated[
    AccountRecovered | Refusal,
    strawberry.union("RecoverAccountResult", description="The recovered account, or why it was refused."),
]
