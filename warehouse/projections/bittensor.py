"""Bittensor projections: the staging table of metagraph observations and the marts built on it.

- `stg_bittensor_neurons` — grain: one row per `SubtensorModule.NeuronObserved` event (one UID of one
  subnet at one epoch block). Typed and renamed only: u16 scores / 65535 -> 0..1, stake and emission
  as NUMERIC rao. Appended from the new events; an event is never observed twice, so nothing is
  recomputed.
- `miners` — grain: one row per (netuid, uid, hotkey) whose latest observation holds no validator
  permit (or that registered and was not observed yet). Registration from `NeuronRegistered`;
  deregistration is the first block after the hotkey's last sighting at which another hotkey holds
  the UID (its registration, or an observation when the registration predates the ingested history).
  Incentive, emission, stake and `earns` (emission > 0) come from the latest observation;
  `total_emission_rao` sums the emission of every observed epoch.
- `validators`, rows with chain = 'bittensor' — grain: one row per (netuid, hotkey) whose latest
  observation holds a validator permit; `validator_id` = "netuid:hotkey". Stake, dividends,
  validator_trust and emission from that observation. The table is shared with the Sahara projection,
  so these statements only ever delete or insert chain = 'bittensor' rows (the table is not in
  `tables`; a replay from position 0 empties the Bittensor rows itself).
- `subnets` — grain: one row per netuid. Owner, tempo, pool (tao_in, alpha_in, alpha_out), emission
  and alpha price (tao_in / alpha_in, as the chain reports it) from the latest `SubnetObserved`;
  registration from `NetworkAdded` (else the `network_registered_at` the chain reports), removal from a
  `NetworkRemoved` later than both; miner and validator counts from the subnet's latest epoch in
  staging. `emission_share` = the subnet's TAO emission per block over the sum of every live
  subnet's, recomputed from the (small) table itself after each run.

Every mart row carries `event_id`: the observation it shows (the registration when there is none).

Incremental by position: only the keys the new events touch — (netuid, uid) for miners, (netuid,
hotkey) for validators, netuid for subnets — are deleted and recomputed, from staging (indexed on
those keys) and the few registration and subnet events, so the result does not depend on how the
events were split into runs.
"""

from warehouse.projections.base import Projection, register

U16_MAX = 65535
WINDOW = "seq > :lo AND seq <= :hi"


def _score(field: str) -> str:
    return f"CAST(payload->>'{field}' AS DOUBLE PRECISION) / {U16_MAX}"


STAGE_NEURONS = f"""
    INSERT INTO stg_bittensor_neurons
        (event_id, block_number, block_time, netuid, uid, hotkey, coldkey, stake_rao, emission_rao,
         rank, incentive, dividends, consensus, trust, validator_trust, pruning_score,
         validator_permit, active, last_update, axon_block)
    SELECT event_id, block_number, block_time,
           CAST(payload->>'netuid' AS INTEGER), CAST(payload->>'uid' AS INTEGER),
           payload->>'hotkey', payload->>'coldkey',
           CAST(payload->>'stake' AS NUMERIC(38, 0)), CAST(payload->>'emission' AS NUMERIC(38, 0)),
           {_score("rank")}, {_score("incentive")}, {_score("dividends")}, {_score("consensus")},
           {_score("trust")}, {_score("validator_trust")}, {_score("pruning_score")},
           CAST(payload->>'validator_permit' AS BOOLEAN), CAST(payload->>'active' AS BOOLEAN),
           CAST(payload->>'last_update' AS BIGINT), CAST(payload->>'axon_block' AS BIGINT)
    FROM events
    WHERE {WINDOW} AND event_type = 'SubtensorModule.NeuronObserved'
"""

# ---------------------------------------------------------------------------------------- miners
_TOUCHED_UIDS = f"""
    SELECT DISTINCT CAST(payload->>'netuid' AS INTEGER) AS netuid, CAST(payload->>'uid' AS INTEGER) AS uid
    FROM events
    WHERE {WINDOW}
      AND event_type IN ('SubtensorModule.NeuronObserved', 'SubtensorModule.NeuronRegistered')
"""

DELETE_MINERS = f"""
    DELETE FROM miners
    WHERE EXISTS (
        SELECT 1 FROM ({_TOUCHED_UIDS}) t WHERE t.netuid = miners.netuid AND t.uid = miners.uid
    )
"""

