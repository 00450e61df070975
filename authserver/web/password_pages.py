"""What the password pages (reset, forced change, account change) share."""

from __future__ import annotations

from flask_babel import gettext

from authserver.services.error_codes import ErrorCode

MAX_PASSWORD = 1024  # far above any policy's max_length; longer is refused unread


def problem_lines(codes: list[ErrorCode]) -> list[tuple[str, str]]:
    """(translated message, code) for templates/password_problems.html."""
    return [(gettext(code.message), code.code) for code in codes]
