"""Sahara projections: `annotations`, `contributors`, and the Sahara rows of `validators`.

**`stg_sahara_annotation_events`** — grain: one row per `DataServices.AnnotationSubmitted`,
`AnnotationReviewed` or `RewardPaid` event (`kind` 'submitted', 'reviewed', 'paid'), typed and renamed.
*Reward attribution*: `RewardPaid(contributor, taskId, amount)` names no annotation, so a payment row
carries the annotation of the nearest preceding *accepted* review in the same transaction (same block
and `tx_hash`, lower log index); the modelled contract emits the payment in the review's own
transaction, so the rule holds also when one transaction reviews several annotations (a block's logs
are stored together, so the review is staged before or with its payment). **`stg_sahara_tasks`** —
grain: one row per `DataServices.TaskCreated`.

**`annotations`** — grain: one row per annotation id seen in a submission or a review. The submission
gives task, contributor, content hash and submitted block/time (the first submission of an id, should
a contract emit two); the latest review gives reviewer, reviewed block/time, accepted and quality score
(0-100); the task's first `TaskCreated` gives the client. A review whose submission lies before the
store's coverage still makes a row, with the submission columns NULL (nothing is dropped).
`reward_wei` is the sum of the payments attributed to the annotation in wei (usah, 1e18 per SAHARA;
NULL if none) and `reward_sahara` the same in SAHARA (exact NUMERIC(38, 18)), `paid_at` the
latest payment. Provenance: `event_id` (the submission, else the review), `review_event_id`,
`reward_event_id`. An annotation touched by new events is recomputed from its own staging rows (a
handful, whatever the history).

**`contributors`** — grain: one row per contributor address that submitted an annotation, was paid a
reward or holds a reputation token. `submitted`, `reviewed`, `accepted` count the contributor's
annotations whose submission is in the store (so accepted <= reviewed <= submitted);
`acceptance_rate` = accepted / reviewed; `rewards_wei` sums `annotations.reward_wei` over all their
rows and `rewards_sahara` is the same in SAHARA (exact, rewards_wei x 1e-18); `reputation_tier` is the highest
`Reputation.ReputationMinted` tier; `first_seen_at` / `last_active_at` are the earliest and latest of
their submissions, payments and reputation mints. Folded: the counters move by the difference between
the recomputed annotation rows and the rows they replace; times and tier by min / max.

**`stg_sahara_validator_sets`** — grain: one row per `staking.ValidatorObserved` event (a validator
in the set CometBFT reported at a height). CometBFT knows validators by consensus address, the
staking and distribution modules by operator address, and no event links the two; the link comes
from the same block: x/distribution emits one `rewards` event per validator of the set, in the set's
order, with an amount proportional to voting power. A set position is matched to the operator of the
`rewards` event at the same ordinal when their shares agree (reward share vs power share within
1e-6); otherwise `operator_address` stays NULL rather than guessing.

**`stg_sahara_delegation_flows`** — grain: one row per change of a validator's bonded tokens from a
successful transaction: `delegate` (+amount), `unbond` (-amount), `redelegate_out` / `redelegate_in`
(-/+ amount on source / destination), `create` (the self-bond of `create_validator`, no delegator).
**`sahara_delegations`** — grain: one row per (validator, delegator): the net of their flows over the
stored events, folded by addition.

**`validators` (chain = 'sahara')** — grain: one row per operator address (`validator_id`) seen in a
staking event or matched in an observed set. `voting_power` (whole SAHARA, the power reduction being
1e18; `stake_tokens` repeats it) from the latest observed set, 0 when the validator is no longer in
it; `consensus_address` from its latest observation; `commission_rate` = commission / rewards of that
observation's block.

*Delegations are anchored to absolute state.* The events carry no delegator's position, but the
validator set does carry each validator's bonded tokens: voting power = tokens // 1e18. So
`delegated_base_units` (usah bonded to the validator by all its delegations, the operator's
self-delegation included: what Cosmos calls the validator's tokens) is
- exact when the validator's `create_validator` is in the store: its self-bond plus every flow since
  (`delegated_basis` = 'created', `delegated_since_block` = that block);
- otherwise anchored to its latest observation: voting power x 1e18 (exact to within one SAHARA, the
  part CometBFT truncates) plus the flows in blocks after the set was taken (`delegated_basis` =
  'observed', `delegated_since_block` = the observed height);
- NULL when neither is stored (nothing absolute is known yet).
A set observed at height H carries the stake after block H - ANCHOR_LAG. The devnet applies a block's
stake changes to the next height's set (ANCHOR_LAG = 1); CometBFT applies the validator updates of
block H at H + 2, so against a real node the constant should be 2 (with 1, the flows of block H - 1
would be missed).
`delegators` counts delegators whose *net flow* is positive over the stored staking events, which
begin at `delegators_since_block`: exact when the store starts at genesis, a lower bound otherwise (a
delegation made before that block and not touched since is not seen).
`first_observed_at` / `last_observed_at` span its observations and staking events; `event_id`: the
latest observation (else the latest staking event). The running state per validator is kept in
`sahara_validator_state`; the table `validators` is shared with the Bittensor projection, so this one
deletes only chain = 'sahara' rows (all of them when replaying from position 0) and rewrites them
from that state (one row per validator) after any run that saw a staking event or a new set.
"""