INSERT_MINERS = f"""
    INSERT INTO miners
        (netuid, uid, hotkey, coldkey, registered_block, registered_at, deregistered_block,
         deregistered_at, first_observed_at, last_observed_block, last_observed_at, observations,
         incentive, emission_rao, total_emission_rao, stake_rao, earns, event_id)
    WITH touched AS ({_TOUCHED_UIDS}),
    registrations AS (
        SELECT r.netuid, r.uid, r.hotkey, r.block_number, r.block_time, r.event_id,
               ROW_NUMBER() OVER (
                   PARTITION BY r.netuid, r.uid, r.hotkey ORDER BY r.block_number, r.event_id
               ) AS rn
        FROM (
            SELECT CAST(payload->>'netuid' AS INTEGER) AS netuid, CAST(payload->>'uid' AS INTEGER) AS uid,
                   payload->>'hotkey' AS hotkey, block_number, block_time, event_id
            FROM events
            WHERE event_type = 'SubtensorModule.NeuronRegistered'
        ) r
        JOIN touched t ON t.netuid = r.netuid AND t.uid = r.uid
    ),
    observations AS (
        SELECT s.*,
               ROW_NUMBER() OVER (
                   PARTITION BY s.netuid, s.uid, s.hotkey ORDER BY s.block_number DESC, s.event_id DESC
               ) AS rn
        FROM stg_bittensor_neurons s
        JOIN touched t ON t.netuid = s.netuid AND t.uid = s.uid
    ),
    occupancy AS (
        SELECT netuid, uid, hotkey, block_number, block_time FROM registrations
        UNION ALL
        SELECT netuid, uid, hotkey, block_number, block_time FROM observations
    ),
    holders AS (
        SELECT netuid, uid, hotkey, MAX(block_number) AS last_seen_block
        FROM occupancy GROUP BY netuid, uid, hotkey
    ),
    successors AS (
        SELECT h.netuid, h.uid, h.hotkey,
               MIN(o.block_number) AS deregistered_block, MIN(o.block_time) AS deregistered_at
        FROM holders h
        JOIN occupancy o
          ON o.netuid = h.netuid AND o.uid = h.uid AND o.hotkey <> h.hotkey
         AND o.block_number > h.last_seen_block
        GROUP BY h.netuid, h.uid, h.hotkey
    ),
    totals AS (
        SELECT netuid, uid, hotkey, COUNT(*) AS observations, SUM(emission_rao) AS total_emission_rao,
               MIN(block_time) AS first_observed_at
        FROM observations GROUP BY netuid, uid, hotkey
    )
    SELECT h.netuid, h.uid, h.hotkey, l.coldkey,
           r.block_number, r.block_time, s.deregistered_block, s.deregistered_at,
           tot.first_observed_at, l.block_number, l.block_time, COALESCE(tot.observations, 0),
           l.incentive, l.emission_rao, tot.total_emission_rao, l.stake_rao, l.emission_rao > 0,
           COALESCE(l.event_id, r.event_id)
    FROM holders h
    LEFT JOIN observations l
      ON l.netuid = h.netuid AND l.uid = h.uid AND l.hotkey = h.hotkey AND l.rn = 1
    LEFT JOIN totals tot ON tot.netuid = h.netuid AND tot.uid = h.uid AND tot.hotkey = h.hotkey
    LEFT JOIN registrations r ON r.netuid = h.netuid AND r.uid = h.uid AND r.hotkey = h.hotkey AND r.rn = 1
    LEFT JOIN successors s ON s.netuid = h.netuid AND s.uid = h.uid AND s.hotkey = h.hotkey
    WHERE l.validator_permit IS NULL OR NOT l.validator_permit
"""

# ------------------------------------------------------------------------------------ validators
_TOUCHED_HOTKEYS = f"""
    SELECT DISTINCT CAST(payload->>'netuid' AS INTEGER) AS netuid, payload->>'hotkey' AS hotkey
    FROM events
    WHERE {WINDOW} AND event_type = 'SubtensorModule.NeuronObserved'
"""

# A replay from position 0 starts the Bittensor rows afresh; the Sahara rows are not ours to touch.
RESET_VALIDATORS = "DELETE FROM validators WHERE chain = 'bittensor' AND :lo = 0"

DELETE_VALIDATORS = f"""
    DELETE FROM validators
    WHERE chain = 'bittensor'
      AND EXISTS (
          SELECT 1 FROM ({_TOUCHED_HOTKEYS}) t
          WHERE t.netuid = validators.netuid AND t.hotkey = validators.address
      )
"""

INSERT_VALIDATORS = f"""
    INSERT INTO validators
        (chain, validator_id, netuid, address, owner, stake_base_units, stake_tokens, dividends,
         validator_trust, emission_base_units, first_observed_at, last_observed_at, event_id)
    WITH touched AS ({_TOUCHED_HOTKEYS}),
    observations AS (
        SELECT s.*,
               ROW_NUMBER() OVER (
                   PARTITION BY s.netuid, s.hotkey ORDER BY s.block_number DESC, s.event_id DESC
               ) AS rn,
               MIN(s.block_time) OVER (PARTITION BY s.netuid, s.hotkey) AS first_observed_at
        FROM stg_bittensor_neurons s
        JOIN touched t ON t.netuid = s.netuid AND t.hotkey = s.hotkey
    )
    SELECT 'bittensor', CAST(netuid AS VARCHAR(8)) || ':' || hotkey, netuid, hotkey, coldkey,
           stake_rao, CAST(stake_rao AS DOUBLE PRECISION) / 1000000000.0, dividends, validator_trust,
           emission_rao, first_observed_at, block_time, event_id
    FROM observations
    WHERE rn = 1 AND validator_permit
"""

