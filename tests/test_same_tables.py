"""The refactor check's checksum: the same rows are the same table, a changed value is not."""

from __future__ import annotations

import duckdb

from bench.same_tables import compare, relation_checksums

ROWS = [
    ("bittensor", "2026-01-14", "7200000000000", '{"netuid": 1, "tao": "3.5"}', 0.52070033240095),
    ("sahara", "2026-01-14", "1000000000000000000", '{"validator": "x", "amount": "9"}', 0.47322418),
    ("bittensor", "2026-01-15", "3600000000000", '{"netuid": 2, "tao": "0"}', 0.1),
]


def _warehouse(path, rows, ingested_at="2026-12-03 07:00:00"):
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE events (seq INTEGER, chain VARCHAR, day DATE, amount_rao VARCHAR, payload JSON, "
        "ratio DOUBLE, ingested_at TIMESTAMP)"
    )
    # seq is the append position, as the event store numbers rows: it follows the insert order
    con.executemany(
        "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(seq, *r, ingested_at) for seq, r in enumerate(rows, start=1)],
    )
    con.execute("CREATE VIEW v_bittensor AS SELECT day, amount_rao FROM events WHERE chain = 'bittensor'")
    con.close()
    return relation_checksums(path)


def test_the_same_rows_inserted_in_another_order_at_another_time_are_equal(tmp_path):
    first = _warehouse(tmp_path / "a.duckdb", ROWS)
    # reversed order (so other seq numbers), an hour later: both are how the rows were written, not what
    # they say, and are left out of the checksum
    second = _warehouse(tmp_path / "b.duckdb", ROWS[::-1], ingested_at="2026-12-03 08:00:00")

    result = compare(first, second)

    assert {t: e["rows"] for t, e in result["equal"].items()} == {"events": 3, "v_bittensor": 2}
    assert result["differ"] == [] and result["only_in_a"] == {} and result["only_in_b"] == {}
    assert first["events"]["excluded"] == ["seq", "ingested_at"]


def test_a_changed_amount_differs_and_a_dropped_view_is_named(tmp_path):
    first = _warehouse(tmp_path / "a.duckdb", ROWS)
    changed = [ROWS[0], ("sahara", "2026-01-14", "1000000000000000001", *ROWS[1][3:]), ROWS[2]]
    _warehouse(tmp_path / "b.duckdb", changed)
    con = duckdb.connect(str(tmp_path / "b.duckdb"))
    con.execute("DROP VIEW v_bittensor")
    con.close()
    second = relation_checksums(tmp_path / "b.duckdb")

    result = compare(first, second)

    assert [d["table"] for d in result["differ"]] == ["events"]
    assert result["differ"][0]["a"]["rows"] == result["differ"][0]["b"]["rows"] == 3
    assert result["differ"][0]["a"]["sha256"] != result["differ"][0]["b"]["sha256"]
    assert result["differ"][0]["columns"] == {
        "only_in_a": [],
        "only_in_b": [],
        "values_differ": ["amount_rao"],
    }
    assert result["only_in_a"] == {"v_bittensor": 2}


def test_json_key_order_and_the_last_bit_of_a_double_are_not_changes(tmp_path):
    """Parallel float sums differ in the last bit between identical runs; a payload is a document."""
    first = _warehouse(tmp_path / "a.duckdb", ROWS)
    noisy = [("bittensor", "2026-01-14", "7200000000000", '{"tao": "3.5", "netuid": 1}', 0.52070033240098)]
    second = _warehouse(tmp_path / "b.duckdb", noisy + ROWS[1:])
    off_in_the_tenth_digit = [(*ROWS[0][:4], 0.5207003325), *ROWS[1:]]
    third = _warehouse(tmp_path / "c.duckdb", off_in_the_tenth_digit)

    assert compare(first, second)["differ"] == []
    assert [d["table"] for d in compare(first, third)["differ"]] == ["events"]
