"""``/admin/api/v1/tenants/<slug>/users``: list, search, create, change, disable,
delete, set a password, reset factors, end sessions, invite (docs/admin-api.md, Users).

Email addresses and phone numbers are masked in every response (services/pii_masking.py)
unless the caller holds ``users:read:pii``; without it a search matches an email only
as a whole address, so a search cannot spell an address out letter by letter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from flask.views import MethodView

from authserver.services import invitation_admin, session_admin, user_admin, user_lifecycle
from authserver.services.accounts import CLEARABLE, NewUser, UserChanges
from authserver.services.admin_access import ADMIN_READ, ADMIN_WRITE, READ_PII
from authserver.services.invitation_admin import InvitationMail, Invited
from authserver.services.password_policy import PasswordRefused
from authserver.services.pii_masking import masked_view
from authserver.services.user_lifecycle import UserQuery, UserStatus
from authserver.web.admin import core
from authserver.web.admin import user_schemas as s
from authserver.web.context import runtime

blp = core.admin_blueprint("users", "Users: the people who sign in to a tenant.")

USERS = "/tenants/<string:slug>/users"
USER = USERS + "/<string:sub>"
T = TypeVar("T")


def shown(view: dict[str, Any]) -> dict[str, Any]:
    """``view`` as this caller may see it: email and phone masked without the PII right."""
    return view if core.caller().can(READ_PII) else masked_view(view)


def _user(slug: str, sub: str) -> dict[str, Any]:
    return shown(user_admin.show_user(core.admin_context(), slug, None, sub))


def password_refused(refused: PasswordRefused) -> NoReturn:
    """400 ``password_refused`` with every reason code of services/password_policy.py."""
    raise core.AdminError(400, "password_refused", "The tenant's password rules refuse "
                          "this password.", {"reasons": [
                              {"code": c.code, "name": c.name, "message": c.message}
                              for c in refused.codes]})


def _refusing_passwords(call: Callable[[], T]) -> T:
    try:
        return call()
    except PasswordRefused as refused:
        password_refused(refused)


def _invitation(invited: Invited) -> dict[str, Any]:
    return {"sent": invited.delivered, "expires_at": invited.expires_at.isoformat(),
            "problem": invited.problem}


def _mail(slug: str) -> InvitationMail:
    rt = runtime()
    return InvitationMail(rt.senders, rt.issuer(slug))


@blp.route(USERS)
class Users(MethodView):
    @core.requires(ADMIN_READ)
    @blp.arguments(s.UserListArgs, location="query")
    @blp.response(200, s.UserPage)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """The tenant's users, oldest first; ``q`` searches, ``status`` filters."""
        core.tenant_for(slug)
        start = core.after(args["cursor"])
        query = UserQuery(limit=args["limit"] + 1,
                          after_id=start if isinstance(start, int) else 0, q=args["q"],
                          email_exact=not core.caller().can(READ_PII),
                          status=UserStatus(args["status"]) if args["status"] else None)
        rows = user_lifecycle.find_users(core.admin_context(), slug, query)
        return core.page(rows, args["limit"], key=lambda r: r.id, dump=lambda r: shown(r.view))

    @core.requires(ADMIN_WRITE)
    @blp.arguments(s.NewUserSchema)
    @blp.response(201, s.CreatedUserSchema)
    @blp.alt_response(409, schema=core.ErrorSchema, description="Email, username or "
                      "phone number taken (``conflict``).")
    def post(self, new: dict[str, Any], slug: str) -> dict[str, Any]:
        """Create a user: with a first password, without one, or invited by mail."""
        core.tenant_for(slug)
        ctx = core.admin_context()
        invite = new.pop("invite")
        spec = NewUser(**{"password": None, **new})
        if invite:
            if spec.password is not None or spec.email_verified:
                raise core.AdminError(400, "invalid_input", "An invited person chooses the "
                                      "password and proves the address.", {"invite": [
                                          "leave out password and email_verified"]})
            invited = invitation_admin.create_invited(ctx, slug, spec, _mail(slug))
            return {**_user(slug, invited.sub), "invitation": _invitation(invited)}
        created = _refusing_passwords(lambda: user_admin.create_user(ctx, slug, spec))
        return {**_user(slug, created.sub), "invitation": None}


def _changes(body: dict[str, Any]) -> UserChanges:
    clear = frozenset(name for name, value in body.items()
                      if value is None and name in CLEARABLE)
    values = {k: v for k, v in body.items() if v is not None}
    changes = UserChanges(clear=clear, **values)
    if changes.is_empty:
        raise core.AdminError(400, "invalid_input", "Nothing to change.",
                              {"body": ["give at least one field"]})
    return changes


