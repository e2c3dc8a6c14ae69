"""README's benchmark table is what `decai bench --readme` writes from the newest committed full result.

The table is never written by hand: the README must equal what the command would write now, a quick
run is never its source (even when it is newer), a run left uncommitted changes nothing, and with no
full result committed the block says exactly that.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bench import readme

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_table_is_what_the_command_writes_from_the_newest_committed_full_result():
    text = (ROOT / "README.md").read_text()
    assert text.count(readme.BEGIN) == 1 and text.count(readme.END) == 1
    assert text == readme.expected_readme(ROOT), (
        "README's benchmark table is stale: run `decai bench --readme`"
    )
    found = readme.newest_full_result(ROOT)
    body = text.split(readme.BEGIN, 1)[1].split(readme.END, 1)[0].strip()
    if found is None:
        assert body == readme.NO_FULL_RESULT
    else:
        name, result = found
        assert result["scale"] == "full" and f"From `{name}`" in body


def _result(scale: str, finished: str, decode: float, commit: str = "c0ffee1234abcdef") -> dict:
    return {
        "scale": scale,
        "command": "decai bench --results bench/results" + (" --quick" if scale == "quick" else ""),
        "commit": commit,
        "dirty": False,
        "changed_files": [],
        "events": 10_000_003 if scale == "full" else 200_104,
        "machine": "2 cores, 24 GiB, Some CPU, Python 3.11.7",
        "load_before": [1.5, 1.2, 1.0],
        "load_after": [2.25, 1.8, 1.1],
        "finished_at": finished,
        "failed": {},
        "figures": [
            {
                "key": "decode_speedup",
                "value": decode,
                "unit": "ratio",
                "baseline": "async-substrate-interface get_events per block",
                "baseline_value": 1234.5,
                "baseline_unit": "events/s",
                "goal": "≥ 5",
                "met": decode >= 5,
                "failed": "",
            },
            {
                "key": "bittensor_decode_only_events_per_s",
                "value": 64000.0,
                "unit": "events/s",
                "baseline": "",
                "baseline_value": None,
                "goal": "",
                "met": None,
                "failed": "",
            },
        ],  # fmt: skip
    }


def _repo(tmp_path: Path, results: dict[str, dict], uncommitted: dict[str, dict] | None = None) -> Path:
    """A git checkout holding a README with the markers and `results` committed in bench/results."""
    folder = tmp_path / "bench" / "results"
    folder.mkdir(parents=True)
    (tmp_path / "README.md").write_text(f"# Project\n\n{readme.BEGIN}\nold\n{readme.END}\n\nafter\n")
    for name, result in results.items():
        (folder / name).write_text(json.dumps(result))

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
                       cwd=tmp_path, check=True, capture_output=True)  # fmt: skip

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "results")
    for name, result in (uncommitted or {}).items():
        (folder / name).write_text(json.dumps(result))
    return tmp_path


def test_a_quick_run_is_never_the_tables_source_even_when_newer(tmp_path):
    repo = _repo(
        tmp_path,
        {
            "2026-01-10-c0ffee1234.json": _result("full", "2026-01-10T12:00:00+00:00", 5.14),
            "2026-01-12-c0ffee1234-quick.json": _result("quick", "2026-01-12T09:00:00+00:00", 9.99),
        },
        uncommitted={"2026-01-13-deadbeef00.json": _result("full", "2026-01-13T09:00:00+00:00", 7.77)},
    )
    name, result = readme.newest_full_result(repo)
    assert name == "bench/results/2026-01-10-c0ffee1234.json" and result["figures"][0]["value"] == 5.14
    with pytest.raises(readme.NotAFullResult, match="quick run"):
        readme.table(_result("quick", "2026-01-12T09:00:00+00:00", 9.99), "x-quick.json")
    with pytest.raises(readme.NotAFullResult):
        readme.table(_result("custom", "2026-01-12T09:00:00+00:00", 9.99), "x-custom.json")


def test_the_table_shows_the_results_values_and_where_they_come_from(tmp_path, monkeypatch):
    repo = _repo(tmp_path, {"2026-01-10-c0ffee1234.json": _result("full", "2026-01-10T12:00:00+00:00", 5.14)})
    monkeypatch.setattr(readme, "REPO", repo)
    out = CliRunner().invoke(_app(), ["bench", "--readme"])
    assert out.exit_code == 0, out.output
    assert "bench/results/2026-01-10-c0ffee1234.json" in out.output
    text = (repo / "README.md").read_text()
    assert (
        text.startswith("# Project\n\n") and text.endswith(f"{readme.END}\n\nafter\n") and "old" not in text
    )
    # Worked out from the JSON above by hand: a figure with a goal, its baseline value and the verdict.
    assert "| `decode_speedup` | 5.14 ratio | 1,234.5 events/s (async-substrate-interface get_events per block) | ≥ 5 | yes |" in text  # fmt: skip
    assert "bittensor_decode_only_events_per_s" not in text  # no goal, no baseline: JSON only
    assert "`decai bench --results bench/results` on commit `c0ffee1234`, 10,000,003 events" in text
    assert "load (1-minute average) 1.5 before the run, 2.25 after it" in text
    assert readme.expected_readme(repo) == text  # a second run changes nothing


def test_with_no_full_result_committed_the_block_says_so(tmp_path, monkeypatch):
    repo = _repo(
        tmp_path, {"2026-01-12-c0ffee1234-quick.json": _result("quick", "2026-01-12T09:00:00", 9.99)}
    )
    assert readme.newest_full_result(repo) is None
    readme.update_readme(repo)
    body = (repo / "README.md").read_text().split(readme.BEGIN)[1].split(readme.END)[0]
    assert body.strip() == readme.NO_FULL_RESULT
    (repo / "README.md").write_text("# no markers\n")
    with pytest.raises(readme.ReadmeError, match="markers"):
        readme.update_readme(repo)


def _app():
    from etl.cli import app

    return app
