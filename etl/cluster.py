"""The cluster profile: this project's DAGs on Airflow's Celery executor, on engines people operate.

One machine runs the whole deployment for development and CI, the same processes a production
deployment spreads over hosts:

- **scheduler**, **dag-processor** and **api-server** (Airflow 3; the api-server also serves the
  Execution API that workers report to),
- **N Celery workers** (`airflow celery worker`), each a separate process tree with its own name,
- **PostgreSQL** as Airflow's metadata database and as the warehouse,
- **Redis** as the Celery broker,
- optionally the **devnet**, standing in for the outside networks.

Every setting comes from an environment variable (see `ClusterConfig.from_env` and the README); the
production equivalents are the same variables pointing at managed services. `decai cluster up`
writes `cluster.env` into the cluster's AIRFLOW_HOME so that `airflow ...` commands can be pointed at
the running deployment with `set -a; . <home>/cluster.env`.

Workers are told apart by `DECAI_WORKER_NAME`: Airflow records the host of every task instance
through `core.hostname_callable`, set here to `worker_hostname`, so the metadata database says which
worker ran which mapped chunk even when all workers share one host.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from etl.settings import PROJECT_ROOT, redact_url_text

log = logging.getLogger(__name__)

DAGS_FOLDER = PROJECT_ROOT / "dags"
PROJECT_DAG_IDS = ("bittensor_ingest", "market_ingest", "sahara_ingest", "warehouse_projections")


def _float_or_none(text: str | None) -> float | None:
    return float(text) if text else None


def worker_hostname() -> str:
    """`core.hostname_callable` for cluster workers: the worker's name, else this host's FQDN."""
    return os.environ.get("DECAI_WORKER_NAME") or socket.getfqdn()


class ClusterError(RuntimeError):
    pass


@dataclass
class ClusterConfig:
    home: Path
    metadata_url: str
    broker_url: str
    warehouse_url: str
    #: A PostgreSQL administrator, used only to create the databases and the warehouse's logins; the
    #: warehouse itself is written by its owner login (WAREHOUSE_URL) and read by the reader login.
    admin_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    api_host: str = "127.0.0.1"
    api_port: int = 8080
    workers: int = 2
    worker_concurrency: int = 2
    #: Seconds without a heartbeat before the scheduler fails a task instance (its worker died).
    heartbeat_timeout: int = 60
    retry_delay_seconds: float = 10.0
    devnet_port: int | None = None
    #: Run the devnet as one of the cluster's processes (the outside networks, for development).
    devnet: bool = False
    #: The devnet's frozen clock (ISO); None runs it on the real clock.
    devnet_now: str | None = None
    #: The size of the devnet's simulated networks (1.0 approximates early 2026); None: its default.
    devnet_scale: float | None = None
    #: Every protocol request to the devnet waits this many ms, plus up to `devnet_latency_jitter_ms`
    #: (default a fifth of it), as a distant node's would.
    devnet_latency_ms: float = 0.0
    devnet_latency_jitter_ms: float | None = None
    #: Kill the processes if the process that started them dies (tests); `make cluster` leaves it off.
    stop_with_parent: bool = False
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides) -> ClusterConfig:
        env = os.environ
        values = dict(
            home=Path(env.get("DECAI_CLUSTER_HOME", PROJECT_ROOT / "cluster_home")),
            metadata_url=env.get(
                "DECAI_CLUSTER_METADATA_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/decai_airflow"
            ),
            broker_url=env.get("DECAI_CLUSTER_BROKER_URL", "redis://127.0.0.1:6379/0"),
            warehouse_url=env.get(
                "DECAI_CLUSTER_WAREHOUSE_URL",
                "postgresql+psycopg://decai_owner@127.0.0.1:5432/decai_warehouse",
            ),
            admin_url=env.get(
                "DECAI_CLUSTER_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
            ),
            api_host=env.get("DECAI_CLUSTER_API_HOST", "127.0.0.1"),
            api_port=int(env.get("DECAI_CLUSTER_API_PORT", "8080")),
            workers=int(env.get("DECAI_CLUSTER_WORKERS", "2")),
            worker_concurrency=int(env.get("DECAI_CLUSTER_WORKER_CONCURRENCY", "2")),
            heartbeat_timeout=int(env.get("DECAI_CLUSTER_HEARTBEAT_TIMEOUT", "60")),
            retry_delay_seconds=float(env.get("DECAI_RETRY_DELAY_SECONDS", "10")),
            devnet_port=int(env["DECAI_DEVNET_PORT"]) if env.get("DECAI_DEVNET_PORT") else None,
            devnet=env.get("DECAI_CLUSTER_DEVNET", "0").lower() in ("1", "true", "yes"),
            devnet_now=env.get("DECAI_CLUSTER_DEVNET_NOW") or None,
            devnet_scale=_float_or_none(env.get("DECAI_CLUSTER_DEVNET_SCALE")),
            devnet_latency_ms=float(env.get("DECAI_CLUSTER_DEVNET_LATENCY_MS") or 0),
            devnet_latency_jitter_ms=_float_or_none(env.get("DECAI_CLUSTER_DEVNET_LATENCY_JITTER_MS")),
        )
        values.update(overrides)
        values["home"] = Path(values["home"])
        return cls(**values)

    @property
    def devnet_control_url(self) -> str:
        """The devnet's control endpoint (latency, faults, stats), which never waits."""
        return f"http://127.0.0.1:{self.devnet_port or 18545}/_devnet"

    # --- derived --------------------------------------------------------------------------------

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    @property
    def api_url(self) -> str:
        return f"http://{self.api_host}:{self.api_port}"

    def _jwt_secret(self) -> str:
        """One secret for every process (workers present tokens the api-server must accept)."""
        path = self.home / ".jwt_secret"
        if not path.exists():
            self.home.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text().strip()

    def airflow_env(self) -> dict[str, str]:
        """The environment every Airflow process of the cluster runs with."""
        metadata = sa.engine.make_url(self.metadata_url)
        # Celery's own result backend speaks SQLAlchemy too, with a `db+` prefix.
        result_backend = "db+" + metadata.render_as_string(hide_password=False)
        env = {
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "etl.cluster.worker_hostname",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
            # Everyone is an admin only while the api-server listens on loopback; beyond it, the simple
            # auth manager asks for a login (passwords in simple_auth_manager_passwords.json.generated
            # under AIRFLOW_HOME); production sets AIRFLOW__CORE__AUTH_MANAGER to the FAB or Keycloak one.
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": str(_loopback(self.api_host)),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata.render_as_string(hide_password=False),
            # psycopg 3 serves the async engine too (Airflow would otherwise reach for asyncpg).
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": metadata.set(
                drivername="postgresql+psycopg_async"
            ).render_as_string(hide_password=False),
            "AIRFLOW__API__HOST": self.api_host,
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__API__BASE_URL": self.api_url,
            "AIRFLOW__API_AUTH__JWT_SECRET": self._jwt_secret(),
            "AIRFLOW__CELERY__BROKER_URL": self.broker_url,
            "AIRFLOW__CELERY__RESULT_BACKEND": result_backend,
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(self.worker_concurrency),
            # Airflow's Celery settings plus a preload of the heavy imports tasks inherit by fork.
            "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": "etl.celery_config.CELERY_CONFIG",
            # A message a dead worker had taken is redelivered after this; the scheduler's heartbeat
            # check retries the task long before, so this only bounds a lost message's delay.
            "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "21600",
            # One task at a time per free slot: chunks spread over workers instead of queueing on one.
            "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(self.heartbeat_timeout),
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "GX_ANALYTICS_ENABLED": "False",
            "DECAI_GX_DIR": str(self.home / "gx"),
            "WAREHOUSE_URL": self.warehouse_url,
            "DECAI_RETRY_DELAY_SECONDS": str(self.retry_delay_seconds),
            # The venv's own tools first: tasks and workers start `airflow` and `decai` by name.
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        if self.devnet_port is not None:
            env["DECAI_DEVNET_PORT"] = str(self.devnet_port)
        env.update(self.extra_env)
        return env

    def process_env(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
        base.pop("AIRFLOW_HOME", None)
        return base | self.airflow_env()


# --- processes ---------------------------------------------------------------------------------


def _airflow_bin() -> str:
    candidate = Path(sys.executable).with_name("airflow")
    return str(candidate) if candidate.exists() else "airflow"


def components(config: ClusterConfig) -> dict[str, tuple[list[str], dict[str, str]]]:
    """name -> (command, extra environment) for every long-running process of the deployment."""
    airflow = _airflow_bin()
    procs: dict[str, tuple[list[str], dict[str, str]]] = {
        "api-server": (
            [airflow, "api-server", "--host", config.api_host, "--port", str(config.api_port)],
            {},
        ),
        "dag-processor": ([airflow, "dag-processor"], {}),
        "scheduler": ([airflow, "scheduler"], {}),
    }
    if config.devnet:
        decai = str(Path(sys.executable).with_name("decai"))
        command = [decai, "devnet", "--port", str(config.devnet_port or 18545), "--rate-limit", "0"]
        if config.devnet_now:
            command += ["--now", config.devnet_now]
        if config.devnet_scale is not None:
            command += ["--scale", f"{config.devnet_scale:g}"]
        if config.devnet_latency_ms or config.devnet_latency_jitter_ms:
            command += ["--latency-ms", f"{config.devnet_latency_ms:g}"]
            if config.devnet_latency_jitter_ms is not None:
                command += ["--latency-jitter-ms", f"{config.devnet_latency_jitter_ms:g}"]
        procs["devnet"] = (command, {})
    for n in range(1, config.workers + 1):
        name = f"worker{n}"
        procs[name] = (
            [
                airflow, "celery", "worker", "--celery-hostname", f"{name}@%h",
                "--concurrency", str(config.worker_concurrency),
                # Logs go to the shared log folder; one log server per host would clash on its port.
                "--skip-serve-logs", "--without-gossip", "--without-mingle",
            ],
            {"DECAI_WORKER_NAME": name},
        )  # fmt: skip
    return procs


def _pid_file(config: ClusterConfig, name: str) -> Path:
    return config.run_dir / f"{name}.pid"


def log_file(config: ClusterConfig, name: str) -> Path:
    return config.run_dir / f"{name}.log"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        # A zombie (exited, not yet reaped by its parent) is not running.
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except OSError:
        return True


def running(config: ClusterConfig) -> dict[str, int]:
    """The cluster's processes that are alive, by name."""
    out = {}
    if not config.run_dir.exists():
        return out
    for pid_file in sorted(config.run_dir.glob("*.pid")):
        try:
            pid = int(pid_file.read_text().strip())
        except ValueError:
            continue
        if _alive(pid):
            out[pid_file.stem] = pid
    return out


def start_process(config: ClusterConfig, name: str, command: list[str], extra_env: dict[str, str]) -> int:
    """Start one component in its own process group (so it can be stopped with all its children)."""
    config.run_dir.mkdir(parents=True, exist_ok=True)
    out = open(log_file(config, name), "ab")  # noqa: SIM115 - the child keeps it open
    proc = subprocess.Popen(
        command,
        env=config.process_env() | extra_env,
        stdout=out,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        cwd=PROJECT_ROOT,
        start_new_session=True,
        preexec_fn=_die_with_parent if config.stop_with_parent else None,
    )
    out.close()
    _pid_file(config, name).write_text(f"{proc.pid}\n")
    log.info("cluster: started %s (pid %d)", name, proc.pid)
    return proc.pid


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL it when its parent dies (Linux prctl PR_SET_PDEATHSIG)."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


def stop_process(config: ClusterConfig, name: str, *, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
    """Signal a component's whole process group; SIGKILL what is left after `timeout` seconds."""
    pid_file = _pid_file(config, name)
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text().strip())
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pid_file.unlink(missing_ok=True)
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _group_alive(pid):
        time.sleep(0.2)
    if _group_alive(pid):
        log.warning("cluster: %s did not stop in %.0fs; killing it", name, timeout)
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    pid_file.unlink(missing_ok=True)


def _group_alive(pgid: int) -> bool:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields: state, ppid, pgrp, ...
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def kill_worker(config: ClusterConfig, name: str) -> None:
    """SIGKILL a worker and every task process under it, as a crashed host would disappear."""
    pid = int(_pid_file(config, name).read_text().strip())
    os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _group_alive(pid):
        time.sleep(0.1)


# --- services ----------------------------------------------------------------------------------


def _loopback(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


def ensure_postgres_database(url: str, admin_url: str | None = None) -> None:
    """Create the database named in `url` if it does not exist (on the same server). With `admin_url`,
    an administrator creates it, owned by the login of `url` (created without any special attribute
    if it does not exist), and creates the reader login, so the warehouse's owner is no superuser."""
    target = sa.engine.make_url(url)
    admin_target = sa.engine.make_url(admin_url) if admin_url else target.set(database="postgres")
    admin = sa.create_engine(admin_target, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            owner = target.username
            quote = conn.dialect.identifier_preparer.quote
            if admin_url and owner and owner != admin_target.username:
                for login in (owner, _reader_role()):
                    conn.exec_driver_sql(
                        f"DO $$ BEGIN CREATE ROLE {quote(login)} LOGIN; "
                        "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
                    )
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": target.database}
            ).scalar()
            if not exists:
                owned = f" OWNER {quote(owner)}" if admin_url and owner else ""
                conn.exec_driver_sql(f'CREATE DATABASE "{target.database}"{owned}')
    except sa.exc.OperationalError as exc:
        raise ClusterError(
            f"PostgreSQL at {target.host}:{target.port} is not reachable: {redact_url_text(str(exc.orig))}"
        ) from exc
    finally:
        admin.dispose()


def _reader_role() -> str:
    from etl.settings import get_settings

    return get_settings().reader_role


def drop_postgres_database(url: str) -> None:
    target = sa.engine.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
    finally:
        admin.dispose()


def check_broker(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        raise ClusterError(f"the Celery broker at {url} is not reachable: {exc}") from exc


def _airflow(config: ClusterConfig, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [_airflow_bin(), *args], env=config.process_env(), capture_output=True, text=True, cwd=PROJECT_ROOT
    )
    if check and done.returncode != 0:
        raise ClusterError(f"`airflow {' '.join(args)}` failed:\n{done.stderr[-3000:]}")
    return done


def ensure_pools(config: ClusterConfig) -> None:
    """The RPC pools (`etl.dag_defaults.RPC_POOLS`) in the cluster's metadata database."""
    from etl.dag_defaults import pools_spec

    path = config.home / "pools.json"
    path.write_text(json.dumps(pools_spec(), indent=2))
    _airflow(config, "pools", "import", str(path))


def write_env_file(config: ClusterConfig) -> Path:
    path = config.home / "cluster.env"
    lines = [f"{k}={json.dumps(v)}" for k, v in sorted(config.airflow_env().items()) if k != "PATH"]
    path.write_text(
        "# The cluster's Airflow settings: `set -a; . cluster.env; set +a`\n" + "\n".join(lines) + "\n"
    )
    path.chmod(0o600)
    return path


def metadata_engine(config: ClusterConfig) -> sa.Engine:
    return sa.create_engine(config.metadata_url, poolclass=sa.pool.NullPool)


def _wait(predicate, timeout: float, what: str, config: ClusterConfig, interval: float = 1.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        dead = set(components(config)) - set(running(config))
        if dead:
            tails = {n: _tail(log_file(config, n)) for n in sorted(dead)}
            raise ClusterError(f"cluster: {sorted(dead)} exited while waiting for {what}: {tails}")
        time.sleep(interval)
    raise ClusterError(f"cluster: timed out after {timeout:.0f}s waiting for {what}")


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _api_healthy(config: ClusterConfig) -> bool:
    import httpx

    try:
        return httpx.get(f"{config.api_url}/api/v2/monitor/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _dags_parsed(config: ClusterConfig) -> bool:
    engine = metadata_engine(config)
    try:
        with engine.connect() as conn:
            found = {
                r[0]
                for r in conn.execute(
                    sa.text("SELECT dag_id FROM dag WHERE dag_id IN :ids").bindparams(
                        sa.bindparam("ids", expanding=True)
                    ),
                    {"ids": list(PROJECT_DAG_IDS)},
                )
            }
        return found == set(PROJECT_DAG_IDS)
    except sa.exc.DBAPIError:
        return False
    finally:
        engine.dispose()


def _workers_ready(config: ClusterConfig) -> bool:
    """Every worker has said `ready.` in its log (a worker whose log is not there yet is not ready)."""
    logs = [log_file(config, f"worker{n}") for n in range(1, config.workers + 1)]
    return all(log.exists() and "ready." in log.read_text(errors="replace") for log in logs)


def up(config: ClusterConfig, *, timeout: float = 240) -> dict[str, int]:
    """Start the deployment (idempotent) and wait until it can run DAGs."""
    from warehouse.db import migrate

    if running(config):
        missing = set(components(config)) - set(running(config))
        if not missing:
            return running(config)
        raise ClusterError(
            f"cluster partly running (missing {sorted(missing)}); run `make cluster-down` first"
        )
    config.home.mkdir(parents=True, exist_ok=True)
    for stale in config.run_dir.glob("*.log") if config.run_dir.exists() else ():
        stale.unlink()
    check_broker(config.broker_url)
    ensure_postgres_database(config.metadata_url)
    if config.warehouse_url.startswith("postgresql"):
        ensure_postgres_database(config.warehouse_url, config.admin_url)
    migrate(config.warehouse_url)
    if config.warehouse_url.startswith("postgresql") and config.admin_url:
        # What only an administrator may do: take the server-file functions from PUBLIC.
        from warehouse.db import ensure_reader

        admin_on_warehouse = sa.engine.make_url(config.admin_url).set(
            database=sa.engine.make_url(config.warehouse_url).database
        )
        ensure_reader(admin_on_warehouse.render_as_string(hide_password=False))
    _airflow(config, "db", "migrate")
    ensure_pools(config)
    write_env_file(config)
    for name, (command, extra) in components(config).items():
        start_process(config, name, command, extra)
    _wait(lambda: _api_healthy(config), timeout, "the api-server", config)
    _wait(lambda: _dags_parsed(config), timeout, "the DAGs to be parsed", config)
    _wait(lambda: _workers_ready(config), timeout, "the Celery workers", config)
    return running(config)


def down(config: ClusterConfig) -> list[str]:
    """Stop every process of the deployment (workers first, so no task is left half-done)."""
    names = sorted(running(config), key=lambda n: (not n.startswith("worker"), n))
    for name in names:
        stop_process(config, name)
    for pid_file in config.run_dir.glob("*.pid") if config.run_dir.exists() else ():
        pid_file.unlink()
    return names


# --- runs ----------------------------------------------------------------------------------------


def create_backfill(config: ClusterConfig, dag_id: str, start: datetime, end: datetime, conf: dict | None = None,
                    max_active_runs: int = 1) -> int:  # fmt: skip
    """Ask the scheduler for a backfill of `dag_id` over [start, end]; returns the backfill id."""
    args = [
        "backfill", "create", "--dag-id", dag_id,
        "--from-date", start.isoformat(), "--to-date", end.isoformat(),
        "--max-active-runs", str(max_active_runs), "--reprocess-behavior", "completed",
    ]  # fmt: skip
    if conf:
        args += ["--dag-run-conf", json.dumps(conf)]
    _airflow(config, *args)
    engine = metadata_engine(config)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    sa.text("SELECT MAX(id) FROM backfill WHERE dag_id = :d"), {"d": dag_id}
                ).scalar_one()
            )
    finally:
        engine.dispose()


def backfill_runs(config: ClusterConfig, backfill_id: int) -> list[dict]:
    engine = metadata_engine(config)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT run_id, state, logical_date FROM dag_run WHERE backfill_id = :b ORDER BY logical_date"
                ),
                {"b": backfill_id},
            ).mappings()
            return [dict(r) for r in rows]
    finally:
        engine.dispose()


def _backfill_closed(config: ClusterConfig, backfill_id: int) -> bool:
    engine = metadata_engine(config)
    try:
        with engine.connect() as conn:
            return (
                conn.execute(
                    sa.text("SELECT completed_at FROM backfill WHERE id = :b"), {"b": backfill_id}
                ).scalar()
                is not None
            )
    finally:
        engine.dispose()


def wait_for_backfill(
    config: ClusterConfig, backfill_id: int, timeout: float = 600, on_poll=None
) -> list[dict]:
    """Wait until every run of the backfill has finished; raise naming the runs that failed."""
    deadline = time.monotonic() + timeout
    runs: list[dict] = []
    while time.monotonic() < deadline:
        runs = backfill_runs(config, backfill_id)
        if on_poll:
            on_poll(runs)
        # Finished when every run has ended and the scheduler has closed the backfill (until then
        # Airflow refuses another backfill of the same DAG).
        if (
            runs
            and all(r["state"] in ("success", "failed") for r in runs)
            and _backfill_closed(config, backfill_id)
        ):
            failed = [r["run_id"] for r in runs if r["state"] == "failed"]
            if failed:
                raise ClusterError(f"backfill {backfill_id}: runs failed: {failed}")
            return runs
        time.sleep(2)
    raise ClusterError(f"backfill {backfill_id} did not finish in {timeout:.0f}s: {runs}")


def task_hosts(config: ClusterConfig, dag_id: str, task_id: str, run_ids: list[str]) -> list[dict]:
    """Every try of every mapped instance of a task in the given runs, with the worker that ran it."""
    engine = metadata_engine(config)
    try:
        with engine.connect() as conn:
            query = sa.text(
                "SELECT run_id, map_index, try_number, hostname, state FROM task_instance_history "
                "WHERE dag_id = :d AND task_id = :t AND run_id IN :runs "
                "UNION ALL "
                "SELECT run_id, map_index, try_number, hostname, state FROM task_instance "
                "WHERE dag_id = :d AND task_id = :t AND run_id IN :runs"
            ).bindparams(sa.bindparam("runs", expanding=True))
            rows = conn.execute(query, {"d": dag_id, "t": task_id, "runs": run_ids}).mappings()
            return sorted(
                (dict(r) for r in rows), key=lambda r: (r["run_id"], r["map_index"], r["try_number"])
            )
    finally:
        engine.dispose()


# --- measuring ----------------------------------------------------------------------------------


def set_devnet_latency(config: ClusterConfig, ms: float, jitter_ms: float | None = None) -> dict:
    """Hold every protocol request to the devnet `ms` plus up to `jitter_ms` (default a fifth of
    `ms`), as `decai devnet --latency-ms` does; returns what the devnet now holds."""
    import httpx

    body = {"ms": ms} if jitter_ms is None else {"ms": ms, "jitter_ms": jitter_ms}
    answer = httpx.post(f"{config.devnet_control_url}/latency", json=body, timeout=30)
    answer.raise_for_status()
    return answer.json()


def devnet_latency(config: ClusterConfig) -> dict:
    """The latency the devnet holds and, since it was last set, how many requests it held how long."""
    import httpx

    answer = httpx.get(f"{config.devnet_control_url}/latency", timeout=30)
    answer.raise_for_status()
    return answer.json()


def backfill_tasks(config: ClusterConfig, backfill_ids: list[int]) -> list[dict]:
    """Every task instance of the backfills' runs that succeeded: the worker that ran it, when it was
    ready to run (scheduled), queued, started and ended, and what it returned (its XCom)."""
    engine = metadata_engine(config)
    try:
        with engine.connect() as conn:
            query = sa.text(
                "SELECT ti.dag_id, ti.task_id, ti.run_id, ti.map_index, ti.hostname, ti.scheduled_dttm, "
                "ti.queued_dttm, ti.start_date, ti.end_date, x.value AS result "
                "FROM task_instance ti JOIN dag_run r ON r.dag_id = ti.dag_id AND r.run_id = ti.run_id "
                "LEFT JOIN xcom x ON x.dag_id = ti.dag_id AND x.run_id = ti.run_id "
                "AND x.task_id = ti.task_id AND x.map_index = ti.map_index AND x.key = 'return_value' "
                "WHERE r.backfill_id IN :ids AND ti.state = 'success' ORDER BY ti.start_date"
            ).bindparams(sa.bindparam("ids", expanding=True))
            rows = [dict(r) for r in conn.execute(query, {"ids": backfill_ids}).mappings()]
    finally:
        engine.dispose()
    for row in rows:
        row["result"] = _xcom_value(row["result"])
    return rows


def _xcom_value(value):
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, dict) and "__data__" in value:  # a value Airflow's serde wrapped
        return value["__data__"]
    return value