from warehouse.projections.base import OnlyOn, Projection, register
from warehouse.sahara_staking import (
    ANCHOR_LAG,
    POWER_REDUCTION,
    staking_flows_sql,
    validator_set_sql,
)

WINDOW = "seq > :lo AND seq <= :hi"
SUBMITTED = "'DataServices.AnnotationSubmitted'"
REVIEWED = "'DataServices.AnnotationReviewed'"
REWARD_PAID = "'DataServices.RewardPaid'"
TASK_CREATED = "'DataServices.TaskCreated'"
REPUTATION = "'Reputation.ReputationMinted'"
#: One wei (usah) in SAHARA.
WEI = "CAST('0.000000000000000001' AS NUMERIC(38, 18))"


def sahara(wei: str) -> str:
    """SAHARA from an amount in wei (usah, 1e18 per SAHARA), exact: NUMERIC(38, 18). A product, not a
    quotient: DuckDB divides decimals in floating point, PostgreSQL to a default scale."""
    return f"CAST(CAST({wei} AS NUMERIC(38, 0)) * {WEI} AS NUMERIC(38, 18))"


def _log_index(alias: str) -> str:
    """The log index of an EVM event (position `txIndex.logIndex`), as an integer."""
    return f"CAST(split_part({alias}.position, '.', 2) AS INTEGER)"


# --- annotations ------------------------------------------------------------------------------------
_STG_ANNOTATION_COLUMNS = """
    (event_id, seq, kind, annotation_id, task_id, contributor, content_hash, reviewer, accepted,
     quality_score, amount_usah, tx_hash, block_number, log_index, block_time)
"""

STAGE_ANNOTATION_EVENTS = f"""
    INSERT INTO stg_sahara_annotation_events {_STG_ANNOTATION_COLUMNS}
    SELECT e.event_id, e.seq, CASE WHEN e.event_type = {SUBMITTED} THEN 'submitted' ELSE 'reviewed' END,
           e.payload->>'annotationId', e.payload->>'taskId', e.payload->>'contributor',
           e.payload->>'contentHash', e.payload->>'reviewer',
           CASE WHEN e.event_type = {REVIEWED} THEN (e.payload->>'accepted') = 'true' END,
           CAST(e.payload->>'qualityScore' AS DOUBLE PRECISION), CAST(NULL AS NUMERIC(38, 0)),
           e.payload->>'tx_hash', e.block_number, {_log_index("e")}, e.block_time
    FROM events e
    WHERE e.seq > :lo AND e.seq <= :hi AND e.event_type IN ({SUBMITTED}, {REVIEWED})
"""

STAGE_PAYMENTS = f"""
    INSERT INTO stg_sahara_annotation_events {_STG_ANNOTATION_COLUMNS}
    WITH paid AS (
        SELECT e.event_id, e.seq, e.payload->>'contributor' AS contributor, e.payload->>'taskId' AS task_id,
               CAST(e.payload->>'amount' AS NUMERIC(38, 0)) AS amount_usah, e.payload->>'tx_hash' AS tx_hash,
               e.block_number, {_log_index("e")} AS log_index, e.block_time
        FROM events e
        WHERE e.seq > :lo AND e.seq <= :hi AND e.event_type = {REWARD_PAID}
    ),
    attributed AS (
        SELECT p.event_id, v.annotation_id,
               ROW_NUMBER() OVER (PARTITION BY p.event_id ORDER BY v.log_index DESC) AS rn
        FROM paid p
        JOIN stg_sahara_annotation_events v
          ON v.kind = 'reviewed' AND v.accepted AND v.block_number = p.block_number
         AND v.tx_hash = p.tx_hash AND v.log_index < p.log_index
    )
    SELECT p.event_id, p.seq, 'paid', a.annotation_id, p.task_id, p.contributor, NULL, NULL, NULL, NULL,
           p.amount_usah, p.tx_hash, p.block_number, p.log_index, p.block_time
    FROM paid p
    LEFT JOIN attributed a ON a.event_id = p.event_id AND a.rn = 1
"""

