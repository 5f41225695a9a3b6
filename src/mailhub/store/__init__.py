"""The hub's store: SQLAlchemy 2 models and sessions, Alembic migrations applied on open."""

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
