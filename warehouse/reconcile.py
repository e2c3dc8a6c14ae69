"""Economic reconciliation and chain audits over the warehouse, stored in `dq_results`.

Each check compares what the warehouse holds with a fact it must obey, and says which rows break it:

- `event_counts`: per source and day, the events each block reported equal the events stored plus the
  ones quarantined (observation events, which the chain does not count, are left out);
- `block_emission`: the TAO emitted per block across subnets (latest `SubnetObserved` of each subnet)
  is 1 TAO before the first halving (2025-12-12) and 0.5 TAO after, within 1%;
- `emission_split`: each subnet epoch pays 41% to miners (`IncentiveAlphaEmittedToMiners`), 41% to
  validators and 18% to the owner, where the epoch's emission is known from two consecutive
  `SubnetObserved` (blocks since the previous step x alpha per block) and the UIDs' share from the
  metagraph (`stg_bittensor_neurons`);
- `supply_caps`: supply never exceeds 21M TAO or 10B SAHARA;
- `market_cap_consistency`: the supply implied by market cap / price stays under the cap, moves less
  than 5% a day, and for TAO lies within 3% of the issuance schedule (10.5M at the halving, then
  3,600 TAO a day; 7,200 a day before).
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import pandas as pd

from etl.events import DQRecord
from warehouse import db
from warehouse.store import write_dq_result

FIRST_HALVING = datetime(2025, 12, 12)
CAPS = {"bittensor": 21_000_000.0, "sahara": 10_000_000_000.0}
COIN_CHAIN = {"bittensor": "bittensor", "sahara-ai": "sahara"}


def _tao_schedule(day) -> float:
    days = (pd.Timestamp(day) - pd.Timestamp(FIRST_HALVING)).total_seconds() / 86400
    return 10_500_000.0 + (3_600.0 * days if days >= 0 else 7_200.0 * days)


def check_event_counts(url: str | None) -> dict:
    frame = db.read_sql(
        """
        WITH stored AS (
            SELECT source, block_number, COUNT(*) AS n FROM events
            WHERE chain <> 'market' AND position NOT LIKE 'obs.%' AND position NOT LIKE 'val.%'
            GROUP BY source, block_number
        ),
        held AS (SELECT source, block_number, COUNT(*) AS n FROM quarantine GROUP BY source, block_number)
        SELECT b.source, CAST(date_trunc('day', b.block_time) AS DATE) AS day,
               SUM(b.event_count) AS reported, SUM(COALESCE(s.n, 0)) AS stored, SUM(COALESCE(h.n, 0)) AS quarantined
        FROM chain_blocks b
        LEFT JOIN stored s ON s.source = b.source AND s.block_number = b.block_number
        LEFT JOIN held h ON h.source = b.source AND h.block_number = b.block_number
        GROUP BY b.source, CAST(date_trunc('day', b.block_time) AS DATE)
        ORDER BY 1, 2
        """,
        url=url,
    )
    bad = frame[frame["reported"] != frame["stored"] + frame["quarantined"]]
    return {
        "check": "event_counts",
        "checked": len(frame),
        "failures": [
            f"{r.source} {r.day}: source reported {int(r.reported)} events, stored {int(r.stored)} + "
            f"quarantined {int(r.quarantined)}"
            for r in bad.itertuples()
        ],
    }


def check_block_emission(url: str | None) -> dict:
    frame = db.read_sql(
        """
        SELECT block_time, payload->>'netuid' AS netuid, CAST(payload->>'emission' AS DOUBLE PRECISION) AS rao
        FROM (
            SELECT block_time, payload,
                   ROW_NUMBER() OVER (PARTITION BY payload->>'netuid' ORDER BY block_number DESC) AS rn
            FROM events WHERE event_type = 'SubtensorModule.SubnetObserved'
        ) t WHERE rn = 1
        """,
        url=url,
    )
    if frame.empty:
        return {"check": "block_emission", "checked": 0, "failures": []}
    observed = frame["rao"].sum() / 1e9
    at = pd.Timestamp(frame["block_time"].max())
    expected = 1.0 if at < pd.Timestamp(FIRST_HALVING) else 0.5
    failures = []
    if abs(observed - expected) > 0.01 * expected:
        failures.append(
            f"{observed:.6f} TAO per block across {len(frame)} subnets at {at}, expected {expected}"
        )
    return {"check": "block_emission", "checked": 1, "failures": failures, "observed": observed}


def _payload(value) -> dict:
    import json

    return value if isinstance(value, dict) else json.loads(value)


def check_emission_split(url: str | None, tolerance: float = 1e-3) -> dict:
    subnets = db.read_sql(
        "SELECT block_number, payload FROM events WHERE event_type = 'SubtensorModule.SubnetObserved' "
        "ORDER BY block_number",
        url=url,
    )
    miner_pool = {}
    for row in db.read_sql(
        "SELECT block_number, payload FROM events WHERE event_type = 'SubtensorModule.IncentiveAlphaEmittedToMiners'",
        url=url,
    ).itertuples():
        payload = _payload(row.payload)
        miner_pool[(int(payload["netuid"]), int(row.block_number))] = sum(
            int(x) for x in payload["emissions"]
        )
    try:
        uids = db.read_sql(
            "SELECT netuid, block_number, SUM(emission_rao) AS total FROM stg_bittensor_neurons GROUP BY 1, 2",
            url=url,
        )
    except Exception:  # noqa: BLE001 - before the Bittensor projection exists there is nothing to check
        uids = pd.DataFrame(columns=["netuid", "block_number", "total"])
    uid_total = {(int(r.netuid), int(r.block_number)): int(r.total) for r in uids.itertuples()}
    steps: dict[int, list[tuple[int, int, int]]] = {}
    for row in subnets.itertuples():
        payload = _payload(row.payload)
        steps.setdefault(int(payload["netuid"]), []).append(
            (
                int(row.block_number),
                int(payload.get("last_step") or 0),
                int(payload.get("alpha_out_emission") or 0),
            )
        )
    checked, failures = 0, []
    for netuid, observed in steps.items():
        for (_, previous_step, _), (block, step, alpha_per_block) in zip(
            observed, observed[1:], strict=False
        ):
            key = (netuid, block)
            if not alpha_per_block or key not in uid_total or key not in miner_pool or step <= previous_step:
                continue  # the root network emits no alpha; an epoch needs its previous step
            emission = (step - previous_step) * alpha_per_block
            shares = {
                "miners": miner_pool[key] / emission,
                "validators": (uid_total[key] - miner_pool[key]) / emission,
                "owner": (emission - uid_total[key]) / emission,
            }
            checked += 1
            for part, expected in (("miners", 0.41), ("validators", 0.41), ("owner", 0.18)):
                if abs(shares[part] - expected) > tolerance:
                    failures.append(
                        f"subnet {netuid} epoch at block {block}: {part} got {shares[part]:.4%} of the emission, "
                        f"expected {expected:.0%}"
                    )
    return {"check": "emission_split", "checked": checked, "failures": failures}


def check_supply_caps(url: str | None) -> dict:
    frame = db.read_sql("SELECT chain, day, supply_tokens FROM ecosystem_daily", url=url)
    failures = [
        f"{r.chain} {r.day}: supply {r.supply_tokens:,.0f} above the cap {CAPS[r.chain]:,.0f}"
        for r in frame.itertuples()
        if r.supply_tokens is not None
        and r.supply_tokens == r.supply_tokens
        and r.supply_tokens > CAPS[r.chain]
    ]
    return {"check": "supply_caps", "checked": len(frame), "failures": failures}


def check_market_caps(url: str | None) -> dict:
    frame = db.read_sql(
        "SELECT coin_id, day, market_cap_usd / price_usd AS supply FROM market_caps_daily WHERE price_usd > 0 "
        "ORDER BY coin_id, day",
        url=url,
    )
    failures = []
    for coin, group in frame.groupby("coin_id"):
        chain = COIN_CHAIN.get(coin, coin)
        previous = None
        for row in group.itertuples():
            if row.supply > CAPS.get(chain, float("inf")):
                failures.append(f"{coin} {row.day}: implied supply {row.supply:,.0f} above the cap")
            if previous is not None and previous > 0 and abs(row.supply / previous - 1) > 0.05:
                failures.append(
                    f"{coin} {row.day}: implied supply moved {row.supply / previous - 1:+.1%} in a day"
                )
            if coin == "bittensor":
                schedule = _tao_schedule(row.day)
                if abs(row.supply / schedule - 1) > 0.03:
                    failures.append(
                        f"{coin} {row.day}: implied supply {row.supply:,.0f} is not within 3% of the issuance "
                        f"schedule {schedule:,.0f}"
                    )
            previous = row.supply
    return {"check": "market_cap_consistency", "checked": len(frame), "failures": failures}


CHECKS = (
    check_event_counts,
    check_block_emission,
    check_emission_split,
    check_supply_caps,
    check_market_caps,
)


def reconcile(url: str | None = None, *, record: bool = True) -> list[dict]:
    """Run every check; with `record`, store each outcome in `dq_results` (suite `reconciliation`)."""
    results = []
    engine = db.make_engine(url) if record else None
    try:
        for check in CHECKS:
            started = time.perf_counter()
            result = check(url)
            result["seconds"] = round(time.perf_counter() - started, 3)
            results.append(result)
            if engine is not None:
                outcome = DQRecord(
                    suite="reconciliation",
                    rows_validated=result["checked"],
                    rows_quarantined=0,
                    expectations_evaluated=1,
                    expectations_failed=1 if result["failures"] else 0,
                    run_seconds=result["seconds"],
                    details={"failures": result["failures"][:50]},
                    failed_batch=bool(result["failures"]),
                )
                today = int(datetime.combine(date.today(), datetime.min.time(), tzinfo=UTC).timestamp())
                with db.begin(engine) as conn:
                    write_dq_result(conn, outcome, "warehouse", result["check"], today, today + 86400, None)
    finally:
        if engine is not None:
            engine.dispose()
    return results
