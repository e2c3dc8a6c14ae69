"""Sahara projections: `annotations`, `contributors`, and the Sahara rows of `validators`.

**`annotations`** — grain: one row per annotation id seen in a `DataServices.AnnotationSubmitted` or
`DataServices.AnnotationReviewed` event. The submission gives task, contributor, content hash and
submitted block/time (the first submission of an id, should a contract emit two); the latest review
gives reviewer, reviewed block/time, accepted and quality score (0-100); the task's
`DataServices.TaskCreated` gives the client. A review whose submission lies before the store's
coverage still makes a row, with the submission columns NULL (nothing is dropped).
*Reward attribution*: `RewardPaid(contributor, taskId, amount)` names no annotation, so a payment is
attributed to the nearest preceding *accepted* `AnnotationReviewed` in the same transaction (same
block and `tx_hash`, lower log index); the modelled contract emits the payment in the review's own
transaction, so the rule holds also when one transaction reviews several annotations.
`reward_usah` is the sum attributed to the annotation (NULL if none), `paid_at` the latest payment.
Provenance: `event_id` (the submission, else the review), `review_event_id`, `reward_event_id`.

**`contributors`** — grain: one row per contributor address that submitted an annotation, was paid a
reward or holds a reputation token. `submitted`, `reviewed`, `accepted` count the contributor's
annotations whose submission is in the store (so accepted <= reviewed <= submitted);
`acceptance_rate` = accepted / reviewed; `rewards_usah` (and `rewards_sahara`, 1e18 usah) sums
`annotations.reward_usah` over all their rows; `reputation_tier` is the highest
`Reputation.ReputationMinted` tier; `first_seen_at` / `last_active_at` span their submissions,
payments and reputation mints.

**`stg_sahara_validator_sets`** — grain: one row per `staking.ValidatorObserved` event (a validator
in the set CometBFT reported at a height). CometBFT knows validators by consensus address, the
staking and distribution modules by operator address, and no event links the two; the link comes
from the same block: x/distribution emits one `rewards` event per validator of the set, in the set's
order, with an amount proportional to voting power. A set position is matched to the operator of the
`rewards` event at the same ordinal when their shares agree (reward share vs power share within
1e-6); otherwise `operator_address` stays NULL rather than guessing.

**`validators` (chain = 'sahara')** — grain: one row per operator address (`validator_id`) seen in
staking or distribution events or matched in an observed set. `voting_power` (whole SAHARA, the
power reduction being 1e18; `stake_tokens` repeats it) from the latest observed set, 0 when the
validator is no longer in it; `consensus_address` from its latest observation; `commission_rate` =
commission / rewards of that observation's block; `delegators` (with a positive net amount) and
`delegated_base_units` (usah) from `staking.delegate` minus `staking.unbond`, with
`staking.redelegate` moving the amount from source to destination. The net covers the events in the
store: exact from genesis, a net flow when the store starts later (a delegator's net may then be
negative). Self-bonds (`create_validator`) are not delegations. `event_id`: the latest observation
(else the latest staking event). The `validators` table is shared with the Bittensor projection, so
this one deletes only chain = 'sahara' rows (all of them when replaying from position 0).

Incremental: each statement deletes the keys that events in (lo, hi] touch and recomputes them from
all their events with seq <= hi, so a run over two windows equals one run over both.
"""

from warehouse.projections.base import Projection, register

WINDOW = "seq > :lo AND seq <= :hi"
SUBMITTED = "'DataServices.AnnotationSubmitted'"
REVIEWED = "'DataServices.AnnotationReviewed'"
REWARD_PAID = "'DataServices.RewardPaid'"
TASK_CREATED = "'DataServices.TaskCreated'"
REPUTATION = "'Reputation.ReputationMinted'"


def _log_index(alias: str) -> str:
    """The log index of an EVM event (position `txIndex.logIndex`), as an integer."""
    return f"CAST(split_part({alias}.position, '.', 2) AS INTEGER)"


# --- annotations ------------------------------------------------------------------------------------

