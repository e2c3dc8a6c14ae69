"""Market data end to end through the pipeline functions: bad input is quarantined, nothing is lost."""

import json

import pytest
import sqlalchemy as sa

from etl.pipeline.market import QuarantineShareExceeded, ingest_coin_window, ingest_market_window
from tests.conftest import DEVNET_NOW
from warehouse import db

DAY = 86400
START, END = DEVNET_NOW - 2 * DAY, DEVNET_NOW  # 48 hourly quotes per coin


def _rows(url: str, sql: str) -> list:
    engine = db.make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(sql)).all()
    engine.dispose()
    return rows


def test_bad_values_are_quarantined_with_reasons_and_the_rest_loads(coingecko_conn, warehouse_url, faults):
    faults(
        {"kind": "mutate", "path": "/api/v3", "pointer": "/prices/3/1", "value": -12.5},
        {"kind": "mutate", "path": "/api/v3", "pointer": "/prices/5/1", "value": "n/a"},
        {"kind": "mutate", "path": "/api/v3", "pointer": "/market_caps/7/0", "value": (END + 7200) * 1000},
    )
    summary = ingest_coin_window(coingecko_conn, "bittensor", START, END, warehouse_url=warehouse_url)
    # market_caps[7] moved to another timestamp: the quote at that hour lacks a market cap, and
    # a lone market cap appears outside the interval. 48 + 1 rows came in.
    assert summary["rows_in"] == 49
    assert summary["rows_in"] == summary["rows_loaded"] + summary["rows_quarantined"]
    assert summary["rows_quarantined"] == 4
    reasons = dict(_rows(warehouse_url, "SELECT position, reason FROM quarantine"))
    t3, t5, t7 = ((START + i * 3600) * 1000 for i in (3, 5, 7))
    assert "price must be greater than 0 (value: -12.5)" in reasons[f"bittensor@{t3}"]
    assert "price 'n/a' is not a number" in reasons[f"bittensor@{t5}"]
    assert "market cap is missing" in reasons[f"bittensor@{t7}"]
    assert "outside the requested interval" in reasons[f"bittensor@{(END + 7200) * 1000}"]
    dq = _rows(
        warehouse_url, "SELECT suite, outcome, rows_validated, rows_quarantined, success FROM dq_results"
    )
    assert dq == [("market_quotes", "quarantined", 49, 4, False)]
    rules = {r[0] for r in _rows(warehouse_url, "SELECT rule FROM quarantine")}
    assert "expect_column_values_to_be_between(price_usd)" in rules and "parse_number" in rules
    assert _rows(warehouse_url, "SELECT COUNT(*) FROM events")[0][0] == 45


def test_a_body_that_stays_truncated_is_quarantined_whole(coingecko_conn, duckdb_url, faults, monkeypatch):
    faults({"kind": "truncate", "path": "/api/v3/coins/sahara-ai", "count": 100})
    import etl.sources.coingecko as cg

    original = cg.CoinGeckoClient.__init__

    def fast(self, *a, **k):
        original(self, *a, **{**k, "backoff_initial": 0.01, "max_attempts": 3})

    monkeypatch.setattr(cg.CoinGeckoClient, "__init__", fast)
    summary = ingest_coin_window(
        coingecko_conn, "sahara-ai", START, END, warehouse_url=duckdb_url, max_quarantine_share=1.0
    )
    assert summary["rows_in"] == 1 and summary["rows_quarantined"] == 1
    (rule, reason, raw) = _rows(duckdb_url, "SELECT rule, reason, raw FROM quarantine")[0]
    assert rule == "parse_body" and "not valid JSON" in reason and raw.startswith('{"prices"')


def test_too_many_bad_rows_fail_the_batch_and_write_nothing(coingecko_conn, duckdb_url, faults):
    faults(
        *({"kind": "mutate", "path": "/api/v3", "pointer": f"/prices/{i}/1", "value": 0} for i in range(30))
    )
    with pytest.raises(QuarantineShareExceeded, match="30 of 48 rows failed validation"):
        ingest_coin_window(coingecko_conn, "bittensor", START, END, warehouse_url=duckdb_url)
    assert _rows(duckdb_url, "SELECT COUNT(*) FROM events")[0][0] == 0
    assert _rows(duckdb_url, "SELECT COUNT(*) FROM ingest_batches")[0][0] == 0
    # The failed validation itself is on record, for the data-quality page.
    assert _rows(duckdb_url, "SELECT suite, outcome, rows_quarantined, batch_id FROM dq_results") == [
        ("market_quotes", "failed", 30, None)
    ]


