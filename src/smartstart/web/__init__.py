"""The quick scan's workshop web app (FastAPI + Jinja2 + HTMX): respondents answer on their
phones by code; the facilitator sees the answers arrive and opens the organisations' reports.

    smartstart scan serve --data FOLDER       # SQLite in FOLDER, on http://127.0.0.1:8000
"""

from smartstart.web._app import ScanConfig, create_app
from smartstart.web._db import DB_FILE, database_url
from smartstart.web._serve import serve, set_password

__all__ = ["DB_FILE", "ScanConfig", "create_app", "database_url", "serve", "set_password"]