# --------------------------------------------------------------------------------------- subnets
_TOUCHED_NETUIDS = f"""
    SELECT DISTINCT CAST(payload->>'netuid' AS INTEGER) AS netuid
    FROM events
    WHERE {WINDOW}
      AND event_type IN (
          'SubtensorModule.SubnetObserved', 'SubtensorModule.NeuronObserved',
          'SubtensorModule.NetworkAdded', 'SubtensorModule.NetworkRemoved'
      )
"""

DELETE_SUBNETS = f"""
    DELETE FROM subnets
    WHERE EXISTS (SELECT 1 FROM ({_TOUCHED_NETUIDS}) t WHERE t.netuid = subnets.netuid)
"""


def _latest_of(event_type: str) -> str:
    """The latest event of one type per touched netuid (rn = 1)."""
    return f"""
        SELECT x.* FROM (
            SELECT CAST(e.payload->>'netuid' AS INTEGER) AS netuid, e.block_number, e.block_time,
                   e.event_id, e.payload,
                   ROW_NUMBER() OVER (
                       PARTITION BY CAST(e.payload->>'netuid' AS INTEGER)
                       ORDER BY e.block_number DESC, e.event_id DESC
                   ) AS rn
            FROM events e
            WHERE e.event_type = '{event_type}'
              AND CAST(e.payload->>'netuid' AS INTEGER) IN (SELECT netuid FROM touched)
        ) x
        WHERE x.rn = 1
    """


INSERT_SUBNETS = f"""
    INSERT INTO subnets
        (netuid, owner, registered_block, registered_at, removed_at, tempo, emission_share, emission_rao,
         alpha_price_tao, tao_in_rao, alpha_in, alpha_out, miners, validators, last_observed_at, event_id)
    WITH touched AS ({_TOUCHED_NETUIDS}),
    observed AS ({_latest_of("SubtensorModule.SubnetObserved")}),
    added AS ({_latest_of("SubtensorModule.NetworkAdded")}),
    removed AS ({_latest_of("SubtensorModule.NetworkRemoved")}),
    latest_epoch AS (
        SELECT s.netuid, MAX(s.block_number) AS block_number
        FROM stg_bittensor_neurons s JOIN touched t ON t.netuid = s.netuid
        GROUP BY s.netuid
    ),
    counts AS (
        SELECT s.netuid,
               SUM(CASE WHEN s.validator_permit THEN 0 ELSE 1 END) AS miners,
               SUM(CASE WHEN s.validator_permit THEN 1 ELSE 0 END) AS validators
        FROM stg_bittensor_neurons s
        JOIN latest_epoch le ON le.netuid = s.netuid AND le.block_number = s.block_number
        GROUP BY s.netuid
    )
    SELECT t.netuid, o.payload->>'owner',
           COALESCE(a.block_number, CAST(o.payload->>'network_registered_at' AS BIGINT)), a.block_time,
           CASE WHEN r.block_number >= COALESCE(a.block_number, 0)
                 AND r.block_number >= COALESCE(o.block_number, 0)
                THEN r.block_time END,
           CAST(o.payload->>'tempo' AS INTEGER), NULL,
           CAST(o.payload->>'emission' AS NUMERIC(38, 0)),
           CAST(o.payload->>'price_rao_per_alpha' AS DOUBLE PRECISION) / 1000000000.0,
           CAST(o.payload->>'tao_in' AS NUMERIC(38, 0)),
           CAST(o.payload->>'alpha_in' AS NUMERIC(38, 0)),
           CAST(o.payload->>'alpha_out' AS NUMERIC(38, 0)),
           c.miners, c.validators, o.block_time, COALESCE(o.event_id, r.event_id, a.event_id)
    FROM touched t
    LEFT JOIN observed o ON o.netuid = t.netuid
    LEFT JOIN added a ON a.netuid = t.netuid
    LEFT JOIN removed r ON r.netuid = t.netuid
    LEFT JOIN counts c ON c.netuid = t.netuid
"""

# Shares depend on every subnet's emission, so they are refreshed from the table itself (a few hundred
# rows at most), never from history.
UPDATE_EMISSION_SHARES = """
    UPDATE subnets SET emission_share = CASE
        WHEN removed_at IS NULL AND emission_rao IS NOT NULL THEN
            CAST(emission_rao AS DOUBLE PRECISION) / NULLIF((
                SELECT SUM(CAST(live.emission_rao AS DOUBLE PRECISION))
                FROM subnets live WHERE live.removed_at IS NULL
            ), 0)
    END
"""

BITTENSOR = register(
    Projection(
        name="bittensor",
        tables=("stg_bittensor_neurons", "miners", "subnets"),
        doc=__doc__,
        statements=(
            STAGE_NEURONS,
            DELETE_MINERS,
            INSERT_MINERS,
            RESET_VALIDATORS,
            DELETE_VALIDATORS,
            INSERT_VALIDATORS,
            DELETE_SUBNETS,
            INSERT_SUBNETS,
            UPDATE_EMISSION_SHARES,
        ),
    )
)
