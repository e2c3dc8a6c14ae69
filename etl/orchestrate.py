"""Run this project's real DAGs outside the scheduler (`dag.test()`), for backfills, the demo and tests."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


@dataclass(frozen=True)
class TaskFinished:
    """One task instance of a `dag.test()` run that has just finished one try."""

    dag_id: str
    task_id: str
    #: -1 for a task that is not mapped
    map_index: int
    #: "success", "up_for_retry" (failed, will try again) or "failed"
    state: str
    #: the task's return value (its XCom) when it succeeded
    result: Any = None
    error: str | None = None


def _task_listener(dag_id: str, on_task: Callable[[TaskFinished], None]):
    """An Airflow task-instance listener that reports each finished try of `dag_id`'s tasks.

    `dag.test()` runs every task in this process, and the task runner calls the listener hooks as a
    task ends, so the caller learns the plan and each chunk as they finish, not after the run.
    """
    from airflow.listeners import hookimpl

    def map_index_of(ti) -> int:
        index = getattr(ti, "map_index", None)
        return -1 if index is None else int(index)

    class Listener:
        @hookimpl
        def on_task_instance_success(self, previous_state, task_instance):
            if task_instance.dag_id != dag_id:
                return
            index = map_index_of(task_instance)
            try:
                if index >= 0:
                    result = task_instance.xcom_pull(task_ids=task_instance.task_id, map_indexes=index)
                else:
                    result = task_instance.xcom_pull(task_ids=task_instance.task_id)
            except Exception:  # noqa: BLE001 - progress is told without the result then
                result = None
            on_task(TaskFinished(dag_id, task_instance.task_id, index, "success", result))

        @hookimpl
        def on_task_instance_failed(self, previous_state, task_instance, error):
            if task_instance.dag_id != dag_id:
                return
            state = str(getattr(task_instance, "state", "") or "failed").lower().rsplit(".", 1)[-1]
            text = None if error is None else (str(error).strip().splitlines() or [type(error).__name__])[0]
            on_task(
                TaskFinished(
                    dag_id,
                    task_instance.task_id,
                    map_index_of(task_instance),
                    "up_for_retry" if state == "up_for_retry" else "failed",
                    error=text,
                )
            )

    return Listener()


def run_dag(dag_id: str, conf: dict | None = None, on_task: Callable[[TaskFinished], None] | None = None):
    """Run every task of the DAG in this process with `dag.test()`; raise if any task failed.

    `on_task` is called as each try of a task ends (a `TaskFinished`), e.g. to draw progress.
    """
    ensure_metadata_db()
    dag = load_dag(dag_id)
    listener = None
    if on_task is not None:
        from airflow.sdk.listener import get_listener_manager

        listener = _task_listener(dag_id, on_task)
        get_listener_manager().add_listener(listener)
    try:
        dag_run = dag.test(run_conf=conf or {})
    finally:
        if listener is not None:
            get_listener_manager().pm.unregister(listener)
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
