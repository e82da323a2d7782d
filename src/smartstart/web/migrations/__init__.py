"""Alembic migrations of the quick scan's database, applied at start (``_db.migrate``)."""
