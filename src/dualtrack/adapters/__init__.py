"""Adapters: SQLAlchemy storage (SQLite embedded default, PostgreSQL) and migrations."""
