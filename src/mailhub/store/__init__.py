"""The hub's store: SQLAlchemy 2 models and sessions, Alembic migrations applied on open."""

from mailhub.store.engine import Store, current_revision, head_revision, migrate, normalize_url, open_store
from mailhub.store.models import AccountRow, Base, SecretRow, StatusChangeRow, VerificationRow

__all__ = [
    "AccountRow",
    "Base",
    "SecretRow",
    "StatusChangeRow",
    "Store",
    "VerificationRow",
    "current_revision",
    "head_revision",
    "migrate",
    "normalize_url",
    "open_store",
]
