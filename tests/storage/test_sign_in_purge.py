"""``db purge`` also removes expired sign-in leftovers: pending requests, sent codes and
magic links (each is refused past its expiry anyway; the rows only cost space)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from authserver.runtime.tenant_wiring import token_store
from authserver.storage.models import MagicLink, OneTimeCode, PendingInteraction, User
from tests.support.oauth import build_world


def _rows(runtime, model) -> int:
    with runtime.database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_expired_codes_links_and_pending_requests_are_purged(runtime, clock):
    build_world(runtime)
    now = clock()
    with runtime.database.session() as session:
        user = session.scalar(select(User))
        for minutes, suffix in ((-1, "old"), (10, "live")):
            expires = now + dt.timedelta(minutes=minutes)
            session.add(OneTimeCode(tenant_id=user.tenant_id, user_id=user.id,
                                    purpose=f"sign-in-{suffix}", channel="email",
                                    destination=user.email, attempt_digest="a" * 64,
                                    code_digest="c" * 64, attempts=0, expires_at=expires))
            session.add(MagicLink(tenant_id=user.tenant_id, user_id=user.id,
                                  token_digest=suffix * 16, interaction_uid=suffix,
                                  browser_digest="b" * 64, expires_at=expires))
            session.add(PendingInteraction(
                tenant_id=user.tenant_id, uid=suffix, browser_digest="b" * 64,
                authorization_request={}, progress={}, created_at=now, updated_at=now,
                expires_at=expires))
        tenant_id = user.tenant_id
    counts = token_store(runtime, tenant_id).purge_expired(now)
    assert (counts["one_time_codes"], counts["magic_links"], counts["pending_interactions"]) \
        == (1, 1, 1), f"each expired row goes, nothing else: {counts}"
    assert [_rows(runtime, m) for m in (OneTimeCode, MagicLink, PendingInteraction)] == \
        [1, 1, 1], "the live rows stay"
