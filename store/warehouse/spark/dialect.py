"""The `spark://host:port/database` SQLAlchemy dialect: PyHive's Hive dialect, fixed for Spark SQL.

PyHive's dialect speaks the HiveServer2 Thrift protocol that Spark's Thrift server (and a
Databricks SQL warehouse, Kyuubi or a Spark Thrift server on YARN/Kubernetes) answers. Four
things differ from Hive as PyHive compiles it: floats must be DOUBLE (Hive's FLOAT is four
bytes), dates must stay DATE, INSERT keeps its column list, float parameters are sent as
DOUBLE literals (a bare `1.5` is a DECIMAL in Spark SQL), and seconds between two
timestamps are taken with `unix_micros` (Spark has no `EXTRACT(EPOCH ...)`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from pyhive.hive import HiveParamEscaper
from pyhive.sqlalchemy_hive import HiveCompiler, HiveDialect, HiveTypeCompiler
from sqlalchemy.engine.interfaces import DBAPICursor, ExecutionContext
from sqlalchemy.sql import compiler, elements, operators

from store.warehouse.spark import DIALECT

NAME = DIALECT


class _Escaper(HiveParamEscaper):  # type: ignore[misc]
    """Quote parameters as Spark SQL literals: floats as DOUBLE (not DECIMAL), dates as DATE
    and times as UTC TIMESTAMP literals (not strings, which Spark will not store in them)."""

    def escape_item(self, item: object) -> object:
        if isinstance(item, dt.datetime):
            utc = item.astimezone(dt.UTC).replace(tzinfo=None) if item.tzinfo else item
            return f"TIMESTAMP '{utc.isoformat(sep=' ')}'"
        if isinstance(item, dt.date):
            return f"DATE '{item.isoformat()}'"
        return super().escape_item(item)

    def escape_number(self, item: object) -> object:
        if isinstance(item, float) and not isinstance(item, bool):
            if math.isnan(item) or math.isinf(item):
                return f"CAST('{item}' AS DOUBLE)"
            return f"{item!r}D"
        return item


_ESCAPER = _Escaper()


class SparkTypeCompiler(HiveTypeCompiler):  # type: ignore[misc]
    """Spark SQL type names."""

    def visit_FLOAT(self, type_: object, **kw: Any) -> str:
        return "DOUBLE"

    def visit_REAL(self, type_: object, **kw: Any) -> str:
        return "DOUBLE"

    def visit_DOUBLE(self, type_: object, **kw: Any) -> str:
        return "DOUBLE"

    def visit_DOUBLE_PRECISION(self, type_: object, **kw: Any) -> str:
        return "DOUBLE"

    def visit_DATE(self, type_: object, **kw: Any) -> str:
        return "DATE"

    def visit_BIGINT(self, type_: object, **kw: Any) -> str:
        return "BIGINT"


class SparkCompiler(HiveCompiler):  # type: ignore[misc]
    """Spark SQL statements from SQLAlchemy Core."""

    def visit_insert(self, insert_stmt: Any, **kw: Any) -> str:
        # Spark SQL takes an INSERT column list; Hive's rewrite that drops it is not needed.
        return str(compiler.SQLCompiler.visit_insert(self, insert_stmt, **kw))  # type: ignore[no-untyped-call]

    def visit_extract(self, extract: elements.Extract, **kw: Any) -> str:
        expr = extract.expr
        if (
            extract.field == "epoch"
            and isinstance(expr, elements.BinaryExpression)
            and expr.operator is operators.sub
        ):
            left, right = self.process(expr.left, **kw), self.process(expr.right, **kw)
            return (
                f"((unix_micros(CAST({left} AS TIMESTAMP)) - "
                f"unix_micros(CAST({right} AS TIMESTAMP))) / 1000000.0D)"
            )
        return str(super().visit_extract(extract, **kw))


class SparkDialect(HiveDialect):  # type: ignore[misc]
    """SQLAlchemy dialect for Spark SQL over the HiveServer2 Thrift protocol."""

    name = NAME
    statement_compiler = SparkCompiler
    type_compiler_cls = SparkTypeCompiler
    type_compiler = SparkTypeCompiler
    supports_statement_cache = False

    def do_execute(
        self,
        cursor: DBAPICursor,
        statement: str,
        parameters: Sequence[Any] | Mapping[str, Any] | None,
        context: ExecutionContext | None = None,
    ) -> None:
        sql = statement % _ESCAPER.escape_args(parameters) if parameters else statement
        cursor.execute(sql)

    def do_execute_no_params(
        self, cursor: DBAPICursor, statement: str, context: ExecutionContext | None = None
    ) -> None:
        cursor.execute(statement)
