"""How the pages word a throttle's wait, and the Retry-After header that goes with it
(the same sentence on every page, whatever was typed and whoever it names)."""

from __future__ import annotations

from flask import Response
from flask_babel import ngettext

from authserver.services.sign_in_errors import TOO_MANY_ATTEMPTS
from authserver.web.problems import Coded, coded


def minutes(seconds: int) -> str:
    whole = -(-seconds // 60)
    return ngettext("%(num)d minute", "%(num)d minutes", whole)


def seconds_or_minutes(seconds: int) -> str:
    if seconds < 60:
        return ngettext("%(num)d second", "%(num)d seconds", seconds)
    return minutes(seconds)


def too_many_attempts(seconds: int) -> Coded:
    return coded(TOO_MANY_ATTEMPTS, wait=minutes(seconds))


def with_retry_after(response: Response, seconds: int | None) -> Response:
    response.headers["Retry-After"] = str(seconds or 1)
    return response
