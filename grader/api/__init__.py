"""The JSON API (FastAPI): /api/v1, OpenAPI at /docs."""

from grader.api.app import create_app

__all__ = ["create_app"]
