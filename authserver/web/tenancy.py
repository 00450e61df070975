"""Routing into a tenant: every tenant endpoint lives under ``/t/<tenant>/``, its issuer."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, g

from authserver.web.context import runtime

TENANT_PREFIX = "/t/<tenant>"


def _resolve_tenant(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    if not values or "tenant" not in values:
        return
    info = runtime().tenants.find(values.pop("tenant"))
    if info is None:
        abort(404)
    g.tenant = info


def register(app: Flask) -> None:
    app.url_value_preprocessor(_resolve_tenant)