@blp.route(USER)
class User(MethodView):
    @core.requires(ADMIN_READ)
    @blp.etag
    @blp.response(200, s.UserSchema)
    def get(self, slug: str, sub: str) -> dict[str, Any]:
        """One user (the ETag is for ``If-Match`` on PATCH)."""
        core.tenant_for(slug)
        return _user(slug, sub)

    @core.requires(ADMIN_WRITE)
    @blp.etag
    @blp.arguments(s.UserChangeSchema)
    @blp.response(200, s.UserSchema)
    @blp.alt_response(409, schema=core.ErrorSchema, description="Email, username or "
                      "phone number taken (``conflict``).")
    def patch(self, body: dict[str, Any], slug: str, sub: str) -> dict[str, Any]:
        """Change the user's email, username, names, phone, verification flags or
        single-session setting; null removes an optional field. Needs ``If-Match``."""
        core.tenant_for(slug)
        blp.check_etag(_user(slug, sub), s.UserSchema)
        updated = user_admin.update_user(core.admin_context(), slug, None, sub, _changes(body))
        return shown(updated.view)

    @core.requires(ADMIN_WRITE)
    @blp.response(204)
    def delete(self, slug: str, sub: str) -> None:
        """Delete the user and everything of theirs (sessions ended, tokens, consents,
        factors); the audit trail keeps what they did."""
        core.tenant_for(slug)
        user_lifecycle.delete_user(core.admin_context(), slug, None, sub)


def _set_disabled(slug: str, sub: str, disabled: bool) -> dict[str, Any]:
    core.tenant_for(slug)
    user_admin.set_disabled(core.admin_context(), slug, None, disabled, sub)
    return _user(slug, sub)


@blp.route(USER + ":disable", methods=["POST"])
@core.requires(ADMIN_WRITE)
@blp.response(200, s.UserSchema)
def disable(slug: str, sub: str) -> dict[str, Any]:
    """Stop the user signing in; ends their sessions, grants and unused codes."""
    return _set_disabled(slug, sub, True)


@blp.route(USER + ":enable", methods=["POST"])
@core.requires(ADMIN_WRITE)
@blp.response(200, s.UserSchema)
def enable(slug: str, sub: str) -> dict[str, Any]:
    """Let a disabled user sign in again (nothing issued before revives)."""
    return _set_disabled(slug, sub, False)


@blp.route(USER + ":set-password", methods=["POST"])
@core.requires(ADMIN_WRITE)
@blp.arguments(s.PasswordSchema)
@blp.response(204)
@blp.alt_response(400, schema=core.ErrorSchema, description="``password_refused`` (the "
                  "reasons' codes in details.reasons) or ``invalid_input``.")
def set_password(body: dict[str, Any], slug: str, sub: str) -> None:
    """Set the user's password under the tenant's password rules."""
    core.tenant_for(slug)
    _refusing_passwords(lambda: user_admin.set_password(core.admin_context(), slug, None, sub,
                                                        body["password"]))


@blp.route(USER + ":reset-factors", methods=["POST"])
@core.requires(ADMIN_WRITE)
@blp.response(200, s.RemovedSchema)
def reset_factors(slug: str, sub: str) -> dict[str, Any]:
    """A lost device: remove the authenticator app, passkeys and recovery codes,
    unverify the phone, end the sessions and grants."""
    core.tenant_for(slug)
    reset = user_lifecycle.reset_factors(core.admin_context(), slug, None, sub)
    return {"sub": reset.sub, "removed": reset.removed}


@blp.route(USER + ":end-sessions", methods=["POST"])
@core.requires(ADMIN_WRITE)
@blp.response(200, s.EndedSessionsSchema)
def end_sessions(slug: str, sub: str) -> dict[str, Any]:
    """End every session of the user (their relying parties are told)."""
    core.tenant_for(slug)
    ended = session_admin.end_user_sessions(core.admin_context(), slug, None, sub, every=True)
    return {"sub": sub, "sids": ended.sids}


@blp.route(USER + ":invite", methods=["POST"])
@core.requires(ADMIN_WRITE)
@blp.response(200, s.InvitedSchema)
@blp.alt_response(409, schema=core.ErrorSchema, description="The user has a password or "
                  "is disabled (``conflict``).")
def invite(slug: str, sub: str) -> dict[str, Any]:
    """Mail a user without a password a fresh invitation; earlier links stop working."""
    core.tenant_for(slug)
    invited = invitation_admin.reinvite(core.admin_context(), slug, None, sub, _mail(slug))
    return shown({"sub": invited.sub, "email": invited.email,
                  "invitation": _invitation(invited)})