def task_overhead(tasks: list[dict], task_id: str = "ingest_chunk") -> dict:
    """Airflow's share of the time each `task_id` instance held a worker (one task at a time per worker).

    A task holds its worker from when that worker could have taken it (the later of the end of the
    worker's previous task and the moment the task was ready to run) to its end. Its own work is what
    its code reports (`blocks` / `blocks_per_s`); the rest (queueing, the hand-over through the broker,
    starting the task process, loading the DAG, reporting back) is Airflow's. Per DAG and in all:
    tasks, mean seconds held and inside the code, and the overhead's share of the time held."""
    per_worker: dict[str, list[dict]] = {}
    for task in tasks:
        per_worker.setdefault(task["hostname"] or "?", []).append(task)
    rows = []
    for mine in per_worker.values():
        free_since = None
        for task in sorted(mine, key=lambda t: t["start_date"]):
            result = task["result"] if isinstance(task["result"], dict) else {}
            if task["task_id"] == task_id and result.get("blocks") and result.get("blocks_per_s"):
                ready = task["scheduled_dttm"] or task["queued_dttm"] or task["start_date"]
                held_from = max(ready, free_since) if free_since else ready
                rows.append(
                    {
                        "dag_id": task["dag_id"],
                        "held_s": (task["end_date"] - held_from).total_seconds(),
                        "inside_s": result["blocks"] / result["blocks_per_s"],
                    }
                )
            free_since = task["end_date"] if free_since is None else max(free_since, task["end_date"])

    def summary(some: list[dict]) -> dict:
        held = sum(r["held_s"] for r in some)
        inside = sum(r["inside_s"] for r in some)
        return {
            "tasks": len(some),
            "held_s_mean": round(held / len(some), 2) if some else None,
            "inside_s_mean": round(inside / len(some), 2) if some else None,
            "overhead_share": round((held - inside) / held, 4) if held else None,
        }

    out = summary(rows)
    out["per_dag"] = {
        dag: summary([r for r in rows if r["dag_id"] == dag]) for dag in sorted({r["dag_id"] for r in rows})
    }
    return out


