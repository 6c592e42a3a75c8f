"""Changing the password of a signed-in account: the current one, then the new one (the same rules
as at registration, and not the current one again). Every other session of the account ends."""

from __future__ import annotations

from sqlalchemy import select, update

from hub.accounts.context import Info, note, refused, services_of, signed_in
from hub.accounts.lockout import count_failure, count_success
from hub.accounts.models import ACCOUNTS, AccountStatus
from hub.accounts.passwords import describe_password, password_problems
from hub.accounts.refusals import failed_password, policy_refusal, refusal
from hub.accounts.sessions import end_sessions
from hub.accounts.sign_in import limit_password_attempts
from hub.accounts.types import ChangePasswordArgument, ChangePasswordResult, PasswordChanged
from hub.contract import ActingAs, Code, RabtError


async def change_password(info: Info, input: ChangePasswordArgument) -> ChangePasswordResult:
    principal = signed_in(info)
    person_id = str(principal.person_id)
    services = services_of(info)
    found = await services.db.fetch(
        select(ACCOUNTS.c.id, ACCOUNTS.c.username_key, ACCOUNTS.c.password_hash, ACCOUNTS.c.status).where(
            ACCOUNTS.c.person_id == person_id
        )
    )
    if not found:
        raise RabtError(Code.FORBIDDEN, "This session's account no longer exists.")
    account = found[0]
    backstop = await limit_password_attempts(info, account.username_key)
    if account.status == AccountStatus.LOCKED.value:
        return refused(info, person_id, ActingAs.SELF, refusal("ACCOUNT_LOCKED"))
    if broken := password_problems(input.new_password, person_id):
        return refused(info, person_id, ActingAs.SELF, policy_refusal("PASSWORD_POLICY", describe_password(broken)))
    now = services.clock()
    if not await services.passwords.verify(account.password_hash, input.current_password):
        await backstop.failed()
        async with services.db.transaction() as session:
            locked = await count_failure(session, account.id, now)
        return refused(info, person_id, ActingAs.SELF, failed_password(locked))
    if await services.passwords.verify(account.password_hash, input.new_password):
        return refused(info, person_id, ActingAs.SELF, refusal("PASSWORD_UNCHANGED"))
    password_hash = await services.passwords.hash(input.new_password)
    async with services.db.transaction() as session:
        changed = await session.execute(
            update(ACCOUNTS)
            .where(ACCOUNTS.c.id == account.id, ACCOUNTS.c.password_hash == account.password_hash)
            .values(password_hash=password_hash)
        )
        if not changed.rowcount:  # type: ignore[attr-defined]
            # Changed by a parallel request since we checked: this request's current password is stale.
            return refused(info, person_id, ActingAs.SELF, refusal("INVALID_CREDENTIALS"))
        await count_success(session, account.id)
        ended = await end_sessions(session, account.id, now, keep=principal.session)
    services.forget(ended)
    note(info, person_id, ActingAs.SELF, "ok")
    return PasswordChanged(
        other_sessions_ended=len(ended),
        message="Your password was changed; every other session was ended.",
        message_ar="تم تغيير كلمة المرور وإنهاء جميع الجلسات الأخرى.",
    )
