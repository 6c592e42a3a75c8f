"""The civil affairs sector's Alembic revisions, in versions/: the only way its tables reach a database."""
