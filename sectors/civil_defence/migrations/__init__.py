"""The civil defence sector's Alembic revisions, in versions/: the only way its tables reach a database."""
