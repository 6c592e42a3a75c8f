"""Alembic's environment script, shared by every component: hub/migrations/runner.py does the work."""

from hub.migrations.runner import run_env

run_env()
