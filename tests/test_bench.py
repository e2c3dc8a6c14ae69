"""`decai bench` at a size CI can afford: every figure the issue asks for comes out as a number, and the
benchmark's history is what the production connectors ingest from the devnet, streamed in batches.

The full run (10M events) is `make bench`, on demand; here `BenchSizes.tiny()` runs every stage on a
few thousand events (Bittensor at the devnet's test scale), so the figures themselves mean little.
"""

from __future__ import annotations

import json
import math

import pytest

from bench.runner import BenchHistory, BenchSizes, run_bench
from bench.sahara_history import SaharaHistory
from bench.subtensor_history import SubtensorHistory
from etl.sources.cometbft import CometBFTSource
from etl.sources.evm import EvmSource
from etl.sources.subtensor import SubtensorSource
from tests.conftest import DEVNET_NOW

#: The figures issues 8 and 19 list, in the JSON `decai bench` writes, with the goals the issues set.
ISSUE_GOALS = {
    "decode_speedup": "≥ 5",
    "decode_vs_limit": "≥ 0.8",
    "append_vs_bulk": "≥ 0.5",
    "incremental_vs_full": "≤ 0.05",
    "new_projections_incremental_vs_full": "≤ 0.05",
    "callback_p95_ms": "< 300",
    "ingest_vs_limit": "≥ 0.6",
    "latency_80ms_vs_0ms": "≥ 0.8",
    "devnet_serving_events_per_s": "≥ 50000",
    "peak_rss_mb_ingest_small": "< 1500",
    "peak_rss_mb_ingest_large": "< 1500",
    "peak_rss_mb_rebuild_small": "< 1500",
    "peak_rss_mb_rebuild_large": "< 1500",
}
#: Figures with a baseline from the same run but no goal of their own.
ISSUE_FIGURES = [
    "ingest_events_per_s",
    "ingest_vs_serving",
    "callback_p50_ms",
    "reconcile_incremental_vs_full",
    "backfill_events_per_s_80ms",
]


