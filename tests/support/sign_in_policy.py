"""Switching a test tenant's sign-in policy the way an operator does (the service behind
``authserver tenant update --mfa …``), visible to the running app at once."""

from __future__ import annotations

from authserver.runtime import Runtime, admin_context
from authserver.services import tenant_admin
from authserver.services.sign_in_policy import SignInPolicyChange


def set_sign_in_policy(runtime: Runtime, slug: str = "acme", *, mfa: str | None = None,
                       methods: str | None = None, magic_links: bool | None = None,
                       phone_sign_in: bool | None = None) -> None:
    tenant_admin.update_tenant(admin_context(runtime, "test"), slug, None, None, None,
                               SignInPolicyChange(mfa, methods, magic_links, phone_sign_in))