STAGE_TASKS = f"""
    INSERT INTO stg_sahara_tasks (event_id, seq, task_id, client, block_number, block_time)
    SELECT event_id, seq, payload->>'taskId', payload->>'client', block_number, block_time
    FROM events
    WHERE {WINDOW} AND event_type = {TASK_CREATED}
"""

#: Annotation ids whose rows change: their own new events, or their task's creation.
WINDOW_ANNOTATION_IDS = f"""
    CREATE TEMPORARY TABLE w_sa_touched AS
    SELECT annotation_id FROM stg_sahara_annotation_events WHERE {WINDOW} AND annotation_id IS NOT NULL
    UNION
    SELECT a.annotation_id FROM annotations a
    WHERE a.task_id IN (SELECT task_id FROM stg_sahara_tasks WHERE {WINDOW})
"""

#: The touched annotations recomputed from their own staging rows.
WINDOW_ANNOTATIONS = """
    CREATE TEMPORARY TABLE w_sa_annotations AS
    WITH rows_ AS (
        SELECT s.* FROM stg_sahara_annotation_events s JOIN w_sa_touched t ON t.annotation_id = s.annotation_id
    ),
    submissions AS (
        SELECT rows_.*,
               ROW_NUMBER() OVER (PARTITION BY annotation_id ORDER BY block_number, log_index, event_id) AS rn
        FROM rows_ WHERE kind = 'submitted'
    ),
    reviews AS (
        SELECT rows_.*,
               ROW_NUMBER() OVER (
                   PARTITION BY annotation_id ORDER BY block_number DESC, log_index DESC, event_id DESC
               ) AS rn
        FROM rows_ WHERE kind = 'reviewed'
    ),
    paid AS (
        SELECT annotation_id, SUM(amount_usah) AS reward_wei, MAX(block_time) AS paid_at,
               MAX(event_id) AS reward_event_id, MIN(contributor) AS contributor, MIN(task_id) AS task_id
        FROM rows_ WHERE kind = 'paid'
        GROUP BY annotation_id
    ),
    merged AS (
        SELECT t.annotation_id,
               COALESCE(s.task_id, p.task_id) AS task_id,
               COALESCE(s.contributor, p.contributor) AS contributor,
               s.content_hash, s.block_number AS submitted_block, s.block_time AS submitted_at,
               v.block_number AS reviewed_block, v.block_time AS reviewed_at, v.reviewer, v.accepted,
               v.quality_score, p.reward_wei, p.paid_at,
               COALESCE(s.event_id, v.event_id) AS event_id, v.event_id AS review_event_id, p.reward_event_id
        FROM w_sa_touched t
        LEFT JOIN submissions s ON s.annotation_id = t.annotation_id AND s.rn = 1
        LEFT JOIN reviews v ON v.annotation_id = t.annotation_id AND v.rn = 1
        LEFT JOIN paid p ON p.annotation_id = t.annotation_id
        WHERE s.annotation_id IS NOT NULL OR v.annotation_id IS NOT NULL
    ),
    tasks AS (
        SELECT task_id, client,
               ROW_NUMBER() OVER (PARTITION BY task_id ORDER BY block_number, event_id) AS rn
        FROM stg_sahara_tasks
        WHERE task_id IN (SELECT task_id FROM merged)
    )
    SELECT m.annotation_id, m.task_id, k.client, m.contributor, m.content_hash, m.submitted_block,
           m.submitted_at, m.reviewed_block, m.reviewed_at, m.reviewer, m.accepted, m.quality_score,
           m.reward_wei, m.paid_at, m.event_id, m.review_event_id, m.reward_event_id
    FROM merged m
    LEFT JOIN tasks k ON k.task_id = m.task_id AND k.rn = 1
"""


def _contribution(sign: str, alias: str) -> str:
    """One annotation row's share of its contributor's counters."""
    return f"""
        {alias}.contributor,
        {sign}CASE WHEN {alias}.submitted_block IS NOT NULL THEN 1 ELSE 0 END AS submitted,
        {sign}CASE WHEN {alias}.submitted_block IS NOT NULL AND {alias}.reviewed_at IS NOT NULL THEN 1 ELSE 0 END
            AS reviewed,
        {sign}CASE WHEN {alias}.submitted_block IS NOT NULL AND {alias}.accepted THEN 1 ELSE 0 END AS accepted,
        {sign}COALESCE({alias}.reward_wei, 0) AS rewards_wei
    """


