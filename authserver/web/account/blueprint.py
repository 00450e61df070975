"""The account pages' blueprint: ``{issuer}/account`` and what its sections post to."""

from __future__ import annotations

from flask import Blueprint

from authserver.web.tenancy import TENANT_PREFIX

bp = Blueprint("account", __name__, url_prefix=f"{TENANT_PREFIX}/account")
