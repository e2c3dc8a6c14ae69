"""How the Sahara staking events read as validator sets and bonded-token flows, in SQL.

Shared by the `validators` mart (`warehouse.projections.sahara`) and the as-of state
(`warehouse.asof`), so both read the events the same way. Fragments take their bounds as SQL
conditions on the `events` table (alias `e`, and `d` for the distribution events).
"""

from __future__ import annotations

#: The set observed at height H carries the bonded tokens after block H - ANCHOR_LAG.
ANCHOR_LAG = 1
#: usah per whole SAHARA: voting power = bonded usah // POWER_REDUCTION.
POWER_REDUCTION = "CAST('1000000000000000000' AS NUMERIC(38, 0))"


def _amount_atto(alias: str) -> str:
    """A distribution amount in atto-usah as a double (exact decimal amounts exceed NUMERIC(38))."""
    return (
        f"CAST(COALESCE({alias}.payload->>'amount_atto_usah', "
        f"{alias}.payload->>'amount_usah' || '000000000000000000') AS DOUBLE PRECISION)"
    )


def validator_set_sql(observed_filter: str, events_filter: str) -> str:
    """Observed validators matched to their operators; `observed_filter` picks the
    `staking.ValidatorObserved` events (alias e), `events_filter` bounds the distribution events
    (alias d) read at their heights."""
    return f"""
    WITH observed AS (
        SELECT e.event_id, e.seq, e.block_number, e.block_time,
               CAST(split_part(e.position, '.', 2) AS INTEGER) AS set_position,
               e.payload->>'address' AS consensus_address,
               CAST(e.payload->>'voting_power' AS BIGINT) AS voting_power,
               CAST(e.payload->>'proposer_priority' AS BIGINT) AS proposer_priority,
               CAST(e.payload->>'validator_count' AS INTEGER) AS validator_count
        FROM events e
        WHERE e.event_type = 'staking.ValidatorObserved' AND {observed_filter}
    ),
    shares AS (
        SELECT observed.*,
               CAST(voting_power AS DOUBLE PRECISION)
                   / NULLIF(SUM(voting_power) OVER (PARTITION BY block_number), 0) AS power_share
        FROM observed
    ),
    heights AS (SELECT DISTINCT block_number FROM observed),
    distribution AS (
        SELECT d.event_type, d.block_number, d.payload->>'validator' AS operator_address,
               {_amount_atto("d")} AS amount_atto,
               CAST(split_part(d.position, '.', 2) AS INTEGER) AS event_index
        FROM events d
        JOIN heights h ON d.chain = 'sahara' AND d.source = 'cometbft' AND d.block_number = h.block_number
        WHERE d.event_type IN ('distribution.rewards', 'distribution.commission')
          AND d.position LIKE 'fb.%' AND {events_filter}
    ),
    rewards AS (
        SELECT block_number, operator_address, amount_atto,
               ROW_NUMBER() OVER (PARTITION BY block_number ORDER BY event_index) - 1 AS set_position,
               amount_atto / NULLIF(SUM(amount_atto) OVER (PARTITION BY block_number), 0) AS reward_share
        FROM distribution WHERE event_type = 'distribution.rewards'
    ),
    commissions AS (
        SELECT block_number, operator_address, SUM(amount_atto) AS amount_atto
        FROM distribution WHERE event_type = 'distribution.commission'
        GROUP BY block_number, operator_address
    )
    SELECT s.event_id, s.seq, s.block_number, s.block_time, s.set_position, s.consensus_address,
           s.voting_power, s.proposer_priority, s.validator_count, r.operator_address,
           r.amount_atto AS reward_atto_usah, c.amount_atto AS commission_atto_usah
    FROM shares s
    LEFT JOIN rewards r
      ON r.block_number = s.block_number AND r.set_position = s.set_position
     AND ABS(r.reward_share - s.power_share) <= 1e-6
    LEFT JOIN commissions c ON c.block_number = r.block_number AND c.operator_address = r.operator_address
    """


_OK = "COALESCE(e.payload->>'tx_code', '0') = '0'"
#: (side, event type, validator attribute, sign, delegator attribute) of each flow.
_FLOW_SIDES = (
    ("delegate", "staking.delegate", "validator", "", "delegator"),
    ("unbond", "staking.unbond", "validator", "-", "delegator"),
    ("redelegate_out", "staking.redelegate", "source_validator", "-", "delegator"),
    ("redelegate_in", "staking.redelegate", "destination_validator", "", "delegator"),
    ("create", "staking.create_validator", "validator", "", None),
)


def delegation_flows_sql(bound: str) -> str:
    """(validator, delegator, amount_usah signed, block_time, block_number, event_id) of every
    delegation change between a delegator and a validator (self-bonds excluded); `bound` filters the
    events (alias e)."""
    parts = []
    for _side, event_type, validator, sign, delegator in _FLOW_SIDES:
        if delegator is None:
            continue
        parts.append(
            f"SELECT e.payload->>'{validator}' AS validator, e.payload->>'{delegator}' AS delegator, "
            f"{sign}CAST(e.payload->>'amount_usah' AS NUMERIC(38, 0)) AS amount_usah, e.block_time, "
            f"e.block_number, e.event_id FROM events e "
            f"WHERE e.event_type = '{event_type}' AND {_OK} AND {bound}"
        )
    return "\nUNION ALL\n".join(parts)


def staking_flows_sql(bound: str) -> str:
    """(event_id, side, seq, validator, delegator, amount_usah signed, block_number, block_time) of every
    change of a validator's bonded tokens, self-bonds included; `bound` filters the events (alias e)."""
    return "\nUNION ALL\n".join(
        f"SELECT e.event_id, '{side}' AS side, e.seq, e.payload->>'{validator}' AS validator, "
        + (f"e.payload->>'{delegator}'" if delegator else "CAST(NULL AS VARCHAR(96))")
        + f" AS delegator, {sign}CAST(e.payload->>'amount_usah' AS NUMERIC(38, 0)) AS amount_usah, "
        f"e.block_number, e.block_time "
        f"FROM events e WHERE e.event_type = '{event_type}' AND {_OK} AND {bound}"
        for side, event_type, validator, sign, delegator in _FLOW_SIDES
    )
