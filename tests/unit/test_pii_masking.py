"""What an administrator without users:read:pii sees of an email address and a phone
number (services/pii_masking.py): enough to tell accounts apart, not to reach them."""

from __future__ import annotations

import pytest

from authserver.services.pii_masking import mask_email, mask_phone, masked_view


@pytest.mark.parametrize(("email", "masked"), [
    ("alice@example.com", "a•••e@example.com"),
    ("al@example.com", "a•••@example.com"),
    ("a@example.com", "a•••@example.com"),
    ("first.last+tag@sub.example.org", "f•••g@sub.example.org"),
    ("no-at-sign", "•••"),
])
def test_an_email_keeps_its_first_and_last_letter_and_its_domain(email: str,
                                                                 masked: str) -> None:
    assert mask_email(email) == masked


@pytest.mark.parametrize(("phone", "masked"), [
    ("+447700900834", "+44•••••••34"),
    ("+15551234567", "+15•••••••67"),
    ("+1234", "+•••••••"),
    ("+8613800138000", "+86•••••••00"),
])
def test_a_phone_keeps_its_prefix_and_last_two_digits_and_hides_its_length(
        phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_a_view_is_masked_in_email_and_phone_only() -> None:
    view = {"sub": "s1", "email": "bob@example.com", "phone": None, "given_name": "Bob"}
    assert masked_view(view) == {"sub": "s1", "email": "b•••b@example.com", "phone": None,
                                 "given_name": "Bob"}
    assert view["email"] == "bob@example.com", "the original is not changed"