#: What the recomputed rows add to each contributor's counters, minus what the replaced rows held.
WINDOW_CONTRIBUTOR_CHANGES = f"""
    CREATE TEMPORARY TABLE w_sa_changes AS
    SELECT contributor, SUM(submitted) AS submitted, SUM(reviewed) AS reviewed, SUM(accepted) AS accepted,
           SUM(rewards_wei) AS rewards_wei
    FROM (
        SELECT {_contribution("", "n")} FROM w_sa_annotations n WHERE n.contributor IS NOT NULL
        UNION ALL
        SELECT {_contribution("-", "a")}
        FROM annotations a JOIN w_sa_touched t ON t.annotation_id = a.annotation_id
        WHERE a.contributor IS NOT NULL
    ) x
    GROUP BY contributor
"""

WINDOW_ACTIVITY = f"""
    CREATE TEMPORARY TABLE w_sa_activity AS
    SELECT contributor, MIN(at_) AS first_at, MAX(at_) AS last_at, MAX(tier) AS tier
    FROM (
        SELECT contributor, block_time AS at_, CAST(NULL AS INTEGER) AS tier
        FROM stg_sahara_annotation_events
        WHERE {WINDOW} AND kind IN ('submitted', 'paid') AND contributor IS NOT NULL
        UNION ALL
        SELECT payload->>'holder', block_time, CAST(payload->>'tier' AS INTEGER)
        FROM events
        WHERE {WINDOW} AND event_type = {REPUTATION} AND payload->>'holder' IS NOT NULL
    ) x
    GROUP BY contributor
"""

FOLD_CONTRIBUTORS = f"""
    INSERT INTO contributors
        (contributor, first_seen_at, last_active_at, submitted, reviewed, accepted, acceptance_rate,
         rewards_wei, rewards_sahara, reputation_tier)
    SELECT k.contributor, a.first_at, a.last_at,
           COALESCE(c.submitted, 0), COALESCE(c.reviewed, 0), COALESCE(c.accepted, 0),
           CAST(c.accepted AS DOUBLE PRECISION) / NULLIF(c.reviewed, 0),
           COALESCE(c.rewards_wei, 0), {sahara("COALESCE(c.rewards_wei, 0)")}, a.tier
    FROM (SELECT contributor FROM w_sa_activity UNION SELECT contributor FROM w_sa_changes) k
    LEFT JOIN w_sa_activity a ON a.contributor = k.contributor
    LEFT JOIN w_sa_changes c ON c.contributor = k.contributor
    ON CONFLICT (contributor) DO UPDATE SET
        first_seen_at = LEAST(contributors.first_seen_at, excluded.first_seen_at),
        last_active_at = GREATEST(contributors.last_active_at, excluded.last_active_at),
        submitted = contributors.submitted + excluded.submitted,
        reviewed = contributors.reviewed + excluded.reviewed,
        accepted = contributors.accepted + excluded.accepted,
        acceptance_rate = CAST(contributors.accepted + excluded.accepted AS DOUBLE PRECISION)
            / NULLIF(contributors.reviewed + excluded.reviewed, 0),
        rewards_wei = contributors.rewards_wei + excluded.rewards_wei,
        rewards_sahara = {sahara("contributors.rewards_wei + excluded.rewards_wei")},
        reputation_tier = GREATEST(contributors.reputation_tier, excluded.reputation_tier)
"""

DELETE_ANNOTATIONS = "DELETE FROM annotations WHERE annotation_id IN (SELECT annotation_id FROM w_sa_touched)"

INSERT_ANNOTATIONS = f"""
    INSERT INTO annotations
        (annotation_id, task_id, client, contributor, content_hash, submitted_block, submitted_at,
         reviewed_block, reviewed_at, reviewer, accepted, quality_score, reward_wei, reward_sahara, paid_at,
         event_id, review_event_id, reward_event_id)
    SELECT annotation_id, task_id, client, contributor, content_hash, submitted_block, submitted_at,
           reviewed_block, reviewed_at, reviewer, accepted, quality_score, reward_wei, {sahara("reward_wei")},
           paid_at, event_id, review_event_id, reward_event_id
    FROM w_sa_annotations
"""

# --- validator sets -----------------------------------------------------------------------------------


STAGE_VALIDATOR_SETS = f"""
    INSERT INTO stg_sahara_validator_sets
        (event_id, seq, block_number, block_time, set_position, consensus_address, voting_power,
         proposer_priority, validator_count, operator_address, reward_atto_usah, commission_atto_usah)
    {validator_set_sql("e.seq > :lo AND e.seq <= :hi", "d.seq <= :hi")}
"""

# --- delegations --------------------------------------------------------------------------------------
STAGE_FLOWS = f"""
    INSERT INTO stg_sahara_delegation_flows
        (event_id, side, seq, validator, delegator, amount_usah, block_number, block_time)
    {staking_flows_sql("e.seq > :lo AND e.seq <= :hi")}
"""

