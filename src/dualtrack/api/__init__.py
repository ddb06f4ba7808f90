"""The REST API (FastAPI) under ``/api/v1``: a thin edge over the services."""

from dualtrack.api.app import create_app

__all__ = ["create_app"]