def _pass_timing(config: ClusterConfig, backfill_ids: list[int]) -> dict:
    """From the creation of the first backfill to the end of the last task, by the metadata database."""
    engine = metadata_engine(config)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT (SELECT MIN(created_at) FROM backfill WHERE id IN :ids) AS began, "
                    "(SELECT MAX(ti.end_date) FROM task_instance ti JOIN dag_run r ON r.dag_id = ti.dag_id "
                    "AND r.run_id = ti.run_id WHERE r.backfill_id IN :ids) AS ended"
                ).bindparams(sa.bindparam("ids", expanding=True)),
                {"ids": backfill_ids},
            ).one()
    finally:
        engine.dispose()
    return {"began": row.began, "ended": row.ended, "seconds": (row.ended - row.began).total_seconds()}


def _warehouse_counts(url: str) -> dict:
    from warehouse import db

    events = db.read_sql("SELECT chain, COUNT(*) AS n FROM events GROUP BY chain ORDER BY chain", url=url)
    blocks = db.read_sql(
        "SELECT source, COUNT(*) AS n FROM chain_blocks GROUP BY source ORDER BY source", url=url
    )
    return {
        "events": {r.chain: int(r.n) for r in events.itertuples()},
        "blocks": {r.source: int(r.n) for r in blocks.itertuples()},
    }