def test_duplicate_quotes_in_one_answer_are_quarantined_once(coingecko_conn, duckdb_url, faults):
    first = (START + 3600) * 1000
    faults(
        {"kind": "mutate", "path": "/api/v3", "pointer": "/prices/2/0", "value": first},
        {"kind": "mutate", "path": "/api/v3", "pointer": "/market_caps/2/0", "value": first},
        {"kind": "mutate", "path": "/api/v3", "pointer": "/total_volumes/2/0", "value": first},
    )
    summary = ingest_coin_window(coingecko_conn, "bittensor", START, END, warehouse_url=duckdb_url)
    assert summary["rows_in"] == 48 and summary["rows_quarantined"] == 1
    (reason,) = _rows(duckdb_url, "SELECT reason FROM quarantine")[0]
    assert "came already" in reason


def test_a_window_of_both_coins_is_one_validation_run_and_one_batch_per_coin(
    coingecko_conn, warehouse_url, faults
):
    faults({"kind": "mutate", "path": "/api/v3/coins/sahara-ai", "pointer": "/prices/4/1", "value": 0})
    summaries = ingest_market_window(
        coingecko_conn, ["bittensor", "sahara-ai"], START, END, warehouse_url=warehouse_url
    )
    assert {coin: (s["rows_in"], s["rows_quarantined"]) for coin, s in summaries.items()} == {
        "bittensor": (48, 0),
        "sahara-ai": (48, 1),
    }
    assert _rows(warehouse_url, "SELECT position, rule FROM quarantine") == [
        (f"sahara-ai@{(START + 4 * 3600) * 1000}", "expect_column_values_to_be_between(price_usd)")
    ]
    results = _rows(
        warehouse_url,
        "SELECT stream, outcome, rows_validated, rows_quarantined, expectations_failed, details FROM dq_results "
        "ORDER BY stream",
    )
    assert [r[:5] for r in results] == [
        ("bittensor", "passed", 48, 0, 0),
        ("sahara-ai", "quarantined", 48, 1, 1),
    ]
    runs = [json.loads(r[5]) if isinstance(r[5], str) else r[5] for r in results]
    assert (
        runs[0]["gx_run"]
        == runs[1]["gx_run"]
        == {
            "name": f"coingecko_bittensor+sahara-ai_{START}_{END}",
            "batches": 2,
            "rows_validated": 96,
        }
    )
    assert _rows(warehouse_url, "SELECT COUNT(*) FROM events")[0][0] == 95


def test_a_coin_above_the_threshold_writes_nothing_and_the_other_coin_is_written(
    coingecko_conn, duckdb_url, faults
):
    faults(
        *(
            {"kind": "mutate", "path": "/api/v3/coins/sahara-ai", "pointer": f"/prices/{i}/1", "value": -1}
            for i in range(30)
        )
    )
    with pytest.raises(QuarantineShareExceeded) as refused:
        ingest_market_window(coingecko_conn, ["bittensor", "sahara-ai"], START, END, warehouse_url=duckdb_url)
    assert "coingecko sahara-ai" in str(refused.value) and "30 of 48 rows failed validation" in str(
        refused.value
    )
    assert "nothing was written for sahara-ai" in str(refused.value) and "written: bittensor" in str(
        refused.value
    )
    # Market events are positioned by coin: only bittensor's 48 quotes were stored.
    assert _rows(duckdb_url, "SELECT position, COUNT(*) FROM events GROUP BY position") == [("bittensor", 48)]
    assert _rows(duckdb_url, "SELECT stream FROM ingest_batches") == [("bittensor",)]
    assert _rows(duckdb_url, "SELECT stream, outcome FROM dq_results ORDER BY stream") == [
        ("bittensor", "passed"),
        ("sahara-ai", "failed"),
    ]


def test_an_unknown_coin_is_refused_before_anything_is_fetched(coingecko_conn, duckdb_url):
    with pytest.raises(ValueError, match="unknown coin id 'tao'; expected one of"):
        ingest_market_window(coingecko_conn, ["bittensor", "tao"], START, END, warehouse_url=duckdb_url)
    assert _rows(duckdb_url, "SELECT COUNT(*) FROM dq_results")[0][0] == 0
