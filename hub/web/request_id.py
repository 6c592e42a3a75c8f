"""The id that names one request in its answer, the logs and the audit trail."""

from __future__ import annotations

import os
import re

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def request_id_of(given: str | None) -> str:
    """The caller's request id when it is a plain token (it ends up in logs and the audit), else a new one."""
    # 128 random bits as uuid4 has, without building a UUID object (a visible share of a compiled request)
    return given if given is not None and _REQUEST_ID.fullmatch(given) else os.urandom(16).hex()
