"""Every code the invitation and new-link features define is in docs/errors.md with its
name and status, so support staff can look up what a person saw."""

from __future__ import annotations

from pathlib import Path

import pytest

from authserver.services import invitations, link_resend
from authserver.services.error_codes import ErrorCode

ERRORS_MD = (Path(__file__).resolve().parents[2] / "docs" / "errors.md").read_text()
CODES = [invitations.LINK_GONE, invitations.PASSWORD_REFUSED, invitations.PASSWORDS_DIFFER,
         invitations.NOT_ACCEPTED, link_resend.RESEND_WAIT]


@pytest.mark.parametrize("code", CODES, ids=lambda c: c.code)
def test_the_code_is_documented_with_its_name_and_status(code: ErrorCode) -> None:
    row = f"| {code.code} | `{code.name}` | {code.status} |"
    assert row in ERRORS_MD, f"docs/errors.md needs the row starting {row!r}"


def test_the_codes_are_in_the_invitation_range() -> None:
    assert all(2101 <= int(c.code.removeprefix("AUTH-")) <= 2199 for c in CODES)