WINDOW_FLOWS = (
    f"CREATE TEMPORARY TABLE w_sa_flows AS SELECT * FROM stg_sahara_delegation_flows WHERE {WINDOW}"
)

#: Each (validator, delegator) of the window with its net before the window (NULL: a new pair).
WINDOW_PAIRS = """
    CREATE TEMPORARY TABLE w_sa_pairs AS
    SELECT f.validator, f.delegator, SUM(f.amount_usah) AS delta, COUNT(*) AS changes,
           MIN(f.block_number) AS first_block, MAX(f.block_number) AS last_block, MAX(f.block_time) AS last_at,
           MAX(d.net_usah) AS old_net
    FROM w_sa_flows f
    LEFT JOIN sahara_delegations d ON d.validator = f.validator AND d.delegator = f.delegator
    WHERE f.delegator IS NOT NULL
    GROUP BY f.validator, f.delegator
"""

FOLD_DELEGATIONS = """
    INSERT INTO sahara_delegations (validator, delegator, net_usah, changes, first_block, last_block, last_changed_at)
    SELECT validator, delegator, delta, changes, first_block, last_block, last_at FROM w_sa_pairs
    ON CONFLICT (validator, delegator) DO UPDATE SET
        net_usah = sahara_delegations.net_usah + excluded.net_usah,
        changes = sahara_delegations.changes + excluded.changes,
        first_block = LEAST(sahara_delegations.first_block, excluded.first_block),
        last_block = GREATEST(sahara_delegations.last_block, excluded.last_block),
        last_changed_at = GREATEST(sahara_delegations.last_changed_at, excluded.last_changed_at)
"""

# --- validators (state, then the mart rows) -----------------------------------------------------------
_STATE_COLUMNS = (
    "consensus_address",
    "observed_block",
    "observed_at",
    "observed_event_id",
    "observed_power",
    "commission_rate",
    "first_observed_at",
    "created_block",
    "created_usah",
    "net_flows_usah",
    "flows_after_observed_usah",
    "delegators",
    "first_flow_block",
    "staking_first_at",
    "staking_last_at",
    "staking_last_block",
    "staking_last_event_id",
)


def _newer(new: str, old: str, block: str, event: str) -> str:
    """`new` (block, event id) is later than `old`'s, or `old` has none."""
    return (
        f"({old}.{block} IS NULL OR {new}.block_number > {old}.{block} "
        f"OR ({new}.block_number = {old}.{block} AND {new}.event_id > {old}.{event}))"
    )


_MOVED = "(o.validator_id IS NOT NULL AND " + _newer("o", "s", "observed_block", "observed_event_id") + ")"
_LATER_FLOW = (
    "(lf.validator IS NOT NULL AND " + _newer("lf", "s", "staking_last_block", "staking_last_event_id") + ")"
)
_EARLIER_CREATE = (
    "(c.validator IS NOT NULL AND (s.created_block IS NULL OR c.block_number < s.created_block))"
)


def _pick(condition: str, new: str, old: str) -> str:
    return f"CASE WHEN {condition} THEN {new} ELSE {old} END"


