"""Emailed sign-in links, stored by the digest of their token; used once, by a
conditional UPDATE that also checks the browser, so only the browser that asked can
spend a link, and only once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update

from authserver.storage.models import MagicLink
from authserver.storage.repositories.base import TenantScoped


class MagicLinkRepository(TenantScoped):
    def add(self, user_id: int, token_digest: str, interaction_uid: str,
            browser_digest: str, now: dt.datetime, expires_at: dt.datetime) -> None:
        self.session.add(MagicLink(
            tenant_id=self.tenant_id, user_id=user_id, token_digest=token_digest,
            interaction_uid=interaction_uid, browser_digest=browser_digest,
            created_at=now, expires_at=expires_at))
        self.session.flush()

    def by_token(self, token_digest: str) -> MagicLink | None:
        return self.session.scalar(select(MagicLink).where(
            MagicLink.tenant_id == self.tenant_id, MagicLink.token_digest == token_digest))

    def use(self, link_id: int, browser_digest: str, now: dt.datetime) -> bool:
        """Spend the link from this browser; True for exactly one caller, and never for
        another browser, an expired link or a used one."""
        used = self.session.execute(update(MagicLink).where(
            MagicLink.tenant_id == self.tenant_id, MagicLink.id == link_id,
            MagicLink.browser_digest == browser_digest, MagicLink.used_at.is_(None),
            MagicLink.expires_at > now).values(used_at=now)).rowcount
        return bool(used == 1)

    def drop_unused_of(self, user_id: int, interaction_uid: str) -> None:
        """Forget the links sent earlier for the same sign-in: the newest one counts."""
        self.session.execute(delete(MagicLink).where(
            MagicLink.tenant_id == self.tenant_id, MagicLink.user_id == user_id,
            MagicLink.interaction_uid == interaction_uid, MagicLink.used_at.is_(None)))
