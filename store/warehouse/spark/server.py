"""A local Spark Thrift (HiveServer2) server from the `pyspark` wheel: start, wait, stop.

`python -m store.warehouse.spark.server up --dir .spark --port 10000` is `make spark-up`;
`down` is `make spark-down`. The server binds 127.0.0.1 only, keeps its metastore (Derby),
logs and pid file under `--dir`, and needs nothing from the network: Spark's jars,
including the Thrift server's, ship inside the `pyspark` package; Java 17 comes from
Debian (`.ci/run` installs it when missing).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"


class SparkServerError(RuntimeError):
    """The server cannot be started (no Java, no pyspark) or did not come up in time."""


@dataclass(frozen=True)
class SparkServer:
    """A Thrift server process started by `start`, found again by its pid file."""

    root: Path
    port: int
    pid: int

    @property
    def url(self) -> str:
        return f"spark://127.0.0.1:{self.port}/default"


def spark_home() -> Path:
    """Return the Spark distribution inside the installed `pyspark` package."""
    spec = importlib.util.find_spec("pyspark")
    if spec is None or not spec.submodule_search_locations:
        raise SparkServerError("pyspark is not installed: pip install 'journeyops[spark-local]'")
    return Path(next(iter(spec.submodule_search_locations)))


def _command(root: Path, port: int, cores: int, memory: str) -> list[str]:
    home = spark_home()
    derby = f"-Dderby.system.home={root / 'derby'} -Djava.io.tmpdir={root / 'tmp'}"
    conf = {
        "spark.sql.warehouse.dir": str(root / "warehouse"),
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.enabled": "false",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        # Scans return a few thousand groups: a handful of shuffle partitions is plenty.
        "spark.sql.shuffle.partitions": str(max(2 * cores, 2)),
    }
    args = [str(home / "bin" / "spark-submit"), "--class", _CLASS, "--master", f"local[{cores}]"]
    args += ["--driver-memory", memory, "--driver-java-options", derby]
    for key, value in conf.items():
        args += ["--conf", f"{key}={value}"]
    args += ["spark-internal", "--hiveconf", f"hive.server2.thrift.port={port}"]
    return [*args, "--hiveconf", "hive.server2.thrift.bind.host=127.0.0.1"]


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start(
    root: Path, *, port: int, cores: int = 2, memory: str = "2g", timeout_s: float = 240.0
) -> SparkServer:
    """Start the server and return once it accepts connections; reuse one already running."""
    root = root.resolve()
    running = find(root)
    if running is not None:
        return running
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise SparkServerError(
            "java not found: install a JDK 17 (apt-get install openjdk-17-jre-headless)"
        )
    for sub in ("derby", "tmp", "warehouse", "log"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    env = os.environ | {"SPARK_HOME": str(spark_home()), "SPARK_LOG_DIR": str(root / "log")}
    log = (root / "log" / "thriftserver.out").open("ab")
    proc = subprocess.Popen(
        _command(root, port, cores, memory),
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    log.close()
    (root / "server.pid").write_text(f"{proc.pid} {port}\n", encoding="utf-8")
    deadline = time.monotonic() + timeout_s
    # Poll the port: the JVM gives no other readiness signal.
    while not _listening(port):
        if proc.poll() is not None:
            raise SparkServerError(f"the Spark Thrift server exited; see {root / 'log'}")
        if time.monotonic() > deadline:
            stop(root)
            raise SparkServerError(f"the Spark Thrift server did not listen on {port} in time")
        time.sleep(0.5)
    return SparkServer(root, port, proc.pid)


def find(root: Path) -> SparkServer | None:
    """Return the server recorded under `root` when its process is still alive."""
    pid_file = root.resolve() / "server.pid"
    if not pid_file.exists():
        return None
    pid_text, port_text = pid_file.read_text(encoding="utf-8").split()
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        pid_file.unlink()
        return None
    return SparkServer(root.resolve(), int(port_text), pid)


def stop(root: Path, *, timeout_s: float = 60.0) -> bool:
    """Stop the server recorded under `root` (its own process group); return if one ran."""
    server = find(root)
    if server is None:
        return False
    os.killpg(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(server.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        os.killpg(server.pid, signal.SIGKILL)
    (root.resolve() / "server.pid").unlink(missing_ok=True)
    return True


def main(argv: list[str] | None = None) -> int:
    """Run `up`, `down` or `url` for `make spark-up` / `make spark-down`."""
    parser = argparse.ArgumentParser(prog="python -m store.warehouse.spark.server")
    parser.add_argument("action", choices=["up", "down", "url"])
    parser.add_argument("--dir", type=Path, default=Path(".spark"))
    parser.add_argument("--port", type=int, default=10000)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--memory", default="2g")
    args = parser.parse_args(argv)
    try:
        if args.action == "up":
            server = start(args.dir, port=args.port, cores=args.cores, memory=args.memory)
            sys.stdout.write(f"Spark Thrift server up: {server.url} (pid {server.pid})\n")
        elif args.action == "down":
            stopped = stop(args.dir)
            sys.stdout.write("Spark Thrift server stopped\n" if stopped else "not running\n")
        else:
            found = find(args.dir)
            sys.stdout.write(f"{found.url}\n" if found else "")
    except SparkServerError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
