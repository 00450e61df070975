"""A tenant's live sign-in sessions a page at a time (keyset on the row id), with their
users, for the admin API's ``/sessions``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Row, select

from authserver.storage.models import LoginSession, User
from authserver.storage.repositories.base import TenantScoped


class SessionPages(TenantScoped):
    def live(self, *, after_id: int, limit: int, seen_since: dt.datetime,
             created_since: dt.datetime, user_id: int | None = None
             ) -> Sequence[Row[tuple[LoginSession, User]]]:
        """Up to ``limit`` sessions not ended, seen since ``seen_since`` (the idle limit)
        and started since ``created_since`` (the absolute limit), ids above
        ``after_id``, oldest first, each with its user."""
        query = (select(LoginSession, User).join(User, User.id == LoginSession.user_id)
                 .where(LoginSession.tenant_id == self.tenant_id,
                        LoginSession.ended_at.is_(None), LoginSession.id > after_id,
                        LoginSession.last_seen_at >= seen_since,
                        LoginSession.created_at >= created_since))
        if user_id is not None:
            query = query.where(LoginSession.user_id == user_id)
        return self.session.execute(query.order_by(LoginSession.id).limit(limit)).all()
