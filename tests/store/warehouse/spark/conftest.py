"""A Spark Thrift server for the Spark tests: the one in JOURNEYOPS_TEST_SPARK_URL, else one
started here (Java 17 and the pyspark wheel), and a fresh Spark database per test."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, make_url

from store.warehouse.spark import register_dialect
from store.warehouse.spark.server import start, stop


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def spark_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a running Spark Thrift server (database `default`)."""
    url = os.environ.get("JOURNEYOPS_TEST_SPARK_URL", "")
    if url:
        yield url
        return
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("no Java: install openjdk-17-jre-headless (.ci/run does) to run Spark tests")
    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("pyspark is not installed: pip install -e '.[spark-local]' (make install does)")
    root = tmp_path_factory.mktemp("spark-server")
    server = start(root, port=_free_port())
    try:
        yield server.url
    finally:
        stop(root)


@pytest.fixture
def spark_db(spark_url: str) -> Iterator[str]:
    """A URL on a Spark database of its own, dropped (with its tables) afterwards."""
    register_dialect()
    name = f"jo_{uuid.uuid4().hex[:12]}"
    admin = create_engine(spark_url)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield make_url(spark_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} CASCADE")
        admin.dispose()