def _pass_config(
    base: ClusterConfig, workers: int, latency_ms: float, jitter_ms: float | None
) -> ClusterConfig:
    from dataclasses import replace

    suffix = f"_w{workers}_{latency_ms:g}ms"

    def own(url: str) -> str:
        parsed = sa.engine.make_url(url)
        return parsed.set(database=parsed.database + suffix).render_as_string(hide_password=False)

    return replace(
        base,
        home=base.home / f"workers{workers}-{latency_ms:g}ms",
        workers=workers,
        metadata_url=own(base.metadata_url),
        warehouse_url=own(base.warehouse_url),
        devnet_latency_ms=latency_ms,
        devnet_latency_jitter_ms=jitter_ms,
        # Only the backfills run: no hourly run and no asset-triggered projection beside them.
        extra_env=base.extra_env
        | {
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        },
    )


def run_backfills(
    config: ClusterConfig, runs: list[tuple[str, dict]], logical_date: datetime, timeout: float = 3600
) -> dict:
    """One backfill run of each (DAG, run configuration) of `runs`, all at once, on a running cluster;
    returns when every run has finished, with the pass's timing, what the warehouse holds and the
    per-task overhead."""
    from concurrent.futures import ThreadPoolExecutor

    for dag_id in dict.fromkeys(dag for dag, _ in runs):
        _airflow(config, "dags", "unpause", dag_id)
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        backfills = list(
            pool.map(lambda run: create_backfill(config, run[0], logical_date, logical_date, run[1]), runs)
        )
    deadline = time.monotonic() + timeout
    dag_runs = []
    for backfill in backfills:
        dag_runs += wait_for_backfill(config, backfill, timeout=max(1.0, deadline - time.monotonic()))
    wall = time.perf_counter() - began
    timing = _pass_timing(config, backfills)
    counts = _warehouse_counts(config.warehouse_url)
    events = sum(counts["events"].values())
    tasks = backfill_tasks(config, backfills)
    return {
        "runs": len(dag_runs),
        "tasks": len(tasks),
        "events": events,
        "events_by_chain": counts["events"],
        "blocks_by_source": counts["blocks"],
        "seconds": round(timing["seconds"], 1),
        "wall_seconds": round(wall, 1),
        "events_per_s": round(events / timing["seconds"], 1) if timing["seconds"] > 0 else None,
        "overhead": task_overhead(tasks),
        "workers_used": sorted({t["hostname"] for t in tasks if t["task_id"] == "ingest_chunk"}),
    }


