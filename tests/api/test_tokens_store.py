"""API tokens in the store, on SQLite and PostgreSQL: the 0005_api migration beside the other branches."""

from __future__ import annotations

import pytest

from mailhub.api.tokens import TokenError, check_token, create_token, list_tokens, revoke_token
from mailhub.store import current_revisions, head_revisions, open_store


def test_tokens_live_and_die_in_the_store(db_url: str) -> None:
    store = open_store(db_url)
    try:
        assert "0005_api" in current_revisions(store.engine) == head_revisions()
        first, plain = create_token(store, "  crm  ")
        second, other = create_token(store, "erp")
        assert first.name == "crm" and plain != other and plain.startswith(first.prefix)

        assert check_token(store, plain).id == first.id
        assert check_token(store, plain + "x") is None and check_token(store, "not-ours") is None
        revoke_token(store, first.id)
        revoke_token(store, first.id)  # twice is harmless
        assert check_token(store, plain) is None and check_token(store, other).id == second.id

        listed = {token.name: token for token in list_tokens(store)}
        assert not listed["crm"].active and listed["erp"].active and listed["erp"].last_used_at is not None
        with pytest.raises(TokenError) as missing:
            revoke_token(store, 999)
        assert missing.value.code == "token_not_found"
        with pytest.raises(TokenError):
            create_token(store, "   ")
    finally:
        store.close()
