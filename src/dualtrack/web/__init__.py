"""The server-rendered dashboard (Jinja2 + HTMX; static assets ship in the package)."""
