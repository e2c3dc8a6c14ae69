"""The data dictionary where SQL users look: every table, view and column of a migrated warehouse carries a
comment in the database's own catalogue (DuckDB and PostgreSQL), `decai catalog` prints what is stored,
and the event catalog matches the contracts and decoders the connectors use.

The catalogue is read here with the engines' own SQL, not with the code that writes the comments.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from warehouse import db, dictionary

ROOT = Path(__file__).resolve().parent.parent

#: Every column of every table and view of the schema (PostgreSQL partitions included), with both comments.
CATALOGUE = {
    "duckdb": """
        SELECT c.table_name, c.column_name, c.comment,
               COALESCE(t.comment, v.comment) AS table_comment
        FROM duckdb_columns() c
        LEFT JOIN duckdb_tables() t ON t.table_oid = c.table_oid
        LEFT JOIN duckdb_views() v ON v.view_oid = c.table_oid
        WHERE NOT c.internal AND c.schema_name = current_schema() AND c.database_name = current_database()
        ORDER BY c.table_name, c.column_index
    """,
    "postgresql": """
        SELECT k.relname, a.attname, col_description(k.oid, a.attnum), obj_description(k.oid, 'pg_class')
        FROM pg_attribute a
        JOIN pg_class k ON k.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = k.relnamespace
        WHERE n.nspname = current_schema() AND k.relkind IN ('r', 'p', 'v') AND a.attnum > 0
          AND NOT a.attisdropped
        ORDER BY k.relname, a.attnum
    """,
}


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def undocumented(url: str) -> list[str]:
    """`table.column` of every column whose comment is missing, says nothing beyond the column's own
    name, or states no unit; `table` for every table or view without a comment naming its grain."""
    engine = sa.create_engine(db.resolve_url(url)) if url.startswith("postgresql") else db.make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(CATALOGUE[engine.dialect.name]).fetchall()
    finally:
        engine.dispose()
    problems = []
    for table, column, comment, table_comment in rows:
        if not table_comment or "Grain:" not in table_comment:
            problems.append(table)
        text = (comment or "").strip()
        meaning = text.split("Unit:")[0]
        if not text or "Unit:" not in text or len(_words(meaning) - _words(column.replace("_", " "))) < 2:
            problems.append(f"{table}.{column}")
    return sorted(set(problems))


def test_every_column_of_every_table_and_view_has_a_comment_in_the_catalogue(warehouse_url):
    if warehouse_url.startswith("postgresql"):
        # The event store's partitions are made as batches arrive; each shows its parent's comments.
        from warehouse.partitions import ensure_partitions

        engine = db.make_engine(warehouse_url)
        with engine.begin() as conn:
            assert ensure_partitions(conn, [("bittensor", date(2026, 1, 1))]) == [
                "events_bittensor",
                "events_bittensor_202601",
            ]
        engine.dispose()
    missing = undocumented(warehouse_url)
    assert missing == [], (
        "tables, views and columns without a useful comment (give each an entry in "
        "warehouse/dictionary.py): " + ", ".join(missing)
    )


def test_the_comments_say_what_the_figures_mean_in_the_catalogue(warehouse_url):
    engine = sa.create_engine(db.resolve_url(warehouse_url))
    with engine.connect() as conn:
        if engine.dialect.name == "duckdb":
            column = conn.exec_driver_sql(
                "SELECT comment FROM duckdb_columns() WHERE table_name = 'ecosystem_daily' "
                "AND column_name = 'staking_ratio'"
            ).scalar()
            table = conn.exec_driver_sql(
                "SELECT comment FROM duckdb_tables() WHERE table_name = 'ecosystem_daily'"
            ).scalar()
        else:
            column = conn.exec_driver_sql(
                "SELECT col_description('ecosystem_daily'::regclass, "
                "(SELECT attnum FROM pg_attribute WHERE attrelid = 'ecosystem_daily'::regclass "
                "AND attname = 'staking_ratio'))"
            ).scalar()
            table = conn.exec_driver_sql(
                "SELECT obj_description('ecosystem_daily'::regclass, 'pg_class')"
            ).scalar()
    engine.dispose()
    assert "root TAO stake + Σ SubnetTAO of the other subnets) ÷ TotalIssuance" in column
    assert column.endswith("Unit: ratio 0..1.")
    assert table.endswith("Grain: one row per chain per UTC day.")


def test_a_table_without_entry_is_named_and_a_recreated_view_gets_its_comments_back(duckdb_url):
    engine = db.make_engine(duckdb_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE stake_surprises (netuid INTEGER, amount_rao DECIMAL(38, 0))")
        # DuckDB drops a view's comments when the view is created again (as a migration may do).
        conn.exec_driver_sql(
            "CREATE OR REPLACE VIEW v_market_daily AS SELECT coin_id, day, price_usd, market_cap_usd, "
            "total_volume_usd, quotes FROM market_caps_daily"
        )
    engine.dispose()
    assert undocumented(duckdb_url) == [
        "stake_surprises",
        "stake_surprises.amount_rao",
        "stake_surprises.netuid",
        "v_market_daily",
        *(f"v_market_daily.{c}" for c in ("coin_id", "day", "market_cap_usd", "price_usd", "quotes",
                                          "total_volume_usd")),
    ]  # fmt: skip
    db.migrate(duckdb_url)  # writes the dictionary again: the view is described, the new table is not
    assert undocumented(duckdb_url) == [
        "stake_surprises",
        "stake_surprises.amount_rao",
        "stake_surprises.netuid",
    ]
    assert db.sync_comments(duckdb_url) == []  # nothing left to write: a re-run changes nothing


def test_every_dictionary_entry_is_a_stored_table_or_view_column(duckdb_url):
    """No stale entry: each described table, view and column exists in the migrated warehouse."""
    engine = db.make_engine(duckdb_url)
    with engine.connect() as conn:
        stored = {
            (t, c)
            for t, c in conn.exec_driver_sql(
                "SELECT table_name, column_name FROM duckdb_columns() WHERE NOT internal"
            ).fetchall()
        }
    engine.dispose()
    described = {(r.name, c) for r in dictionary.RELATIONS.values() for c in r.columns}
    assert sorted(described - stored) == []


def test_every_worked_example_query_runs_on_the_read_path(warehouse_url):
    examples = {name: r.example for name, r in dictionary.RELATIONS.items() if r.example}
    assert {r.name for r in dictionary.VIEWS} <= set(examples)  # every v_* view has one
    for name, sql in examples.items():
        frame = db.read_sql(sql, url=warehouse_url)
        assert frame is not None, name


# ------------------------------------------------------------------------------------ event catalog


def test_the_event_catalog_has_every_contract_event_with_the_abi_fields():
    from etl.contracts import events_by_topic0

    for spec in events_by_topic0().values():
        entry = dictionary.EVENT_TYPES.get(spec.event_type)
        assert entry is not None, f"{spec.event_type} (an ABI event) is not in the event catalog"
        names = [n for n, _ in (*spec.indexed, *spec.data)]
        # A registered token's events also carry its network and registry entry (etl.sources.evm).
        token = (
            {"network", "chain_id", "token_symbol", "token_decimals"} if spec.contract == "ERC20" else set()
        )
        assert set(entry.fields) == {*names, "contract", "tx_hash", *token}, spec.event_type
        assert entry.source == "evm" and entry.chain == "sahara"


def test_the_event_catalog_names_the_decoded_subtensor_fields():
    from etl.sources.subtensor_codec import FIELD_NAMES

    for (pallet, name), layouts in FIELD_NAMES.items():
        entry = dictionary.EVENT_TYPES[f"{pallet}.{name}"]
        newest = layouts[max(layouts)]
        assert set(entry.fields) == set(newest), entry.event_type
    # The runtime history: the swap fee comes with spec 343.
    assert "spec 343" in dictionary.EVENT_TYPES["SubtensorModule.StakeAdded"].runtimes


def test_every_event_type_the_projections_read_is_in_the_catalog():
    read = set()
    for path in (ROOT / "warehouse").rglob("*.py"):
        read |= set(re.findall(r"'((?:[A-Z][A-Za-z]+|staking|mint|market)\.[A-Za-z_]+)'", path.read_text()))
    read = {t for t in read if not t.endswith(".json")}
    assert "SubtensorModule.EmissionObserved" in read and "mint.mint" in read
    assert sorted(read - set(dictionary.EVENT_TYPES)) == []


def test_every_amount_field_of_the_catalog_says_its_base_unit():
    from etl.catalog import is_amount_field

    base_units = ("rao", "usah", "alpha base units", "atto")
    for event in dictionary.EVENTS:
        for name, spec in event.fields.items():
            if is_amount_field(name) and event.source != "coingecko":
                assert any(u in spec.unit for u in base_units), f"{event.event_type}.{name}: {spec.unit}"


# ---------------------------------------------------------------------------------------- decai catalog


def _decai(*args: str, url: str) -> subprocess.CompletedProcess:
    """`decai` as a user runs it (the console script's module), on the warehouse at `url`."""
    env = {**os.environ, "WAREHOUSE_URL": url, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "etl.cli", "catalog", *args], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip


def test_decai_catalog_prints_what_the_database_stores(warehouse_url):
    engine = db.make_engine(warehouse_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("COMMENT ON TABLE quarantine IS 'Rows set aside, as an analyst rewrote it'")
    engine.dispose()
    run = _decai("-f", "json", url=warehouse_url)
    assert run.returncode == 0, run.stderr
    tables = {t["name"]: t for t in json.loads(run.stdout)}
    assert tables["quarantine"]["comment"] == "Rows set aside, as an analyst rewrote it"
    assert tables["v_comparison_daily"]["kind"] == "view" and tables["events"]["kind"] == "table"
    assert tables["ecosystem_daily"]["comment"].endswith("Grain: one row per chain per UTC day.")
    assert all(t["comment"] for t in tables.values())

    run = _decai("ecosystem_daily", url=warehouse_url)
    assert run.returncode == 0, run.stderr
    line = next(line for line in run.stdout.splitlines() if "emission_native" in line)
    assert re.search(r"DECIMAL\(38,\s?18\)|numeric\(38,18\)", line)
    assert "TAO minted by the day's blocks (7,200 before the 2025-12-12 halving" in line


def test_decai_catalog_names_an_unknown_table(duckdb_url):
    run = _decai("ecosystem_dialy", url=duckdb_url)
    assert run.returncode == 2
    assert "no table or view named 'ecosystem_dialy' (did you mean ecosystem_daily" in run.stderr


def test_decai_catalog_events_lists_types_with_source_runtimes_fields_and_units(duckdb_url):
    run = _decai("--events", "-f", "json", url=duckdb_url)
    assert run.returncode == 0, run.stderr
    events = {e["event_type"]: e for e in json.loads(run.stdout)}
    staked = events["SubtensorModule.StakeAdded"]
    assert staked["source"] == "subtensor" and "spec 343" in staked["runtimes"]
    fee = next(f for f in staked["fields"] if f["field"] == "fee")
    assert fee["unit"].startswith("rao")
    paid = next(f for f in events["DataServices.RewardPaid"]["fields"] if f["field"] == "amount")
    assert paid["unit"].startswith("usah")
    run = _decai("--events", url=duckdb_url)
    assert "market.Quote" in run.stdout and "Every other Cosmos SDK event type" in run.stdout