FOLD_VALIDATOR_STATE = f"""
    INSERT INTO sahara_validator_state (validator_id, {", ".join(_STATE_COLUMNS)})
    WITH observed AS (
        SELECT operator_address AS validator_id, consensus_address, block_number, block_time, event_id,
               voting_power, commission_atto_usah / NULLIF(reward_atto_usah, 0) AS commission_rate,
               MIN(block_time) OVER (PARTITION BY operator_address) AS first_at,
               ROW_NUMBER() OVER (PARTITION BY operator_address ORDER BY block_number DESC, event_id DESC) AS rn
        FROM stg_sahara_validator_sets
        WHERE {WINDOW} AND operator_address IS NOT NULL
    ),
    flows AS (
        SELECT validator, SUM(CASE WHEN side = 'create' THEN 0 ELSE amount_usah END) AS net_usah,
               MIN(CASE WHEN side = 'create' THEN NULL ELSE block_number END) AS first_block, MIN(block_time) AS first_at, MAX(block_time) AS last_at
        FROM w_sa_flows GROUP BY validator
    ),
    latest_flow AS (
        SELECT validator, block_number, event_id,
               ROW_NUMBER() OVER (PARTITION BY validator ORDER BY block_number DESC, event_id DESC) AS rn
        FROM w_sa_flows
    ),
    created AS (
        SELECT validator, block_number, amount_usah,
               ROW_NUMBER() OVER (PARTITION BY validator ORDER BY block_number, event_id) AS rn
        FROM w_sa_flows WHERE side = 'create'
    ),
    delegator_changes AS (
        SELECT validator,
               SUM(CASE WHEN COALESCE(old_net, 0) + delta > 0 THEN 1 ELSE 0 END
                   - CASE WHEN old_net > 0 THEN 1 ELSE 0 END) AS delta
        FROM w_sa_pairs GROUP BY validator
    ),
    keys AS (
        SELECT validator_id FROM observed UNION SELECT validator FROM flows
    ),
    -- A newer observation moves the anchor: the flows after it are summed again from staging.
    moved AS (
        SELECT o.validator_id, o.block_number
        FROM observed o
        LEFT JOIN sahara_validator_state s ON s.validator_id = o.validator_id
        WHERE o.rn = 1 AND {_newer("o", "s", "observed_block", "observed_event_id")}
    ),
    after_moved AS (
        SELECT f.validator, SUM(f.amount_usah) AS amount_usah
        FROM stg_sahara_delegation_flows f
        JOIN moved m ON m.validator_id = f.validator AND f.block_number > m.block_number - {ANCHOR_LAG}
        GROUP BY f.validator
    ),
    after_window AS (
        SELECT f.validator, SUM(f.amount_usah) AS amount_usah
        FROM w_sa_flows f
        JOIN sahara_validator_state s
          ON s.validator_id = f.validator AND f.block_number > s.observed_block - {ANCHOR_LAG}
        GROUP BY f.validator
    )
    SELECT k.validator_id,
           {_pick(_MOVED, "o.consensus_address", "s.consensus_address")},
           {_pick(_MOVED, "o.block_number", "s.observed_block")},
           {_pick(_MOVED, "o.block_time", "s.observed_at")},
           {_pick(_MOVED, "o.event_id", "s.observed_event_id")},
           {_pick(_MOVED, "o.voting_power", "s.observed_power")},
           {_pick(_MOVED, "o.commission_rate", "s.commission_rate")},
           LEAST(s.first_observed_at, o.first_at),
           {_pick(_EARLIER_CREATE, "c.block_number", "s.created_block")},
           {_pick(_EARLIER_CREATE, "c.amount_usah", "s.created_usah")},
           COALESCE(s.net_flows_usah, 0) + COALESCE(f.net_usah, 0),
           CASE WHEN {_MOVED} THEN COALESCE(am.amount_usah, 0)
                ELSE COALESCE(s.flows_after_observed_usah, 0) + COALESCE(aw.amount_usah, 0) END,
           COALESCE(s.delegators, 0) + COALESCE(dc.delta, 0),
           LEAST(s.first_flow_block, f.first_block),
           LEAST(s.staking_first_at, f.first_at),
           GREATEST(s.staking_last_at, f.last_at),
           {_pick(_LATER_FLOW, "lf.block_number", "s.staking_last_block")},
           {_pick(_LATER_FLOW, "lf.event_id", "s.staking_last_event_id")}
    FROM keys k
    LEFT JOIN sahara_validator_state s ON s.validator_id = k.validator_id
    LEFT JOIN observed o ON o.validator_id = k.validator_id AND o.rn = 1
    LEFT JOIN flows f ON f.validator = k.validator_id
    LEFT JOIN latest_flow lf ON lf.validator = k.validator_id AND lf.rn = 1
    LEFT JOIN created c ON c.validator = k.validator_id AND c.rn = 1
    LEFT JOIN delegator_changes dc ON dc.validator = k.validator_id
    LEFT JOIN after_moved am ON am.validator = k.validator_id
    LEFT JOIN after_window aw ON aw.validator = k.validator_id
    ON CONFLICT (validator_id) DO UPDATE SET
        {", ".join(f"{c} = excluded.{c}" for c in _STATE_COLUMNS)}
"""

#: The mart rows are rewritten from the state (one row per validator) when the window held a staking
#: event or a new set, and emptied on a replay from position 0.
_SAHARA_CHANGED = f"""
    (EXISTS (SELECT 1 FROM w_sa_flows)
     OR EXISTS (SELECT 1 FROM stg_sahara_validator_sets WHERE {WINDOW}))
"""

DELETE_VALIDATORS = f"DELETE FROM validators WHERE chain = 'sahara' AND (:lo = 0 OR {_SAHARA_CHANGED})"

