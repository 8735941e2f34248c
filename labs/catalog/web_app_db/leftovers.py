"""What `tutor doctor --cleanup` asks of this lab: the PostgreSQL servers and
data directories a killed run left behind (see `pg.cleanup_leftovers`)."""

from labs.catalog.web_app_db.pg import cleanup_leftovers

__all__ = ["cleanup_leftovers"]
