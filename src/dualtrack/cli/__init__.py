"""The ``dualtrack`` command line (Typer + Rich): the same services as the API."""