@pytest.fixture(scope="module")
def tiny_bench(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("bench")
    path = folder / "bench.json"
    report = run_bench(
        sizes=BenchSizes.tiny(), json_path=path, results_dir=folder / "results", workdir=folder / "work"
    )
    result = json.loads(path.read_text())
    result["_workdir"] = folder / "work"
    result["_written"] = [str(p.relative_to(folder)) for p in report.written]
    result["_results"] = {p.name: json.loads(p.read_text()) for p in (folder / "results").iterdir()}
    return result


def test_the_json_says_how_the_run_came_about(tiny_bench):
    """The run is reproducible from its JSON: command, commit, events, machine and load, and its
    scale (a tiny run is neither "full" nor "quick", so it can never feed README's table)."""
    assert tiny_bench["scale"] == "custom"
    assert tiny_bench["command"] and tiny_bench["machine"].split(",")[0].endswith("cores")
    assert tiny_bench["events"] == tiny_bench["details"]["history"]["rows"] >= BenchSizes.tiny().history
    commit = tiny_bench["commit"]
    assert commit == "unknown" or (len(commit) == 40 and int(commit, 16) >= 0)
    assert isinstance(tiny_bench["dirty"], bool) and isinstance(tiny_bench["changed_files"], list)
    assert len(tiny_bench["load_before"]) == len(tiny_bench["load_after"]) == 3
    assert tiny_bench["started_at"] <= tiny_bench["finished_at"]
    # The same JSON lands in the results folder as <date>-<commit>-<scale>.json.
    name = f"{tiny_bench['finished_at'][:10]}-{commit[:10]}-custom.json"
    assert tiny_bench["_written"] == ["bench.json", f"results/{name}"]
    assert tiny_bench["_results"][name]["figures"] == tiny_bench["figures"]


def test_every_figure_of_the_issues_has_its_baseline_from_the_same_run_and_its_goal(tiny_bench):
    figures = {f["key"]: f for f in tiny_bench["figures"]}
    for key in [*ISSUE_GOALS, *ISSUE_FIGURES]:
        figure = figures[key]
        assert tiny_bench[key] == figure["value"], key
        assert (
            isinstance(figure["value"], int | float)
            and math.isfinite(figure["value"])
            and figure["value"] > 0
        )
        baseline = figure["baseline_value"]
        assert isinstance(baseline, int | float) and math.isfinite(baseline) and baseline > 0, (key, baseline)
        assert figure["baseline"] and figure["baseline_unit"], key
        assert figure["goal"] == ISSUE_GOALS.get(key, ""), key
        if key in ISSUE_GOALS:
            assert figure["met"] in (True, False), figure
    # Ingest against what decode and append alone allow on the same events: 1 / (1/decode + 1/append).
    limit = figures["ingest_vs_limit"]
    timings = tiny_bench["details"]["ingest_limit"]
    assert limit["baseline_value"] == pytest.approx(
        tiny_bench["details"]["ingest_rows"] / (timings["decode_seconds"] + timings["append_seconds"]),
        rel=0.01,
    )
    assert limit["value"] == pytest.approx(
        tiny_bench["ingest_events_per_s"] / limit["baseline_value"], rel=0.01
    )
    # Nothing failed in a clean run: both decoders read the same events, the recorded answers gave the
    # ingest's rows again.
    assert tiny_bench["failed"] == {} and not figures["decode_speedup"]["failed"]
    assert tiny_bench["details"]["subtensor_measure"]["events_match"] is True
    for stage in (
        "ingest_end_to_end",
        "history",
        "append_vs_bulk",
        "rebuild_small",
        "rebuild_large",
        "incremental",
        "reconcile",
        "callbacks",
    ):
        assert tiny_bench["details"]["stage_seconds"][stage] > 0


def test_every_panel_of_every_page_is_timed_and_the_headline_is_the_worst_callback(tiny_bench):
    from dashboards.pages import PAGE_MODULES

    timed = tiny_bench["details"]["callbacks_ms"]
    for module in PAGE_MODULES:
        page = module.__name__.rsplit(".", 1)[-1]
        assert f"{page}.layout" in timed  # the page itself, which resolves the default view
        for panel in getattr(module, "PANELS", []):
            assert f"{page}.{panel.id}" in timed, panel.id  # its default view
            if "as_of" in panel.inputs:
                assert f"{page}.{panel.id}[as_of]" in timed, panel.id
            if "netuid" in panel.inputs:
                assert f"{page}.{panel.id}[netuid]" in timed, panel.id
    assert all(0 < t["p50"] <= t["p95"] for t in timed.values())
    worst = max(t["p95"] for t in timed.values())
    assert tiny_bench["callback_p95_ms"] == worst
    assert timed[tiny_bench["details"]["callback_worst"]]["p95"] == worst


def test_the_incremental_run_counts_what_the_warehouse_holds_and_refuses_events_it_already_holds(tiny_bench):
    """The set-aside 1% went in as new events (the warehouse grew by exactly them); offered again to
    the same warehouse, the bench refuses to time a run over events it already holds."""
    from bench.runner import IncrementalRefused, stage_incremental

    incremental = tiny_bench["details"]["incremental"]
    history = tiny_bench["details"]["history"]
    assert incremental["rows"] == incremental["offered_events"] > 0
    assert 0 < incremental["events_before"] <= history["rows"]
    note = {f["key"]: f for f in tiny_bench["figures"]}["incremental_vs_full"]["note"]
    assert f"{incremental['rows']:,} events actually new" in note
    # Every network-fundamentals projection has rows actually new: signed extrinsics, a Sahara
    # transaction, a SAHARA token transfer.
    new = incremental["new_by_type"]
    assert sum(new.values()) == incremental["rows"]
    assert all(
        new.get(t, 0) > 0 for t in ("System.ExtrinsicObserved", "tx.TransactionObserved", "ERC20.Transfer")
    )
    figure = {f["key"]: f for f in tiny_bench["figures"]}["new_projections_incremental_vs_full"]
    assert (
        "nothing new" not in figure["note"] and f"{new['ERC20.Transfer']:,} ERC20.Transfer" in figure["note"]
    )
    seconds = tiny_bench["details"]["projection_seconds"]
    names = ("bittensor_accounts", "sahara_activity", "erc20_tokens", "subnet_daily", "network_daily")
    assert figure["baseline_value"] == pytest.approx(sum(seconds[n]["full"] for n in names), abs=0.01)
    workdir = tiny_bench["_workdir"]
    url = f"duckdb:///{workdir / 'history.duckdb'}"
    with pytest.raises(
        IncrementalRefused, match=f"already holds {incremental['rows']:,} of the {incremental['rows']:,}"
    ):
        stage_incremental(url=url, extra_path=str(workdir / "extra.pickle"))


def test_the_benchmark_warehouse_holds_the_requested_history_of_all_three_feeds(tiny_bench):
    history = tiny_bench["details"]["history"]
    wanted = BenchSizes.tiny()
    # A batch is never cut, so a little more than asked, never less.
    assert wanted.history <= history["rows"] < 1.5 * wanted.history
    assert wanted.small_history <= history["small"]["rows"] < wanted.history
    assert all(history["rows_by_chain"][chain] > 0 for chain in ("bittensor", "sahara", "market"))
    assert history["sample_rows"] >= wanted.bulk_sample
    assert history["extra_rows"] >= wanted.history // 100  # the 1% for the incremental run
    assert tiny_bench["details"]["incremental"]["offered_events"] <= history["extra_rows"]
    # Peak memory at the small size is read on the way to the large one: it cannot be above it.
    assert tiny_bench["peak_rss_mb_ingest_small"] <= tiny_bench["peak_rss_mb_ingest_large"]


def test_the_bittensor_history_is_what_the_connector_reads_from_the_devnet(devnet):
    """Same seed and scale as the test devnet: System.Events through the in-process routes and the
    metagraph read off the simulator's walk give exactly the connector's events over HTTP."""
    history = SubtensorHistory(seed=7, scale=0.05, now=DEVNET_NOW)
    try:
        fetches = [history.next_fetch(250) for _ in range(5)]  # across window ends (361 blocks)
    finally:
        history.close()
    start, end = fetches[0].start, fetches[-1].end
    assert [f.start for f in fetches[1:]] == [f.end for f in fetches[:-1]]
    with SubtensorSource(devnet.endpoints["subtensor"]) as source:
        expected = source.fetch(start, end)
    got = {e.event_id: e for f in fetches for e in f.events}
    want = {e.event_id: e for e in expected.events}
    assert len(got) == sum(len(f.events) for f in fetches)
    assert got.keys() == want.keys()
    assert all(got[k].payload == want[k].payload and got[k].block_time == want[k].block_time for k in want)
    observed = [e for e in want.values() if e.event_type == "SubtensorModule.NeuronObserved"]
    assert len(observed) > 100  # the metagraph part is really compared
    signed = [e for e in want.values() if e.event_type == "System.ExtrinsicObserved"]
    assert len(signed) > 100  # and so are the signed extrinsics of the block bodies
    assert [b for f in fetches for b in f.blocks] == expected.blocks


def test_the_bittensor_history_pages_each_day_s_accounts_as_the_connector_does(devnet):
    """Across the first UTC midnight (block 7,200 is the first block of 2025-12-02), the history's
    System.Account snapshot of 2025-12-01, taken off its walk of the simulator, is page for page the
    connector's over HTTP from the devnet, which replays the chain to block 7,199."""
    history = SubtensorHistory(seed=7, scale=0.05, now=DEVNET_NOW)
    try:
        while history.cursor < 7_200:
            history.next_fetch(min(361, 7_200 - history.cursor))  # a fetch never crosses a window's end
        fetched = history.next_fetch(10)
    finally:
        history.close()
    assert (fetched.start, fetched.end) == (7_200, 7_210) and not fetched.quarantined
    with SubtensorSource(devnet.endpoints["subtensor"]) as source:
        expected = source.fetch(fetched.start, fetched.end)
    pages = [e for e in fetched.events if e.event_type == "System.AccountsObserved"]
    assert [(e.block_number, e.payload["day"], e.payload["at_block"]) for e in pages] == [
        (7_200, "2025-12-01", 7_199)
    ] * len(pages)
    assert sum(len(e.payload["accounts"]) for e in pages) > 1_000  # every account of the devnet's day
    want = {e.event_id: e.payload for e in expected.events}
    assert {e.event_id: e.payload for e in fetched.events} == want


def test_the_sahara_history_is_what_the_connectors_read_from_the_devnet(devnet):
    history = SaharaHistory(seed=7, scale=0.05, now=DEVNET_NOW, start_time=DEVNET_NOW - 86400)
    try:
        fetched = history.next_fetches(40)
    finally:
        history.close()
    for source, got in fetched:
        reader = {"cometbft": CometBFTSource, "evm": EvmSource}[source.source](
            devnet.endpoints[source.source]
        )
        try:
            want = reader.fetch(got.start, got.end)
        finally:
            reader.close()
        assert [(e.event_id, e.payload) for e in got.events] == [(e.event_id, e.payload) for e in want.events]
        assert got.blocks == want.blocks
    assert sum(len(f.events) for _, f in fetched) > 40


def test_history_batches_continue_the_same_chains_without_overlap_and_keep_the_mix():
    history = BenchHistory(scale=0.05)
    try:
        first = list(history.batches(3_000))
        more = list(history.batches(600))
    finally:
        history.close()
    rows = sum(b.rows for b in first)
    assert 3_000 <= rows < 4_500
    sahara = sum(b.rows for b in first if b.source in ("cometbft", "evm"))
    assert 0.05 < sahara / rows < 0.2  # the Sahara share (10%) holds while streaming
    assert {b.source for b in first} == {"subtensor", "cometbft", "evm", "coingecko"}
    ids = [e.event_id for b in first + more for e in b.events]
    assert len(ids) == len(set(ids)), "an event was produced twice"
    ranges: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for batch in first + more:
        ranges.setdefault((batch.source, batch.stream), []).append((batch.start, batch.end))
    for key, spans in ranges.items():
        assert all(b[0] == a[1] for a, b in zip(spans, spans[1:], strict=False)), f"{key}: gap or overlap"
    assert "subtensor" in {b.source for b in more}


def test_bench_refuses_a_work_directory_that_holds_files(tmp_path):
    from typer.testing import CliRunner

    from etl.cli import app

    (tmp_path / "warehouse.duckdb").write_bytes(b"not mine to overwrite")
    result = CliRunner().invoke(app, ["bench", "--quick", "--workdir", str(tmp_path)])
    assert result.exit_code == 2 and "is not empty" in " ".join(result.output.split())
    assert (tmp_path / "warehouse.duckdb").read_bytes() == b"not mine to overwrite"


def test_decode_speedup_fails_the_bench_when_the_two_decoders_read_different_events(
    devnet, faults, monkeypatch
):
    """The node's HTTP answer for one block's System.Events is altered to an empty list (the WebSocket
    path async-substrate-interface reads is not): the connector sees fewer events, so the speedup
    would compare different work. The figure is marked failed, the JSON says so, and `decai bench`
    exits 1."""
    from typer.testing import CliRunner

    from bench.runner import BenchReport, decode_figures
    from bench.subtensor_history import measure
    from etl.cli import app
    from etl.sources.subtensor import EVENTS_KEY

    with SubtensorSource(devnet.endpoints["subtensor"]) as source:
        head = source.finalized_head()
        start = head - 12
        altered = source.block_hashes([start + 5])[0]
    clean = measure(devnet.endpoints, start, head, rounds=1)
    assert clean["events_match"] and clean["events"] == clean["get_events_events"] > 12
    assert not any(f.failed for f in decode_figures(clean))

    faults({"kind": "mutate", "path": "/subtensor", "rpc_method": "state_getStorage",
            "rpc_params": [EVENTS_KEY, altered], "pointer": "/result", "value": "0x00", "count": 1000})  # fmt: skip
    tampered = measure(devnet.endpoints, start, head, rounds=1)
    assert tampered["events_match"] is False
    assert tampered["events"] < tampered["get_events_events"] == clean["get_events_events"]
    speedup = {f.key: f for f in decode_figures(tampered)}["decode_speedup"]
    assert speedup.met() is False and "decoded different events" in speedup.failed
    assert f"connector {tampered['events']:,}" in speedup.failed

    report = BenchReport(size="test", machine="test")
    for figure in decode_figures(tampered):
        report.add(figure)
    assert report.as_json()["failed"] == {"decode_speedup": speedup.failed}
    monkeypatch.setattr("bench.runner.run_bench", lambda **_kwargs: report)
    result = CliRunner().invoke(app, ["bench", "--quick"])
    assert result.exit_code == 1
    assert "decode_speedup failed" in " ".join(result.output.split())


def test_the_backfill_is_timed_at_0_and_at_80_ms_on_the_same_chunks(tiny_bench):
    """Backfill per worker through the task code with no latency and with the devnet holding every
    request 80 ms or more: the same chunks of every source give the same events, the slow pass really
    waited (the devnet's own count of held requests, each at least 80 ms), and the ratio is the
    events/s at 80 ms over those at 0 ms."""
    result = tiny_bench["details"]["backfill_latency"]
    zero, slow = result["passes"]["0ms"], result["passes"]["80ms"]
    assert set(zero["per_source"]) == set(slow["per_source"]) == {"subtensor", "cometbft", "evm"}
    for name, per in zero["per_source"].items():
        assert per["events"] == slow["per_source"][name]["events"] > 0
        assert per["blocks"] == slow["per_source"][name]["blocks"] > 0
        assert per["new"] == per["events"]  # a fresh warehouse each pass: every event is new
    held = slow["devnet_latency"]
    assert held["ms"] == 80 and held["requests_delayed"] > 0
    assert held["seconds_delayed"] >= 0.080 * held["requests_delayed"]
    assert "devnet_latency" not in zero
    assert tiny_bench["latency_80ms_vs_0ms"] == pytest.approx(
        slow["events_per_s"] / zero["events_per_s"], abs=0.002
    )
    assert tiny_bench["backfill_events_per_s_0ms"] == zero["events_per_s"]
    assert tiny_bench["backfill_blocks_per_s_80ms"] == slow["blocks_per_s"]