#: Annotation ids whose row events in (lo, hi] change: their own events, their task's creation, a payment.
TOUCHED_ANNOTATIONS = f"""
    SELECT payload->>'annotationId' AS annotation_id
    FROM events WHERE {WINDOW} AND event_type IN ({SUBMITTED}, {REVIEWED})
    UNION
    SELECT s.payload->>'annotationId'
    FROM events t
    JOIN events s ON s.event_type = {SUBMITTED} AND s.seq <= :hi AND s.payload->>'taskId' = t.payload->>'taskId'
    WHERE t.seq > :lo AND t.seq <= :hi AND t.event_type = {TASK_CREATED}
    UNION
    SELECT v.payload->>'annotationId'
    FROM events r
    JOIN events v
      ON v.chain = 'sahara' AND v.source = 'evm' AND v.block_number = r.block_number
     AND v.event_type = {REVIEWED} AND v.seq <= :hi AND v.payload->>'tx_hash' = r.payload->>'tx_hash'
    WHERE r.seq > :lo AND r.seq <= :hi AND r.event_type = {REWARD_PAID}
"""

DELETE_ANNOTATIONS = f"""
    DELETE FROM annotations WHERE annotation_id IN ({TOUCHED_ANNOTATIONS})
"""

INSERT_ANNOTATIONS = f"""
    INSERT INTO annotations
        (annotation_id, task_id, client, contributor, content_hash, submitted_block, submitted_at,
         reviewed_block, reviewed_at, reviewer, accepted, quality_score, reward_usah, paid_at,
         event_id, review_event_id, reward_event_id)
    WITH touched AS ({TOUCHED_ANNOTATIONS}),
    submissions AS (
        SELECT e.payload->>'annotationId' AS annotation_id, e.payload->>'taskId' AS task_id,
               e.payload->>'contributor' AS contributor, e.payload->>'contentHash' AS content_hash,
               e.block_number, e.block_time, e.event_id,
               ROW_NUMBER() OVER (
                   PARTITION BY e.payload->>'annotationId' ORDER BY e.block_number, {_log_index("e")}, e.event_id
               ) AS rn
        FROM events e
        WHERE e.event_type = {SUBMITTED} AND e.seq <= :hi
          AND e.payload->>'annotationId' IN (SELECT annotation_id FROM touched)
    ),
    reviews AS (
        SELECT e.payload->>'annotationId' AS annotation_id, e.payload->>'reviewer' AS reviewer,
               (e.payload->>'accepted') = 'true' AS accepted,
               CAST(e.payload->>'qualityScore' AS DOUBLE PRECISION) AS quality_score,
               e.block_number, e.block_time, e.event_id, e.payload->>'tx_hash' AS tx_hash,
               ROW_NUMBER() OVER (
                   PARTITION BY e.payload->>'annotationId'
                   ORDER BY e.block_number DESC, {_log_index("e")} DESC, e.event_id DESC
               ) AS rn
        FROM events e
        WHERE e.event_type = {REVIEWED} AND e.seq <= :hi
          AND e.payload->>'annotationId' IN (SELECT annotation_id FROM touched)
    ),
    review_txs AS (
        SELECT DISTINCT block_number, tx_hash FROM reviews
    ),
    tx_logs AS (
        SELECT e.event_id, e.event_type, e.block_number, e.block_time, e.payload->>'tx_hash' AS tx_hash,
               {_log_index("e")} AS log_index, e.payload
        FROM events e
        JOIN review_txs x
          ON e.chain = 'sahara' AND e.source = 'evm' AND e.block_number = x.block_number
         AND e.payload->>'tx_hash' = x.tx_hash
        WHERE e.event_type IN ({REVIEWED}, {REWARD_PAID}) AND e.seq <= :hi
    ),
    attributed AS (
        SELECT r.event_id, r.block_time, r.payload->>'contributor' AS contributor,
               r.payload->>'taskId' AS task_id, CAST(r.payload->>'amount' AS NUMERIC(38, 0)) AS amount_usah,
               v.payload->>'annotationId' AS annotation_id,
               ROW_NUMBER() OVER (PARTITION BY r.event_id ORDER BY v.log_index DESC) AS rn
        FROM tx_logs r
        JOIN tx_logs v
          ON v.event_type = {REVIEWED} AND (v.payload->>'accepted') = 'true'
         AND v.block_number = r.block_number AND v.tx_hash = r.tx_hash AND v.log_index < r.log_index
        WHERE r.event_type = {REWARD_PAID}
    ),
    paid AS (
        SELECT annotation_id, SUM(amount_usah) AS reward_usah, MAX(block_time) AS paid_at,
               MAX(event_id) AS reward_event_id, MIN(contributor) AS contributor, MIN(task_id) AS task_id
        FROM attributed
        WHERE rn = 1 AND annotation_id IN (SELECT annotation_id FROM touched)
        GROUP BY annotation_id
    ),
    rows_ AS (
        SELECT t.annotation_id,
               COALESCE(s.task_id, p.task_id) AS task_id,
               COALESCE(s.contributor, p.contributor) AS contributor,
               s.content_hash, s.block_number AS submitted_block, s.block_time AS submitted_at,
               v.block_number AS reviewed_block, v.block_time AS reviewed_at, v.reviewer, v.accepted,
               v.quality_score, p.reward_usah, p.paid_at,
               COALESCE(s.event_id, v.event_id) AS event_id, v.event_id AS review_event_id, p.reward_event_id
        FROM touched t
        LEFT JOIN submissions s ON s.annotation_id = t.annotation_id AND s.rn = 1
        LEFT JOIN reviews v ON v.annotation_id = t.annotation_id AND v.rn = 1
        LEFT JOIN paid p ON p.annotation_id = t.annotation_id
        WHERE s.annotation_id IS NOT NULL OR v.annotation_id IS NOT NULL
    ),
    tasks AS (
        SELECT e.payload->>'taskId' AS task_id, e.payload->>'client' AS client,
               ROW_NUMBER() OVER (PARTITION BY e.payload->>'taskId' ORDER BY e.block_number, e.event_id) AS rn
        FROM events e
        WHERE e.event_type = {TASK_CREATED} AND e.seq <= :hi
          AND e.payload->>'taskId' IN (SELECT task_id FROM rows_)
    )
    SELECT r.annotation_id, r.task_id, k.client, r.contributor, r.content_hash, r.submitted_block,
           r.submitted_at, r.reviewed_block, r.reviewed_at, r.reviewer, r.accepted, r.quality_score,
           r.reward_usah, r.paid_at, r.event_id, r.review_event_id, r.reward_event_id
    FROM rows_ r
    LEFT JOIN tasks k ON k.task_id = r.task_id AND k.rn = 1
"""

