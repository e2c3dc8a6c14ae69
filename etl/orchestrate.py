"""Run this project's real DAGs outside the scheduler (`dag.test()`), for backfills, the demo and tests."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from etl.dag_defaults import pools_spec
from etl.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

DAGS_FOLDER = PROJECT_ROOT / "dags"


class DagRunFailed(RuntimeError):
    pass


def configure_airflow(home: Path | None = None) -> Path:
    """Point Airflow at this project: its own AIRFLOW_HOME, this dags folder, no example DAGs."""
    home = Path(os.environ.get("AIRFLOW_HOME") or home or PROJECT_ROOT / "airflow_home")
    os.environ["AIRFLOW_HOME"] = str(home)
    os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(DAGS_FOLDER))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    home.mkdir(parents=True, exist_ok=True)
    return home


def ensure_metadata_db() -> None:
    """Create or upgrade Airflow's metadata database once per AIRFLOW_HOME."""
    home = configure_airflow()
    marker = home / ".decai-db-ready"
    if marker.exists():
        return
    airflow_bin = Path(sys.executable).with_name("airflow")
    airflow = str(airflow_bin) if airflow_bin.exists() else "airflow"
    pools = home / "pools.json"
    pools.write_text(json.dumps(pools_spec(), indent=2))
    # The pools matter to a scheduler (`make airflow`); dag.test() runs tasks without them.
    for command in ([airflow, "db", "migrate"], [airflow, "pools", "import", str(pools)]):
        completed = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
        if completed.returncode != 0:
            raise RuntimeError(f"`airflow {' '.join(command[1:])}` failed:\n{completed.stderr[-4000:]}")
    marker.write_text("ok\n")


def load_dag(dag_id: str):
    """The DAG object defined in dags/<dag_id>.py."""
    path = DAGS_FOLDER / f"{dag_id}.py"
    if not path.exists():
        known = sorted(p.stem for p in DAGS_FOLDER.glob("*.py") if not p.stem.startswith("_"))
        raise ValueError(f"no DAG file {path.name}; known DAGs: {known}")
    spec = importlib.util.spec_from_file_location(f"decai_dags.{dag_id}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag


def run_dag(dag_id: str, conf: dict | None = None):
    """Run every task of the DAG in this process with `dag.test()`; raise if any task failed."""
    ensure_metadata_db()
    dag = load_dag(dag_id)
    dag_run = dag.test(run_conf=conf or {})
    state = str(getattr(dag_run, "state", "")).lower()
    if not state.endswith("success"):
        failed = []
        try:
            failed = [ti.task_id for ti in dag_run.get_task_instances() if str(ti.state).endswith("failed")]
        except Exception:  # noqa: BLE001 - the run's own state is the answer either way
            pass
        raise DagRunFailed(
            f"DAG {dag_id} run {conf or {}} ended {state or 'without a state'}; failed tasks: {failed}"
        )
    return dag_run
