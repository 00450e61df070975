"""The interaction pages' blueprint; its name keeps the templates' url_for targets."""

from __future__ import annotations

from flask import Blueprint

from authserver.web.tenancy import TENANT_PREFIX

bp = Blueprint("authorize", __name__, url_prefix=TENANT_PREFIX)