# --- contributors -----------------------------------------------------------------------------------

#: Contributors whose totals events in (lo, hi] change (read after `annotations` is up to date).
TOUCHED_CONTRIBUTORS = f"""
    SELECT payload->>'contributor' AS contributor
    FROM events WHERE {WINDOW} AND event_type IN ({SUBMITTED}, {REWARD_PAID})
    UNION
    SELECT payload->>'holder' FROM events WHERE {WINDOW} AND event_type = {REPUTATION}
    UNION
    SELECT a.contributor FROM annotations a
    WHERE a.contributor IS NOT NULL AND a.annotation_id IN (
        SELECT payload->>'annotationId' FROM events WHERE {WINDOW} AND event_type = {REVIEWED}
    )
"""

DELETE_CONTRIBUTORS = f"""
    DELETE FROM contributors WHERE contributor IN ({TOUCHED_CONTRIBUTORS})
"""

INSERT_CONTRIBUTORS = f"""
    INSERT INTO contributors
        (contributor, first_seen_at, last_active_at, submitted, reviewed, accepted, acceptance_rate,
         rewards_usah, rewards_sahara, reputation_tier)
    WITH touched AS (SELECT contributor FROM ({TOUCHED_CONTRIBUTORS}) t WHERE contributor IS NOT NULL),
    mine AS (
        SELECT * FROM annotations WHERE contributor IN (SELECT contributor FROM touched)
    ),
    totals AS (
        SELECT contributor,
               COUNT(submitted_block) AS submitted,
               SUM(CASE WHEN submitted_block IS NOT NULL AND reviewed_at IS NOT NULL THEN 1 ELSE 0 END) AS reviewed,
               SUM(CASE WHEN submitted_block IS NOT NULL AND accepted THEN 1 ELSE 0 END) AS accepted,
               SUM(reward_usah) AS rewards_usah
        FROM mine GROUP BY contributor
    ),
    reputation AS (
        SELECT payload->>'holder' AS contributor, MAX(CAST(payload->>'tier' AS INTEGER)) AS tier,
               MIN(block_time) AS first_at, MAX(block_time) AS last_at
        FROM events
        WHERE event_type = {REPUTATION} AND seq <= :hi
          AND payload->>'holder' IN (SELECT contributor FROM touched)
        GROUP BY payload->>'holder'
    ),
    activity AS (
        SELECT contributor, submitted_at AS seen_at FROM mine
        UNION ALL SELECT contributor, paid_at FROM mine
        UNION ALL SELECT contributor, first_at FROM reputation
        UNION ALL SELECT contributor, last_at FROM reputation
    ),
    span AS (
        SELECT contributor, MIN(seen_at) AS first_seen_at, MAX(seen_at) AS last_active_at
        FROM activity WHERE seen_at IS NOT NULL GROUP BY contributor
    )
    SELECT t.contributor, s.first_seen_at, s.last_active_at,
           COALESCE(n.submitted, 0), COALESCE(n.reviewed, 0), COALESCE(n.accepted, 0),
           CAST(n.accepted AS DOUBLE PRECISION) / NULLIF(n.reviewed, 0),
           COALESCE(n.rewards_usah, 0),
           CAST(COALESCE(n.rewards_usah, 0) AS DOUBLE PRECISION) / 1e18,
           r.tier
    FROM (SELECT DISTINCT contributor FROM touched) t
    LEFT JOIN totals n ON n.contributor = t.contributor
    LEFT JOIN reputation r ON r.contributor = t.contributor
    LEFT JOIN span s ON s.contributor = t.contributor
"""

