"""``/admin/api/v1/tenants/<slug>/sessions`` (live sign-in sessions; end one) and
``/tenants/<slug>/users/<sub>/consents`` (what the user consented to; revoke one).
Ending goes through ``end_sessions`` with reason ``admin`` (audited, relying parties
told by back-channel logout); revoking a consent revokes the client's grants too."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from authserver.services import consent_admin, session_admin
from authserver.services.admin_access import ADMIN_READ, ADMIN_WRITE
from authserver.web.admin import core
from authserver.web.admin import user_schemas as s
from authserver.web.admin.users import shown

blp = core.admin_blueprint("sessions", "Sign-in sessions and remembered consents.")

CLIENT_ID = "<string:client_id>"


@blp.route("/tenants/<string:slug>/sessions")
class Sessions(MethodView):
    @core.requires(ADMIN_READ)
    @blp.arguments(s.SessionListArgs, location="query")
    @blp.response(200, s.SessionPage)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """Live sessions, oldest first; ``user`` (a sub) keeps one user's."""
        core.tenant_for(slug)
        start = core.after(args["cursor"])
        rows = session_admin.page_sessions(core.admin_context(), slug, args["user"],
                                           start if isinstance(start, int) else 0,
                                           args["limit"] + 1)
        return core.page(rows, args["limit"], key=lambda r: r.id, dump=lambda r: shown(r.view))


@blp.route("/tenants/<string:slug>/sessions/<string:sid>", methods=["DELETE"])
@core.requires(ADMIN_WRITE)
@blp.response(204)
def end_session(slug: str, sid: str) -> None:
    """End one open session (404 ``not_found`` when no open session has this sid)."""
    core.tenant_for(slug)
    session_admin.end_session(core.admin_context(), slug, sid)


@blp.route("/tenants/<string:slug>/users/<string:sub>/consents")
class Consents(MethodView):
    @core.requires(ADMIN_READ)
    @blp.arguments(core.PageArgs, location="query")
    @blp.response(200, s.ConsentPage)
    def get(self, args: dict[str, Any], slug: str, sub: str) -> dict[str, Any]:
        """The applications the user consented to, by client_id."""
        core.tenant_for(slug)
        start = core.after(args["cursor"])
        rows = sorted(consent_admin.list_consents(core.admin_context(), slug, None, sub),
                      key=lambda c: str(c["client_id"]))
        if isinstance(start, str):
            rows = [c for c in rows if str(c["client_id"]) > start]
        return core.page(rows[:args["limit"] + 1], args["limit"],
                         key=lambda c: str(c["client_id"]))


@blp.route(f"/tenants/<string:slug>/users/<string:sub>/consents/{CLIENT_ID}",
           methods=["DELETE"])
@core.requires(ADMIN_WRITE)
@blp.response(200, s.RevokedConsentSchema)
def revoke_consent(slug: str, sub: str, client_id: str) -> dict[str, Any]:
    """Forget the consent and revoke the client's grants for the user (nothing to
    revoke is no error; unknown user or client is 404)."""
    core.tenant_for(slug)
    revoked = consent_admin.revoke_consent(core.admin_context(), slug, None, client_id,
                                           sub=sub)
    return {"consent": revoked.consent, "grants": revoked.grants}
