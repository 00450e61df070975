"""Access to the runtime and the current tenant from request handlers."""

from __future__ import annotations

from flask import current_app, g, request

from authserver.runtime import Runtime
from authserver.services.tenants import TenantInfo
from authserver.web.client_address import source_address


def runtime() -> Runtime:
    rt: Runtime = current_app.extensions["authserver"]
    return rt


def tenant() -> TenantInfo:
    info: TenantInfo = g.tenant
    return info


def request_source() -> str:
    """The address this request comes from, as throttling counts it (TRUSTED_PROXIES)."""
    return source_address(request.environ, runtime().settings.trusted_proxies)