# --- validators -------------------------------------------------------------------------------------


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
        SELECT e.event_id, e.block_number, e.block_time,
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
    SELECT s.event_id, s.block_number, s.block_time, s.set_position, s.consensus_address, s.voting_power,
           s.proposer_priority, s.validator_count, r.operator_address,
           r.amount_atto AS reward_atto_usah, c.amount_atto AS commission_atto_usah
    FROM shares s
    LEFT JOIN rewards r
      ON r.block_number = s.block_number AND r.set_position = s.set_position
     AND ABS(r.reward_share - s.power_share) <= 1e-6
    LEFT JOIN commissions c ON c.block_number = r.block_number AND c.operator_address = r.operator_address
    """


DELETE_VALIDATOR_SETS = f"""
    DELETE FROM stg_sahara_validator_sets
    WHERE event_id IN (SELECT event_id FROM events WHERE {WINDOW} AND event_type = 'staking.ValidatorObserved')
"""

INSERT_VALIDATOR_SETS = f"""
    INSERT INTO stg_sahara_validator_sets
        (event_id, block_number, block_time, set_position, consensus_address, voting_power,
         proposer_priority, validator_count, operator_address, reward_atto_usah, commission_atto_usah)
    {validator_set_sql("e.seq > :lo AND e.seq <= :hi", "d.seq <= :hi")}
"""


def delegation_flows_sql(bound: str) -> str:
    """(validator, delegator, amount_usah signed, block_time, event_id) of every delegation change;
    `bound` filters the events (alias e)."""
    ok = "COALESCE(e.payload->>'tx_code', '0') = '0'"
    amount = "CAST(e.payload->>'amount_usah' AS NUMERIC(38, 0))"
    select = "SELECT {validator} AS validator, e.payload->>'delegator' AS delegator, {sign}" + amount
    select += " AS amount_usah, e.block_time, e.block_number, e.event_id FROM events e"
    parts = [
        (select.format(validator="e.payload->>'validator'", sign=""), "staking.delegate"),
        (select.format(validator="e.payload->>'validator'", sign="-"), "staking.unbond"),
        (select.format(validator="e.payload->>'source_validator'", sign="-"), "staking.redelegate"),
        (select.format(validator="e.payload->>'destination_validator'", sign=""), "staking.redelegate"),
    ]
    return "\nUNION ALL\n".join(
        f"{sql} WHERE e.event_type = '{event_type}' AND {ok} AND {bound}" for sql, event_type in parts
    )


STAKING_TYPES = (
    "'staking.delegate', 'staking.unbond', 'staking.create_validator', "
    "'distribution.rewards', 'distribution.commission'"
)

#: Operators whose row events in (lo, hi] change; a new observed set changes every row.
TOUCHED_VALIDATORS = f"""
    SELECT payload->>'validator' AS validator_id FROM events WHERE {WINDOW} AND event_type IN ({STAKING_TYPES})
    UNION SELECT payload->>'source_validator' FROM events WHERE {WINDOW} AND event_type = 'staking.redelegate'
    UNION SELECT payload->>'destination_validator' FROM events WHERE {WINDOW} AND event_type = 'staking.redelegate'
    UNION SELECT operator_address FROM stg_sahara_validator_sets
          WHERE operator_address IS NOT NULL AND event_id IN (
              SELECT event_id FROM events WHERE {WINDOW} AND event_type = 'staking.ValidatorObserved')
    UNION SELECT validator_id FROM validators
          WHERE chain = 'sahara' AND EXISTS (
              SELECT 1 FROM events WHERE {WINDOW} AND event_type = 'staking.ValidatorObserved')
