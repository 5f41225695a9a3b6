"""A fresh schema in the machine's PostgreSQL (127.0.0.1:5432, trust auth, database ``test``) per test."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextlib.contextmanager
def fresh_schema(prefix: str = "mailhub_test") -> Iterator[str]:
    """A SQLAlchemy URL whose ``search_path`` is a new empty schema, dropped with everything in it afterwards."""
    import psycopg

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
