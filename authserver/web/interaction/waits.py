"""How the pages word a throttle's wait, and the Retry-After header that goes with it
(the same sentence on every page, whatever was typed and whoever it names)."""

from __future__ import annotations

from flask import Response


def minutes(seconds: int) -> str:
    whole = -(-seconds // 60)
    return "1 minute" if whole == 1 else f"{whole} minutes"


def seconds_or_minutes(seconds: int) -> str:
    if seconds < 60:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    return minutes(seconds)


def too_many_attempts(seconds: int) -> str:
    return f"Too many attempts. Try again in {minutes(seconds)}."


def with_retry_after(response: Response, seconds: int | None) -> Response:
    response.headers["Retry-After"] = str(seconds or 1)
    return response
