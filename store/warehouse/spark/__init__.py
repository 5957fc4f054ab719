"""Spark SQL as the events warehouse: a SQLAlchemy dialect over the Thrift (HiveServer2)
protocol, Parquet ingest partitioned by journey and day, and a local Thrift server.

The scan's aggregations are the same SQLAlchemy Core as on DuckDB and PostgreSQL; only
table creation and loading differ (`spark.load`). `spark.server` starts the Thrift server
that ships in the `pyspark` wheel, for `make spark-up` and the tests. The drivers (PyHive,
Thrift) are the optional `spark` extra: nothing here imports them until a `spark://` URL
is opened.
"""

from __future__ import annotations

from sqlalchemy.dialects import registry

DIALECT = "spark"


def register_dialect() -> None:
    """Make `spark://host:port/database` URLs resolve to our dialect (idempotent)."""
    # SQLAlchemy imports the module, and with it PyHive, only when such a URL is opened.
    registry.register(DIALECT, "store.warehouse.spark.dialect", "SparkDialect")


__all__ = ["DIALECT", "register_dialect"]
