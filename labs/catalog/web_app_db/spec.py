"""The web-app-db lab as declared: a target database of one's own, and queries to run."""

from __future__ import annotations

from labs.kit import BadInput, LabSpec, Option, Target

#: How a query may begin: only statements that read are run.
READING = ("select", "with", "values", "table", "explain")
MAX_SQL = 2000


def parse_sql(text: str) -> str:
    """One query that reads, or BadInput (the role that runs it can only read anyway)."""
    sql = " ".join(text.split())
    if not sql:
        raise BadInput("--sql needs a query, e.g. --sql 'SELECT name FROM customers'.")
    if len(sql) > MAX_SQL:
        raise BadInput(f"--sql: the query is longer than {MAX_SQL} characters.")
    if sql.split(" ", 1)[0].lower().rstrip("(") not in READING:
        raise BadInput(
            f"--sql {sql[:40]!r}: only queries that read are run (SELECT, WITH, VALUES, "
            "TABLE, EXPLAIN)."
        )
    return sql.rstrip(";").rstrip()


SPEC = LabSpec(
    id="web-app-db",
    title="From the API to the database",
    module=10,
    summary="A web page, its HTTP request and the SQL queries the app sends its PostgreSQL "
    "database: N+1 vs a join, pooled vs new connections, an index vs a full scan.",
    package=__package__ or "",
    target=Target("url", "postgresql://USER@127.0.0.1:PORT/DB (a database of yours)"),
    options=(
        Option(
            "sql",
            "--sql",
            "your SQL",
            "list",
            "a query to run on the sample data (or your database), as a report would "
            "(repeatable; read-only)",
            metavar="QUERY",
            placeholder="SELECT name FROM customers",
            parse=parse_sql,
        ),
    ),
)
