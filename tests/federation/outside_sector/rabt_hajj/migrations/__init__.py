"""Hajj's Alembic revisions (versions/), shipped inside the package like the rest of the sector."""