INSERT_VALIDATORS = f"""
    INSERT INTO validators
        (chain, validator_id, address, consensus_address, stake_tokens, voting_power, delegators,
         delegated_base_units, commission_rate, first_observed_at, last_observed_at, event_id,
         delegated_basis, delegated_since_block, delegators_since_block)
    SELECT 'sahara', s.validator_id, s.validator_id, s.consensus_address,
           CAST(CASE WHEN s.observed_block = l.block_number THEN s.observed_power ELSE 0 END AS DOUBLE PRECISION),
           CASE WHEN s.observed_block = l.block_number THEN s.observed_power ELSE 0 END,
           s.delegators,
           CASE WHEN s.created_block IS NOT NULL THEN s.created_usah + s.net_flows_usah
                WHEN s.observed_block IS NOT NULL
                THEN CAST(s.observed_power AS NUMERIC(38, 0)) * {POWER_REDUCTION} + s.flows_after_observed_usah
           END,
           s.commission_rate,
           LEAST(s.first_observed_at, s.staking_first_at),
           GREATEST(s.observed_at, s.staking_last_at),
           COALESCE(s.observed_event_id, s.staking_last_event_id),
           CASE WHEN s.created_block IS NOT NULL THEN 'created' WHEN s.observed_block IS NOT NULL THEN 'observed' END,
           COALESCE(s.created_block, s.observed_block),
           f.block_number
    FROM sahara_validator_state s
    CROSS JOIN (SELECT MAX(block_number) AS block_number FROM stg_sahara_validator_sets) l
    CROSS JOIN (SELECT MIN(first_flow_block) AS block_number FROM sahara_validator_state) f
    WHERE {_SAHARA_CHANGED}
"""

SAHARA_ANNOTATIONS = register(
    Projection(
        name="sahara_annotations",
        tables=("stg_sahara_annotation_events", "stg_sahara_tasks", "annotations", "contributors"),
        doc=__doc__,
        statements=(
            STAGE_ANNOTATION_EVENTS,
            STAGE_PAYMENTS,
            STAGE_TASKS,
            WINDOW_ANNOTATION_IDS,
            OnlyOn("postgresql", "ANALYZE w_sa_touched"),
            WINDOW_ANNOTATIONS,
            WINDOW_CONTRIBUTOR_CHANGES,
            WINDOW_ACTIVITY,
            FOLD_CONTRIBUTORS,
            DELETE_ANNOTATIONS,
            INSERT_ANNOTATIONS,
            *(
                f"DROP TABLE {t}"
                for t in ("w_sa_activity", "w_sa_changes", "w_sa_annotations", "w_sa_touched")
            ),
        ),
    )
)
SAHARA_VALIDATORS = register(
    Projection(
        name="sahara_validators",
        # Not `validators`: a rebuild empties the tables listed here, and Bittensor rows share it.
        tables=(
            "stg_sahara_validator_sets",
            "stg_sahara_delegation_flows",
            "sahara_delegations",
            "sahara_validator_state",
        ),
        doc=__doc__,
        statements=(
            STAGE_VALIDATOR_SETS,
            STAGE_FLOWS,
            WINDOW_FLOWS,
            WINDOW_PAIRS,
            FOLD_VALIDATOR_STATE,
            FOLD_DELEGATIONS,
            DELETE_VALIDATORS,
            INSERT_VALIDATORS,
            "DROP TABLE w_sa_pairs",
            "DROP TABLE w_sa_flows",
        ),
    )
)

# --- sahara_daily -------------------------------------------------------------------------------------
_DAY = "CAST(date_trunc('day', {}.block_time) AS DATE)"
_IN_DAY = "{a}.block_time >= d.day AND {a}.block_time < d.day + INTERVAL '1 day'"

DAILY_DAYS = f"""
    CREATE TEMPORARY TABLE w_sd_days AS
    SELECT DISTINCT {_DAY.format("e")} AS day FROM events e
    WHERE e.seq > :lo AND e.seq <= :hi
      AND (e.event_type IN ({REWARD_PAID}, 'mint.mint', 'staking.ValidatorObserved')
           OR (e.event_type = 'market.Quote' AND e.payload->>'coin_id' = 'sahara-ai'))
"""

_DAILY_COLUMNS = """
    (day, complete, payments, contributors_paid, rewards_paid_wei, rewards_paid_sahara, rewards_paid_usd,
     mint_blocks, minted_wei, minted_sahara, inflation_rate, bonded_ratio, supply_sahara, inflation_annualised,
     bonded_observed_sahara, price_usd)
"""