"""

DELETE_VALIDATORS = f"""
    DELETE FROM validators
    WHERE chain = 'sahara' AND (:lo = 0 OR validator_id IN ({TOUCHED_VALIDATORS}))
"""

INSERT_VALIDATORS = f"""
    INSERT INTO validators
        (chain, validator_id, address, consensus_address, stake_tokens, voting_power, delegators,
         delegated_base_units, commission_rate, first_observed_at, last_observed_at, event_id)
    WITH touched AS (
        SELECT validator_id FROM ({TOUCHED_VALIDATORS}) t WHERE validator_id IS NOT NULL
    ),
    latest_set AS (SELECT MAX(block_number) AS block_number FROM stg_sahara_validator_sets),
    observations AS (
        SELECT s.*,
               ROW_NUMBER() OVER (PARTITION BY operator_address ORDER BY block_number DESC) AS rn,
               MIN(block_time) OVER (PARTITION BY operator_address) AS first_at
        FROM stg_sahara_validator_sets s
        WHERE operator_address IN (SELECT validator_id FROM touched)
    ),
    flows AS ({delegation_flows_sql("e.seq <= :hi")}),
    positions AS (
        SELECT validator, delegator, SUM(amount_usah) AS net_usah
        FROM flows WHERE validator IN (SELECT validator_id FROM touched)
        GROUP BY validator, delegator
    ),
    delegations AS (
        SELECT validator, SUM(CASE WHEN net_usah > 0 THEN 1 ELSE 0 END) AS delegators,
               SUM(net_usah) AS delegated_usah
        FROM positions GROUP BY validator
    ),
    staking AS (
        SELECT validator, block_time, block_number, event_id FROM flows
        WHERE validator IN (SELECT validator_id FROM touched)
        UNION ALL
        SELECT e.payload->>'validator', e.block_time, e.block_number, e.event_id
        FROM events e
        WHERE e.event_type = 'staking.create_validator' AND e.seq <= :hi
          AND e.payload->>'validator' IN (SELECT validator_id FROM touched)
    ),
    staking_span AS (
        SELECT validator, first_at, block_time AS last_at, event_id
        FROM (
            SELECT validator, block_time, event_id,
                   MIN(block_time) OVER (PARTITION BY validator) AS first_at,
                   ROW_NUMBER() OVER (
                       PARTITION BY validator ORDER BY block_number DESC, event_id DESC
                   ) AS rn
            FROM staking
        ) x
        WHERE rn = 1
    )
    SELECT 'sahara', t.validator_id, t.validator_id, o.consensus_address,
           CAST(CASE WHEN o.block_number = l.block_number THEN o.voting_power ELSE 0 END AS DOUBLE PRECISION),
           CASE WHEN o.block_number = l.block_number THEN o.voting_power ELSE 0 END,
           COALESCE(d.delegators, 0), COALESCE(d.delegated_usah, 0),
           o.commission_atto_usah / NULLIF(o.reward_atto_usah, 0),
           CASE WHEN o.first_at IS NULL OR (k.first_at IS NOT NULL AND k.first_at < o.first_at)
                THEN k.first_at ELSE o.first_at END,
           CASE WHEN o.block_time IS NULL OR (k.last_at IS NOT NULL AND k.last_at > o.block_time)
                THEN k.last_at ELSE o.block_time END,
           COALESCE(o.event_id, k.event_id)
    FROM (SELECT DISTINCT validator_id FROM touched) t
    CROSS JOIN latest_set l
    LEFT JOIN observations o ON o.operator_address = t.validator_id AND o.rn = 1
    LEFT JOIN delegations d ON d.validator = t.validator_id
    LEFT JOIN staking_span k ON k.validator = t.validator_id
"""

SAHARA_ANNOTATIONS = register(
    Projection(
        name="sahara_annotations",
        tables=("annotations", "contributors"),
        doc=__doc__,
        statements=(DELETE_ANNOTATIONS, INSERT_ANNOTATIONS, DELETE_CONTRIBUTORS, INSERT_CONTRIBUTORS),
    )
)
SAHARA_VALIDATORS = register(
    Projection(
        name="sahara_validators",
        # Not `validators`: a rebuild empties the tables listed here, and Bittensor rows share it.
        tables=("stg_sahara_validator_sets",),
        doc=__doc__,
        statements=(DELETE_VALIDATOR_SETS, INSERT_VALIDATOR_SETS, DELETE_VALIDATORS, INSERT_VALIDATORS),
    )
)
