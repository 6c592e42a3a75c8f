"""Why an accounts mutation did not happen: stable codes with a message in English and Arabic."""

from __future__ import annotations

from collections.abc import Mapping

from hub.contract import Refusal, refusals

_REFUSALS: Mapping[str, tuple[str, str]] = {
    "TERMS_NOT_ACCEPTED": (
        "Accept the Terms of Use and the Privacy Policy to register.",
        "يجب الموافقة على شروط الاستخدام وسياسة الخصوصية للتسجيل.",
    ),
    "REGISTRATION_MISMATCH": (
        "The ID and mobile number do not match the identity registry.",
        "رقم الهوية ورقم الجوال غير متطابقين مع سجل الهوية.",
    ),
    "ALREADY_REGISTERED": (
        "This ID already has an account; sign in, or set a new password with recoverAccount.",
        "يوجد حساب مسجل لهذه الهوية؛ سجّل الدخول أو عيّن كلمة مرور جديدة عبر استعادة الحساب.",
    ),
    "REGISTRATION_PENDING": (
        "A registration for this ID is waiting for its SMS code; try again once that code has expired.",
        "يوجد تسجيل لهذه الهوية بانتظار رمز التحقق المرسل؛ أعد المحاولة بعد انتهاء صلاحية ذلك الرمز.",
    ),
    "USERNAME_TAKEN": ("This username is taken; choose another.", "اسم المستخدم محجوز؛ اختر اسماً آخر."),
    "CODE_INVALID": ("The code is not correct.", "الرمز غير صحيح."),
    "CODE_EXPIRED": ("The code has expired; ask for a new one.", "انتهت صلاحية الرمز؛ اطلب رمزاً جديداً."),
    "TOO_MANY_ATTEMPTS": (
        "Too many wrong codes; this code no longer works. Ask for a new one.",
        "تجاوزت عدد المحاولات المسموح؛ لم يعد هذا الرمز صالحاً. اطلب رمزاً جديداً.",
    ),
    "ACCOUNT_NOT_FOUND": (
        "No account that you may activate has this username and this ID.",
        "لا يوجد حساب بهذا الاسم وهذه الهوية يمكنك تفعيله.",
    ),
    "NOT_PENDING_ACTIVATION": ("This account is not waiting for activation.", "هذا الحساب ليس بانتظار التفعيل."),
    "INVALID_CREDENTIALS": ("The username or password is not correct.", "اسم المستخدم أو كلمة المرور غير صحيحة."),
    "ACCOUNT_NOT_ACTIVE": (
        "This account is not active yet: verify your mobile, then activate it at a kiosk or with an officer.",
        "الحساب غير مفعّل بعد: تحقق من رقم جوالك ثم فعّل الحساب عبر أجهزة الخدمة الذاتية أو لدى الموظف المختص.",
    ),
    "ACCOUNT_LOCKED": (
        "This account is locked after too many failed attempts; unlock it with recoverAccount, "
        "or visit an activation officer.",
        "هذا الحساب موقوف بعد محاولات خاطئة كثيرة؛ افتحه عبر استعادة الحساب أو راجع الموظف المختص.",
    ),
    "RECOVERY_LOCKED": (
        "Too many failed attempts: this account can only be unlocked by an activation officer, with your ID card.",
        "تجاوزت عدد المحاولات المسموح؛ لا يمكن فتح هذا الحساب إلا لدى الموظف المختص بحضورك وبطاقة هويتك.",
    ),
    "PASSWORD_UNCHANGED": (
        "The new password must differ from the current one.",
        "يجب أن تختلف كلمة المرور الجديدة عن الحالية.",
    ),
    "MOBILE_UNAVAILABLE": (
        "The identity registry holds no mobile number for you; update it with an officer.",
        "لا يوجد رقم جوال مسجل لك في سجل الهوية؛ حدّثه لدى الموظف المختص.",
    ),
    "SESSION_INVALID": ("This session is not valid; sign in again.", "هذه الجلسة غير صالحة؛ سجّل الدخول مجدداً."),
    "SESSION_EXPIRED": ("This session has expired; sign in again.", "انتهت الجلسة؛ سجّل الدخول مجدداً."),
}

CODES = frozenset(_REFUSALS) | {"USERNAME_POLICY", "PASSWORD_POLICY"}


refusal = refusals(_REFUSALS)
"""The refusal with this code, in both languages."""


def policy_refusal(code: str, messages: tuple[str, str]) -> Refusal:
    """USERNAME_POLICY or PASSWORD_POLICY, saying every rule that is broken."""
    return Refusal(code=code, message=messages[0], message_ar=messages[1])


def failed_password(locked: bool) -> Refusal:
    """INVALID_CREDENTIALS, or ACCOUNT_LOCKED when that failure was the one that locked the account."""
    return refusal("ACCOUNT_LOCKED" if locked else "INVALID_CREDENTIALS")
