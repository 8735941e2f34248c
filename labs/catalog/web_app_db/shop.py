"""The lab's sample data: a small shop's customers and orders (what the
lessons' SQL quick checks query), and 100,000 shipments (enough rows for a
full scan to cost measurably more than an index lookup).

The same rows on every run, so lessons can ask about them."""

from __future__ import annotations

from typing import Any

DATABASE = "shop"
#: The web application's role; its password is new on every run.
APP_USER = "shop_app"
#: A read-only role for reports and the quick checks' queries.
READER = "analyst"
SHIPMENTS = 100_000
#: The shipment the lookup page asks for.
TRACKING = "TRK0061234"

CUSTOMERS = (
    (1, "Ana Lima", "Lisbon"),
    (2, "Ben Okafor", "Lagos"),
    (3, "Chen Wei", "Shanghai"),
    (4, "Dana Cohen", "Lisbon"),
    (5, "Eli Novak", "Prague"),
    (6, "Fatima Zahra", "Casablanca"),
)

#: (id, customer_id, placed_on, status, total). Eli (5) has no orders: a LEFT JOIN keeps him.
ORDERS = (
    (101, 1, "2026-09-02", "shipped", "42.50"),
    (102, 2, "2026-09-03", "shipped", "18.00"),
    (103, 1, "2026-09-10", "shipped", "7.25"),
    (104, 3, "2026-09-11", "cancelled", "99.00"),
    (105, 4, "2026-09-15", "shipped", "61.40"),
    (106, 2, "2026-09-20", "pending", "12.00"),
    (107, 6, "2026-09-21", "shipped", "230.00"),
    (108, 1, "2026-10-01", "pending", "15.75"),
    (109, 3, "2026-10-02", "shipped", "48.10"),
    (110, 4, "2026-10-05", "shipped", "9.90"),
    (111, 6, "2026-10-08", "cancelled", "55.00"),
    (112, 2, "2026-10-12", "shipped", "33.30"),
    (113, 3, "2026-10-15", "shipped", "27.00"),
    (114, 6, "2026-10-20", "shipped", "74.60"),
    (115, 1, "2026-10-28", "shipped", "20.00"),
    (116, 4, "2026-11-02", "pending", "39.99"),
)

SCHEMA = """
CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL, city text NOT NULL);
CREATE TABLE orders (
    id integer PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES customers(id),
    placed_on date NOT NULL,
    status text NOT NULL,
    total numeric(10, 2) NOT NULL
);
CREATE TABLE shipments (id integer PRIMARY KEY, tracking text NOT NULL, carrier text NOT NULL,
                        status text NOT NULL);
"""

FILL_SHIPMENTS = f"""
INSERT INTO shipments
SELECT i, 'TRK' || lpad(i::text, 7, '0'),
       (ARRAY['PostNL', 'DHL', 'UPS'])[i % 3 + 1],
       (ARRAY['in transit', 'delivered', 'delivered', 'returned'])[i % 4 + 1]
FROM generate_series(1, {SHIPMENTS}) AS i
"""

INDEX = "CREATE INDEX shipments_tracking ON shipments (tracking)"


def load(admin: Any, server_admin: Any, app_password: str, reader_password: str) -> None:
    """Create the roles, the database and its rows. `server_admin` is a
    superuser connection to the server's maintenance database, `admin` a
    factory of superuser connections to a named database."""
    # CREATE ROLE takes no $1 parameters; the passwords are hex from `secrets`.
    for role, password in ((APP_USER, app_password), (READER, reader_password)):
        if not password.isalnum():
            raise ValueError("a generated password must be letters and digits")
        server_admin.run(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    server_admin.run(f"CREATE DATABASE {DATABASE} OWNER {APP_USER}")
    db = admin(DATABASE)
    try:
        db.run(f"SET ROLE {APP_USER}")
        for statement in SCHEMA.split(";"):
            if statement.strip():
                db.run(statement)
        for row in CUSTOMERS:
            db.run("INSERT INTO customers VALUES (:a, :b, :c)", a=row[0], b=row[1], c=row[2])
        for o in ORDERS:
            db.run(
                "INSERT INTO orders VALUES (:a, :b, CAST(:c AS date), :d, CAST(:e AS numeric))",
                a=o[0], b=o[1], c=o[2], d=o[3], e=o[4],
            )  # fmt: skip
        db.run(FILL_SHIPMENTS)
        db.run(f"GRANT SELECT ON customers, orders, shipments TO {READER}")
        db.run("RESET ROLE")
        # Fresh statistics, so the planner's choices are the ones EXPLAIN teaches.
        db.run("ANALYZE")
        db.run(f"ALTER ROLE {READER} SET default_transaction_read_only = on")
    finally:
        db.close()
