"""Passports' rules: each blocker's texts, in English and Arabic, with what clears it. `services.py`
decides when each one blocks a service."""

from __future__ import annotations

from hub.contract import Rules

RULES = Rules(
    "passports",
    {
        "NOT_A_RESIDENT": (
            "This person holds no iqama.",
            "لا توجد إقامة لهذا الشخص.",
            "Only residents hold iqamas; a visitor's status is on their visa.",
            "الإقامة للمقيمين فقط؛ وضع الزائر في تأشيرته.",
        ),
        "IQAMA_NOT_VALID": (
            "The iqama is not valid; renew it first.",
            "الإقامة غير سارية، يجب تجديدها أولاً.",
            "Renew the iqama (renewIqama).",
            "جدد الإقامة.",
        ),
        "IQAMA_CANCELLED": (
            "The iqama is cancelled.",
            "الإقامة ملغاة.",
            "A cancelled iqama cannot be renewed; a new sponsor applies for a new one.",
            "لا تجدد الإقامة الملغاة؛ يتقدم كفيل جديد بطلب إقامة جديدة.",
        ),
        "PASSPORT_NOT_VALID": (
            "This person has no valid passport registered.",
            "لا يوجد جواز سفر ساري مسجل لهذا الشخص.",
            "Register a valid passport with Jawazat (renew it at the embassy first).",
            "سجل جواز سفر ساري لدى الجوازات (جدده لدى السفارة أولاً).",
        ),
        "ABSCONDING_REPORT_OPEN": (
            "An absconding report is open for this person.",
            "يوجد بلاغ تغيب مفتوح عن هذا الشخص.",
            "The sponsor cancels the report, or the person settles it with Jawazat.",
            "يلغي الكفيل البلاغ، أو يراجع الشخص الجوازات لتسويته.",
        ),
        "VISA_ALREADY_ISSUED": (
            "An exit/re-entry visa is already issued and unused.",
            "توجد تأشيرة خروج وعودة صادرة لم تستخدم.",
            "Use or cancel the issued visa first.",
            "استخدم التأشيرة الصادرة أو ألغها أولاً.",
        ),
        "FINAL_EXIT_ALREADY_ISSUED": (
            "A final exit visa is already issued.",
            "توجد تأشيرة خروج نهائي صادرة.",
            "Use or cancel the issued final exit visa.",
            "استخدم تأشيرة الخروج النهائي الصادرة أو ألغها.",
        ),
        "MEDICAL_INSURANCE_NOT_VALID": (
            "This person has no medical insurance in force.",
            "لا يوجد تأمين طبي ساري لهذا الشخص.",
            "The sponsor insures the resident with an approved insurer first.",
            "يؤمن الكفيل على المقيم لدى شركة تأمين معتمدة أولاً.",
        ),
        "NO_VISA_TO_EXTEND": (
            "There is no exit/re-entry visa to extend (none issued, or it ended more than 60 days ago).",
            "لا توجد تأشيرة خروج وعودة يمكن تمديدها (لم تصدر، أو انتهت منذ أكثر من 60 يوماً).",
            "Issue a new exit/re-entry visa (issueExitReentryVisa).",
            "أصدر تأشيرة خروج وعودة جديدة.",
        ),
        "NO_VISA_TO_CANCEL": (
            "There is no unused exit/re-entry visa to cancel.",
            "لا توجد تأشيرة خروج وعودة غير مستخدمة لإلغائها.",
            "Nothing to do: only an issued, unused visa can be cancelled.",
            "لا إجراء مطلوب: لا تلغى إلا التأشيرة الصادرة غير المستخدمة.",
        ),
        "NO_FINAL_EXIT_TO_CANCEL": (
            "There is no unused final exit visa to cancel.",
            "لا توجد تأشيرة خروج نهائي غير مستخدمة لإلغائها.",
            "Nothing to do: only an issued, unused final exit visa can be cancelled.",
            "لا إجراء مطلوب: لا تلغى إلا تأشيرة الخروج النهائي الصادرة غير المستخدمة.",
        ),
        "NOT_WORK_SPONSORSHIP": (
            "This resident is sponsored as family, not as a worker.",
            "هذا المقيم مكفول كتابع، لا كعامل.",
            "Absconding reports and transfers of services are for workers only.",
            "بلاغات التغيب ونقل الخدمات للعمالة فقط.",
        ),
        "ABSCONDING_ALREADY_REPORTED": (
            "This sponsor has already reported this worker absent once.",
            "سبق لهذا الكفيل الإبلاغ عن تغيب هذا العامل.",
            "A worker can be reported absent only once by the same sponsor; contact Jawazat.",
            "لا يبلغ الكفيل عن تغيب العامل نفسه إلا مرة واحدة؛ راجع الجوازات.",
        ),
        "TRANSFER_PENDING": (
            "A transfer of this worker's sponsorship is under way.",
            "يوجد طلب نقل خدمات قائم لهذا العامل.",
            "Wait for the transfer to be completed.",
            "انتظر اكتمال نقل الخدمات.",
        ),
        "NO_OPEN_REPORT": (
            "There is no open absconding report for this person.",
            "لا يوجد بلاغ تغيب مفتوح عن هذا الشخص.",
            "Nothing to cancel.",
            "لا يوجد ما يلغى.",
        ),
        "REPORT_CANCEL_WINDOW_CLOSED": (
            "An absconding report can be cancelled online only within 15 days of filing.",
            "لا يمكن إلغاء بلاغ التغيب إلكترونياً إلا خلال 15 يوماً من تقديمه.",
            "The sponsor cancels it in person at Jawazat.",
            "يراجع الكفيل الجوازات شخصياً لإلغائه.",
        ),
        "NOT_A_CITIZEN": (
            "Jawazat renews Saudi passports only.",
            "تجدد الجوازات جوازات السفر السعودية فقط.",
            "A resident renews their passport at their country's embassy, then registers it with Jawazat.",
            "يجدد المقيم جوازه لدى سفارة بلده ثم يسجله لدى الجوازات.",
        ),
        "NO_PASSPORT_TO_RENEW": (
            "This citizen holds no Saudi passport to renew.",
            "لا يوجد جواز سفر سعودي لهذا المواطن لتجديده.",
            "Apply for a first passport at Jawazat.",
            "تقدم بطلب إصدار جواز سفر لأول مرة لدى الجوازات.",
        ),
    },
)
