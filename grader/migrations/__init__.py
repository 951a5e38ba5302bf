"""Alembic migrations, shipped inside the package; the service runs them on start."""
