"""Access to the runtime and the current tenant from request handlers."""

from __future__ import annotations

from flask import current_app, g

from authserver.runtime import Runtime
from authserver.services.tenants import TenantInfo


def runtime() -> Runtime:
    rt: Runtime = current_app.extensions["authserver"]
    return rt


def tenant() -> TenantInfo:
    info: TenantInfo = g.tenant
    return info
