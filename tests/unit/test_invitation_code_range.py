"""The invitation and new-link codes stay in their range (2101-2199). That every code is
documented in docs/errors.md with its name and status is checked for all codes at once
by tests/flows/test_error_codes_on_pages.py."""

from __future__ import annotations

from authserver.services import invitations, link_resend

CODES = [invitations.LINK_GONE, invitations.PASSWORD_REFUSED, invitations.PASSWORDS_DIFFER,
         invitations.NOT_ACCEPTED, link_resend.RESEND_WAIT]


def test_the_codes_are_in_the_invitation_range() -> None:
    assert all(2101 <= int(c.code.removeprefix("AUTH-")) <= 2199 for c in CODES)
