"""The hub's store: SQLAlchemy 2 models and sessions, Alembic migrations applied on open."""

# Every feature's tables, so Base.metadata (Alembic, the migration check) always sees the whole schema.
from mailhub.store import api_models, event_models, mail_models, outbox_models, web_models  # noqa: F401
from mailhub.store.engine import Store, current_revisions, head_revisions, migrate, normalize_url, open_store
from mailhub.store.models import AccountRow, Base, SecretRow, StatusChangeRow, VerificationRow

__all__ = [
    "AccountRow",
    "Base",
    "SecretRow",
    "StatusChangeRow",
    "Store",
    "VerificationRow",
    "current_revisions",
    "head_revisions",
    "migrate",
    "normalize_url",
    "open_store",
]