def measure_worker_scaling(
    base: ClusterConfig,
    runs: list[tuple[str, dict]],
    logical_date: datetime,
    *,
    worker_counts: tuple[int, ...] = (1, 2),
    latencies_ms: tuple[float, ...] = (0.0,),
    latency_jitter_ms: float | None = None,
    timeout: float = 3600,
) -> dict:
    """The same backfills (`run_backfills`) through the scheduler with each worker count at each
    latency, each pass on a fresh metadata database and warehouse. The devnet's latency is set for
    each pass: on its command line when it is one of the cluster's processes (`base.devnet`), else on
    its control endpoint (a devnet of its own keeps what it has worked out from pass to pass).

    Returns the passes in the order run (latency, then workers) and, per latency, the rate with the
    most workers over the rate with the fewest (`speedup`)."""
    passes = []
    for latency_ms in latencies_ms:
        for workers in worker_counts:
            config = _pass_config(base, workers, latency_ms, latency_jitter_ms)
            for url in (config.metadata_url, config.warehouse_url):
                drop_postgres_database(url)
            try:
                up(config)
                if not config.devnet:  # else the devnet started with it
                    set_devnet_latency(config, latency_ms, latency_jitter_ms if latency_ms else 0)
                result = run_backfills(config, runs, logical_date, timeout=timeout)
                result["devnet_latency"] = devnet_latency(config)
                result |= {"workers": workers, "latency_ms": latency_ms}
                passes.append(result)
                log.info("cluster pass: %s", result)
            finally:
                down(config)
                for url in (config.metadata_url, config.warehouse_url):
                    drop_postgres_database(url)
    speedup = {}
    for latency_ms in latencies_ms:
        rates = {p["workers"]: p["events_per_s"] for p in passes if p["latency_ms"] == latency_ms}
        low, high = min(rates), max(rates)
        speedup[f"{latency_ms:g}ms"] = (
            round(rates[high] / rates[low], 3) if len(rates) > 1 and rates[low] else None
        )
    return {"passes": passes, "speedup": speedup}
