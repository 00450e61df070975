"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from authserver.runtime import Runtime
from authserver.services.tenants import DEFAULT_TENANT
from authserver.storage.migrate import current_revision, head_revision
from authserver.web.context import runtime

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The process is up and serving requests; says nothing about its dependencies."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Ready for traffic: database reachable and migrated, the default tenant's keys load."""
    rt = runtime()
    checks: dict[str, str] = {}
    try:
        rt.database.ping()
        checks["database"] = "ok"
        revision = current_revision(rt.database)
        checks["schema"] = "ok" if revision == head_revision() else (
            f"at {revision or 'nothing'}, expected {head_revision()}: run authserver db upgrade")
    except Exception as exc:  # any failure means "not ready", never a 500
        log.warning("readiness: database check failed: %s", type(exc).__name__)
        checks["database"] = "unreachable"
    if checks.get("schema") == "ok":
        checks["keys"] = _keys_check(rt)
    ready = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503


def _keys_check(rt: Runtime) -> str:
    info = rt.tenants.find(DEFAULT_TENANT)
    if info is None:
        return "no default tenant: run authserver db upgrade"
    try:
        snapshot = rt.keyring.snapshot(info.id)
    except Exception as exc:  # a wrong master key shows up here
        log.error("readiness: cannot load signing keys: %s", exc)
        return "cannot decrypt signing keys (wrong master key?)"
    return "ok" if snapshot.signing_algs(rt.clock()) else "no active signing key"