INSERT_DAILY = f"""
    INSERT INTO sahara_daily {_DAILY_COLUMNS}
    WITH paid AS (
        SELECT d.day, date_trunc('hour', p.block_time) AS hour, p.payload->>'contributor' AS contributor,
               CAST(p.payload->>'amount' AS NUMERIC(38, 0)) AS wei
        FROM events p JOIN w_sd_days d ON {_IN_DAY.format(a="p")}
        WHERE p.event_type = {REWARD_PAID}
    ),
    rewards AS (
        SELECT day, COUNT(*) AS payments, COUNT(DISTINCT contributor) AS contributors, SUM(wei) AS wei
        FROM paid GROUP BY day
    ),
    hours AS (
        SELECT h.day, h.wei, m.price_usd
        FROM (SELECT day, hour, SUM(wei) AS wei FROM paid GROUP BY day, hour) h
        LEFT JOIN market_caps m ON m.coin_id = 'sahara-ai' AND m.hour = h.hour
    ),
    rewards_usd AS (
        SELECT day, CASE WHEN COUNT(price_usd) = COUNT(*)
                         THEN SUM(CAST({sahara("wei")} AS DOUBLE PRECISION) * price_usd) END AS usd
        FROM hours GROUP BY day
    ),
    mints AS (
        SELECT d.day, e.block_number, e.event_id, CAST(e.payload->>'amount' AS NUMERIC(38, 0)) AS wei,
               e.payload->>'inflation' AS inflation, e.payload->>'bonded_ratio' AS bonded_ratio,
               e.payload->>'annual_provisions' AS annual_provisions
        FROM events e JOIN w_sd_days d ON {_IN_DAY.format(a="e")}
        WHERE e.event_type = 'mint.mint'
    ),
    minted AS (SELECT day, COUNT(*) AS blocks, SUM(wei) AS wei FROM mints GROUP BY day),
    last_mint AS (
        SELECT mints.*, ROW_NUMBER() OVER (PARTITION BY day ORDER BY block_number DESC, event_id DESC) AS rn
        FROM mints
    ),
    sets AS (
        SELECT d.day, s.block_number, CAST(s.payload->>'voting_power' AS NUMERIC(38, 0)) AS voting_power,
               MAX(s.block_number) OVER (PARTITION BY d.day) AS last_block
        FROM events s JOIN w_sd_days d ON {_IN_DAY.format(a="s")}
        WHERE s.event_type = 'staking.ValidatorObserved'
    ),
    bonded AS (
        SELECT day, SUM(voting_power) AS sahara
        FROM sets WHERE block_number = last_block GROUP BY day
    )
    SELECT d.day, FALSE, COALESCE(r.payments, 0), COALESCE(r.contributors, 0),
           COALESCE(r.wei, 0), {sahara("COALESCE(r.wei, 0)")}, COALESCE(u.usd, CASE WHEN r.wei IS NULL THEN 0 END),
           COALESCE(m.blocks, 0), COALESCE(m.wei, 0), {sahara("COALESCE(m.wei, 0)")},
           CAST(l.inflation AS NUMERIC(38, 18)), CAST(l.bonded_ratio AS NUMERIC(38, 18)),
           CAST(l.annual_provisions AS DOUBLE PRECISION) / 1e18
               / NULLIF(CAST(l.inflation AS DOUBLE PRECISION), 0),
           CAST(NULL AS DOUBLE PRECISION), b.sahara, q.price_usd
    FROM w_sd_days d
    LEFT JOIN rewards r ON r.day = d.day
    LEFT JOIN rewards_usd u ON u.day = d.day
    LEFT JOIN minted m ON m.day = d.day
    LEFT JOIN last_mint l ON l.day = d.day AND l.rn = 1
    LEFT JOIN bonded b ON b.day = d.day
    LEFT JOIN market_caps_daily q ON q.coin_id = 'sahara-ai' AND CAST(q.day AS DATE) = d.day
"""

#: `complete` follows chain_days, which moves with ingest batches: refreshed on every run (a row per
#: day, a few hundred rows), with the annualised figure that only a complete day may carry.
REFRESH_COMPLETE = """
    UPDATE sahara_daily SET
        complete = x.complete,
        inflation_annualised = CASE WHEN x.complete AND sahara_daily.supply_sahara > 0
            THEN CAST(sahara_daily.minted_sahara AS DOUBLE PRECISION) * 365 / sahara_daily.supply_sahara END
    FROM (
        SELECT s.day, COALESCE(c.complete, FALSE) AS complete
        FROM sahara_daily s LEFT JOIN chain_days c ON c.chain = 'sahara' AND c.day = s.day
    ) x
    WHERE sahara_daily.day = x.day
      AND (sahara_daily.complete IS DISTINCT FROM x.complete
           OR sahara_daily.day IN (SELECT day FROM w_sd_days))
"""

SAHARA_DAILY = register(
    Projection(
        name="sahara_daily",
        tables=("sahara_daily",),
        doc=__doc__,
        statements=(
            DAILY_DAYS,
            "DELETE FROM sahara_daily WHERE day IN (SELECT day FROM w_sd_days)",
            INSERT_DAILY,
            REFRESH_COMPLETE,
            "DROP TABLE w_sd_days",
        ),
        upstream=("chain_days", "market_caps", "market_caps_daily"),
        reads_batches=True,
    )
)
