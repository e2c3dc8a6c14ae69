"""The quality page's "Event types by runtime" table: the per-runtime counts the chain suites store in
`dq_results.details`, summed over the stored batches, on DuckDB (details as text) and PostgreSQL (JSONB).
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pandas as pd
import sqlalchemy as sa

from dashboards import charts, queries
from dashboards.pages import quality
from dashboards.state import View
from etl.events import DQRecord, Event
from warehouse import db
from warehouse.store import write_dq_result

FEE = "SubtensorModule.StakeAdded(alpha, coldkey, fee, hotkey, netuid, tao)"
NO_FEE = "SubtensorModule.StakeAdded(alpha, coldkey, hotkey, netuid, tao)"
STREAM = "subtensor-devnet"


def _write(
    url: str,
    suite: str,
    source: str,
    stream: str,
    blocks: tuple[int, int],
    details: dict,
    *,
    batch_id: str | None = "b",
) -> None:
    """One `dq_results` row as the pipeline writes it (`batch_id` None: a batch that failed)."""
    record = DQRecord(suite, 10, 0, 11, 0, 0.1, details=details)
    engine = db.make_engine(url)
    try:
        with engine.begin() as conn:
            write_dq_result(conn, record, source, stream, blocks[0], blocks[1], batch_id)
    finally:
        engine.dispose()


def _unknown(**by_runtime: dict) -> dict:
    """`unknown_event_types_by_runtime` from {runtime: {type: n}} (runtime names with `_` for ` `)."""
    return {
        name.replace("_", " "): {"events": sum(types.values()), "types": types}
        for name, types in by_runtime.items()
    }


def _load(url: str) -> None:
    """Chain batches with known per-runtime counts, and rows the table must leave out."""
    subtensor = "bittensor_events", "subtensor", STREAM
    # First run of blocks [120, 130), superseded by the re-run below: not counted.
    _write(url, *subtensor, (120, 130), {"events_by_runtime": {"spec 343": 50},
           "unknown_event_types_by_runtime": _unknown(spec_343={"Swap.FeeCollected": 50})})  # fmt: skip
    _write(url, *subtensor, (100, 110), {"events_by_runtime": {"spec 342": 10}})
    _write(
        url,
        *subtensor,
        (110, 120),
        {
            "events_by_runtime": {"spec 342": 4, "spec 343": 6},
            "unknown_event_types": {
                "events": 3,
                "types": ["SubtensorModule.StakeAdded", "Swap.FeeCollected"],
            },
            "unknown_event_types_by_runtime": _unknown(
                spec_342={FEE: 1}, spec_343={NO_FEE: 1, "Swap.FeeCollected": 1}
            ),
        },
    )
    _write(
        url,
        *subtensor,
        (120, 130),
        {
            "events_by_runtime": {"spec 343": 5, "spec 344": 3, "spec 1000": 1},
            "unknown_event_types": {"events": 4, "types": ["Swap.FeeCollected"]},
            "unknown_event_types_by_runtime": _unknown(
                spec_343={"Swap.FeeCollected": 1}, spec_344={"Swap.FeeCollected": 3}
            ),
        },
    )
    # A batch that failed validation wrote nothing (batch_id null): not counted.
    _write(url, *subtensor, (130, 140), {"events_by_runtime": {"spec 342": 99},
           "unknown_event_types_by_runtime": _unknown(spec_342={FEE: 99})}, batch_id=None)  # fmt: skip
    # Validated before counts per runtime were kept: only in the note.
    _write(url, *subtensor, (90, 100), {"unknown_event_types": {"events": 4, "types": ["Swap.FeeCollected"]}})
    _write(url, "sahara_staking_events", "cometbft", "sahara-testnet", (10, 20), {
        "events_by_runtime": {"cosmos-sdk v0.50": 7},
        "unknown_event_types_by_runtime": _unknown(**{"cosmos-sdk v0.50": {"cosmos.new_module_event": 1}}),
    })  # fmt: skip
    _write(url, "sahara_contracts_events", "evm", "313313", (10, 20), {
        "events_by_runtime": {"abi 1234abcd": 5},
        "unknown_event_types_by_runtime": _unknown(**{"abi 1234abcd": {"evm.RawLog": 2}}),
    })  # fmt: skip
    # Other suites: not chain events.
    _write(url, "market_quotes", "coingecko", "bittensor", (0, 1), {"events_by_runtime": {"x": 1}})
    _write(url, "reconciliation", "subtensor", STREAM, (0, 1), {"events_by_runtime": {"spec 342": 1}})


#: The table, summed by hand from `_load`.
BITTENSOR_ROWS = [
    {"suite": "bittensor_events", "source": "subtensor", "runtime": "spec 342", "batches": 2, "events": 14,
     "unknown_events": 1, "unknown_share": 0.0714, "unknown_types": f"{FEE}: 1"},
    {"suite": "bittensor_events", "source": "subtensor", "runtime": "spec 343", "batches": 2, "events": 11,
     "unknown_events": 3, "unknown_share": 0.2727, "unknown_types": f"Swap.FeeCollected: 2; {NO_FEE}: 1"},
    {"suite": "bittensor_events", "source": "subtensor", "runtime": "spec 344", "batches": 1, "events": 3,
     "unknown_events": 3, "unknown_share": 1.0, "unknown_types": "Swap.FeeCollected: 3"},
    {"suite": "bittensor_events", "source": "subtensor", "runtime": "spec 1000", "batches": 1, "events": 1,
     "unknown_events": 0, "unknown_share": 0.0, "unknown_types": ""},
]  # fmt: skip
SAHARA_ROWS = [
    {"suite": "sahara_contracts_events", "source": "evm", "runtime": "abi 1234abcd", "batches": 1, "events": 5,
     "unknown_events": 2, "unknown_share": 0.4, "unknown_types": "evm.RawLog: 2"},
    {"suite": "sahara_staking_events", "source": "cometbft", "runtime": "cosmos-sdk v0.50", "batches": 1,
     "events": 7, "unknown_events": 1, "unknown_share": 0.1429, "unknown_types": "cosmos.new_module_event: 1"},
]  # fmt: skip
OLDER_NOTE = (
    "1 batches validated before events were counted per runtime had 4 events of unknown types; "
    "they are not in the table."
)


def _view(chain: str = "both") -> View:
    return View(date(2026, 1, 1), date(2026, 1, 15), None, chain=chain)


def _records(frame: pd.DataFrame) -> list[dict]:
    return [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def test_event_types_by_runtime_are_the_sum_over_stored_chain_batches(warehouse_url):
    _load(warehouse_url)
    frame = quality.runtime_types_frame(warehouse_url, _view())
    assert list(frame.columns) == quality.RUNTIME_COLUMNS
    assert _records(frame) == BITTENSOR_ROWS + SAHARA_ROWS
    assert frame.attrs["notes"] == [OLDER_NOTE]
    # The chain filter keeps that chain's sources.
    assert _records(quality.runtime_types_frame(warehouse_url, _view("bittensor"))) == BITTENSOR_ROWS
    sahara = quality.runtime_types_frame(warehouse_url, _view("sahara"))
    assert _records(sahara) == SAHARA_ROWS and sahara.attrs["notes"] == []

    # What the page shows: the table with those rows, and the note; its CSV holds the same rows.
    shown = charts.render(quality.PANEL["runtime-types"], warehouse_url, _view())
    table, note = shown.children
    assert table.id == "runtime-types-table" and table.export_format == "csv"
    assert table.data == BITTENSOR_ROWS + SAHARA_ROWS
    assert note.children == OLDER_NOTE
    csv = charts.csv_frame(quality.PANEL["runtime-types"].data(warehouse_url, _view())).to_csv(index=False)
    back = pd.read_csv(io.StringIO(csv), keep_default_na=False)
    assert _records(back) == BITTENSOR_ROWS + SAHARA_ROWS


def test_the_read_is_bounded_to_the_newest_batches_and_says_so(duckdb_url, monkeypatch):
    _load(duckdb_url)
    batches, truncated = queries.dq_batch_details(duckdb_url, quality.CHAIN_SUITES, limit=2)
    assert truncated and len(batches) == 2
    assert batches["details"].map(type).tolist() == [dict, dict]  # parsed from DuckDB's text
    # The newest two let through: the EVM and CometBFT batches.
    assert sorted(batches["source"]) == ["cometbft", "evm"]
    monkeypatch.setattr(queries, "DQ_DETAILS_LIMIT", 2)
    frame = quality.runtime_types_frame(duckdb_url, _view())
    assert _records(frame) == SAHARA_ROWS
    assert frame.attrs["notes"] == ["Counted over the newest 2 validated batches; older ones are left out."]


def test_the_table_has_an_empty_state_and_an_unmigrated_warehouse_reads_as_empty(duckdb_url, tmp_path):
    panel = quality.PANEL["runtime-types"]
    (empty,) = charts.render(panel, duckdb_url, _view()).children
    assert empty.id == "runtime-types-empty"
    assert empty.children == "No chain batch in the warehouse has event counts per runtime yet."
    # Sahara only, filtered to Bittensor: empty too, and the CSV is the header.
    _write(duckdb_url, "sahara_staking_events", "cometbft", "sahara-testnet", (10, 20),
           {"events_by_runtime": {"cosmos-sdk v0.50": 7}})  # fmt: skip
    (empty,) = charts.render(panel, duckdb_url, _view("bittensor")).children
    assert "No chain batch of Bittensor" in empty.children
    csv = charts.csv_frame(panel.data(duckdb_url, _view("bittensor"))).to_csv(index=False)
    assert csv.strip() == ",".join(quality.RUNTIME_COLUMNS)
    unmigrated = f"duckdb:///{tmp_path / 'new.duckdb'}"
    assert quality.runtime_types_frame(unmigrated, _view()).empty


def test_counts_from_the_chain_suite_reach_the_table(warehouse_url):
    """The details the Bittensor suite writes, not hand-made ones: one batch across the upgrade."""
    from etl.validate.chain_events import validate_chain_events

    def event(block: int, spec: int, event_type: str, payload: dict, index: int = 0) -> Event:
        when = datetime.fromtimestamp(1_768_000_000 + 12 * block, UTC)
        return Event(
            "bittensor", "subtensor", block, f"1.{index}", event_type, when, payload, spec_version=spec
        )

    stake = {"coldkey": "5Alice", "hotkey": "5Bob", "tao": "1000", "alpha": "900", "netuid": 3}
    batch = [
        event(100, 342, "SubtensorModule.StakeAdded", stake),
        event(101, 342, "SubtensorModule.StakeAdded", {**stake, "fee": "0"}),  # no fee before spec 343
        event(102, 343, "SubtensorModule.StakeAdded", {**stake, "fee": "0"}),
        event(103, 343, "SubtensorModule.StakeAdded", stake),  # spec 343 always has the fee
        event(104, 343, "Swap.FeeCollected", {"amount": "3"}),
        event(105, 343, "Swap.FeeCollected", {"amount": "2"}, index=1),
    ]
    checked = validate_chain_events(batch, family="bittensor", start=100, end=110)
    _write(warehouse_url, "bittensor_events", "subtensor", STREAM, (100, 110), checked.record.details)
    frame = quality.runtime_types_frame(warehouse_url, _view("bittensor"))
    assert _records(frame) == [
        {"suite": "bittensor_events", "source": "subtensor", "runtime": "spec 342", "batches": 1, "events": 2,
         "unknown_events": 1, "unknown_share": 0.5, "unknown_types": f"{FEE}: 1"},
        {"suite": "bittensor_events", "source": "subtensor", "runtime": "spec 343", "batches": 1, "events": 4,
         "unknown_events": 3, "unknown_share": 0.75, "unknown_types": f"Swap.FeeCollected: 2; {NO_FEE}: 1"},
    ]  # fmt: skip


def test_the_quality_page_has_the_card_with_its_csv_button_and_download(duckdb_url):
    from dashboards.app import create_app

    engine = db.make_engine(duckdb_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO ingest_checkpoints (source, stream, position, batch_id, updated_at) "
                    "VALUES ('subtensor', :stream, 129, 'b', :now)"),
            {"stream": STREAM, "now": datetime(2026, 1, 15)},
        )  # fmt: skip
    engine.dispose()
    app = create_app(duckdb_url)
    with app.server.app_context():
        page = quality.layout()
    ids = _ids(page)
    assert {"runtime-types", "runtime-types-csv", "runtime-types-download", "runtime-types-freshness"} <= ids
    texts = _texts(page)
    assert "Event types by runtime" in texts
    outputs = " ".join(app.callback_map)
    assert "runtime-types.children" in outputs and "runtime-types-download.data" in outputs


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            yield from _walk(child)


def _ids(component) -> set[str]:
    return {c.id for c in _walk(component) if isinstance(getattr(c, "id", None), str)}


def _texts(component) -> set[str]:
    return {c.children for c in _walk(component) if isinstance(getattr(c, "children", None), str)}
