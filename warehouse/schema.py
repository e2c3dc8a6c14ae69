"""SQLAlchemy Core models of the warehouse: the event store and the projection tables.

The event store (`events`, `ingest_checkpoints`, `quarantine`, `ingest_batches`) is the source of
truth. Every other table is a projection that `decai rebuild` can recreate from `events` alone.
Alembic migrations in `warehouse/migrations` create these tables; this module is what code imports.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData()

#: JSON on DuckDB, JSONB on PostgreSQL; both answer `payload->>'key'`.
PayloadJSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

events_seq = sa.Sequence("events_seq", metadata=metadata)

events = sa.Table(
    "events",
    metadata,
    sa.Column("event_id", sa.String(32), primary_key=True, comment="hash of chain, block, position, type"),
    # Position in the store: projections remember the last seq they folded in.
    sa.Column("seq", sa.BigInteger, events_seq, server_default=events_seq.next_value(), nullable=False),
    sa.Column("chain", sa.String(16), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("block_number", sa.BigInteger, nullable=False),
    sa.Column("block_hash", sa.String(80)),
    sa.Column("block_time", sa.DateTime, nullable=False, comment="UTC"),
    sa.Column("position", sa.String(64), nullable=False),
    sa.Column("event_type", sa.String(96), nullable=False),
    sa.Column("payload", PayloadJSON, nullable=False),
    sa.Column("spec_version", sa.Integer),
    sa.Column("batch_id", sa.String(36), nullable=False),
    sa.Column("ingested_at", sa.DateTime, nullable=False, comment="UTC"),
)
sa.Index("ix_events_seq", events.c.seq, unique=True)
sa.Index("ix_events_chain_block", events.c.chain, events.c.source, events.c.block_number)
sa.Index("ix_events_type_time", events.c.event_type, events.c.block_time)

ingest_checkpoints = sa.Table(
    "ingest_checkpoints",
    metadata,
    sa.Column("source", sa.String(16), primary_key=True),
    sa.Column("stream", sa.String(64), primary_key=True, comment="coin id, chain id or contract"),
    sa.Column("position", sa.BigInteger, nullable=False, comment="last block (or unix second) covered"),
    sa.Column("batch_id", sa.String(36), nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column(
        "quarantine_id", sa.String(32), primary_key=True, comment="hash of source, position, rule, raw"
    ),
    sa.Column("batch_id", sa.String(36), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("chain", sa.String(16), nullable=False),
    sa.Column("position", sa.String(128), nullable=False),
    sa.Column("block_number", sa.BigInteger),
    sa.Column("rule", sa.String(128), nullable=False, comment="expectation or parser rule that failed"),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("raw", sa.Text, nullable=False, comment="the input exactly as received"),
    sa.Column("quarantined_at", sa.DateTime, nullable=False),
)
sa.Index("ix_quarantine_source", quarantine.c.source, quarantine.c.rule)

ingest_batches = sa.Table(
    "ingest_batches",
    metadata,
    sa.Column("batch_id", sa.String(36), primary_key=True),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("stream", sa.String(64), nullable=False),
    sa.Column("range_unit", sa.String(8), nullable=False, comment="'block' or 'unix_s'"),
    sa.Column("range_start", sa.BigInteger, nullable=False, comment="inclusive"),
    sa.Column("range_end", sa.BigInteger, nullable=False, comment="exclusive"),
    sa.Column("rows_in", sa.Integer, nullable=False),
    sa.Column("rows_loaded", sa.Integer, nullable=False, comment="new events plus ones already stored"),
    sa.Column("rows_new", sa.Integer, nullable=False),
    sa.Column("rows_quarantined", sa.Integer, nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("duration_s", sa.Double, nullable=False),
    sa.Column("run_id", sa.String(250)),
    sa.Column("before_block_time", sa.DateTime, comment="UTC time of block range_start - 1, if read"),
    sa.Column(
        "after_block_time",
        sa.DateTime,
        comment="UTC time of block range_end, the first block after the range, if final when read",
    ),
)
sa.Index(
    "ix_ingest_batches_source", ingest_batches.c.source, ingest_batches.c.stream, ingest_batches.c.started_at
)

projection_state = sa.Table(
    "projection_state",
    metadata,
    sa.Column("projection", sa.String(64), primary_key=True),
    sa.Column("last_seq", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

market_caps = sa.Table(
    "market_caps",
    metadata,
    sa.Column("coin_id", sa.String(32), primary_key=True),
    sa.Column("hour", sa.DateTime, primary_key=True, comment="UTC hour the quote falls in"),
    sa.Column("price_usd", sa.Double, nullable=False),
    sa.Column("market_cap_usd", sa.Double, nullable=False),
    sa.Column("total_volume_usd", sa.Double, nullable=False),
    sa.Column("observed_at", sa.DateTime, nullable=False, comment="time of the last quote in the hour"),
    sa.Column("quotes", sa.Integer, nullable=False, comment="quotes observed in the hour"),
    sa.Column("event_id", sa.String(32), nullable=False, comment="the quote this row shows (provenance)"),
    comment="Grain: one row per coin per UTC hour, from the last market.Quote observed in that hour.",
)

market_caps_daily = sa.Table(
    "market_caps_daily",
    metadata,
    sa.Column("coin_id", sa.String(32), primary_key=True),
    sa.Column("day", sa.DateTime, primary_key=True, comment="UTC day the quote falls in"),
    sa.Column("price_usd", sa.Double, nullable=False),
    sa.Column("market_cap_usd", sa.Double, nullable=False),
    sa.Column("total_volume_usd", sa.Double, nullable=False),
    sa.Column("observed_at", sa.DateTime, nullable=False, comment="time of the last quote in the day"),
    sa.Column("quotes", sa.Integer, nullable=False),
    sa.Column("event_id", sa.String(32), nullable=False),
    sa.Column("hours_stored", sa.Integer, comment="UTC hours of the day with at least one stored quote"),
    sa.Column("complete", sa.Boolean, comment="all 24 hourly quotes of the day are stored"),
    comment="Grain: one row per coin per UTC day, from the last market.Quote observed in that day.",
)

chain_blocks = sa.Table(
    "chain_blocks",
    metadata,
    sa.Column("source", sa.String(16), primary_key=True),
    sa.Column("stream", sa.String(64), primary_key=True),
    sa.Column("block_number", sa.BigInteger, primary_key=True),
    sa.Column("block_hash", sa.String(80), nullable=False),
    sa.Column("parent_hash", sa.String(80)),
    sa.Column("block_time", sa.DateTime, nullable=False),
    sa.Column("spec_version", sa.Integer),
    sa.Column("event_count", sa.Integer, nullable=False, comment="events the source reported in the block"),
    sa.Column("batch_id", sa.String(36), nullable=False),
    comment="Grain: one row per ingested block per source; the chain audits read it.",
)
sa.Index("ix_chain_blocks_time", chain_blocks.c.source, chain_blocks.c.block_time)

dq_results = sa.Table(
    "dq_results",
    metadata,
    sa.Column("result_id", sa.String(36), primary_key=True),
    sa.Column("suite", sa.String(64), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("stream", sa.String(64), nullable=False),
    sa.Column("batch_id", sa.String(36), comment="the batch it let through; null when the batch failed"),
    sa.Column("range_start", sa.BigInteger, nullable=False),
    sa.Column("range_end", sa.BigInteger, nullable=False),
    sa.Column("rows_validated", sa.Integer, nullable=False),
    sa.Column("rows_quarantined", sa.Integer, nullable=False),
    sa.Column("expectations_evaluated", sa.Integer, nullable=False),
    sa.Column("expectations_failed", sa.Integer, nullable=False),
    sa.Column("success", sa.Boolean, nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False, comment="'passed', 'quarantined' or 'failed'"),
    sa.Column("details", PayloadJSON, nullable=False, comment="per expectation: failing rows"),
    sa.Column("run_seconds", sa.Double, nullable=False),
    sa.Column("validated_at", sa.DateTime, nullable=False),
    comment="Grain: one row per suite run on one batch (a run log, like ingest_batches).",
)
sa.Index("ix_dq_results_suite", dq_results.c.suite, dq_results.c.validated_at)

stg_bittensor_neurons = sa.Table(
    "stg_bittensor_neurons",
    metadata,
    sa.Column("event_id", sa.String(32), primary_key=True, comment="the NeuronObserved event"),
    sa.Column("seq", sa.BigInteger, comment="the event's position in the store"),
    sa.Column("block_number", sa.BigInteger, nullable=False, comment="the subnet's epoch block"),
    sa.Column("block_time", sa.DateTime, nullable=False),
    sa.Column("netuid", sa.Integer, nullable=False),
    sa.Column("uid", sa.Integer, nullable=False),
    sa.Column("hotkey", sa.String(64), nullable=False),
    sa.Column("coldkey", sa.String(64)),
    sa.Column("stake_rao", sa.Numeric(38, 0)),
    sa.Column("emission_rao", sa.Numeric(38, 0), comment="alpha rao the UID received in this epoch"),
    sa.Column("rank", sa.Double),
    sa.Column("incentive", sa.Double, comment="0..1 (u16 / 65535)"),
    sa.Column("dividends", sa.Double, comment="0..1"),
    sa.Column("consensus", sa.Double, comment="0..1"),
    sa.Column("trust", sa.Double, comment="0..1"),
    sa.Column("validator_trust", sa.Double, comment="0..1"),
    sa.Column("pruning_score", sa.Double, comment="0..1"),
    sa.Column("validator_permit", sa.Boolean),
    sa.Column("active", sa.Boolean),
    sa.Column("last_update", sa.BigInteger),
    sa.Column("axon_block", sa.BigInteger),
    comment="Grain: one row per SubtensorModule.NeuronObserved event (a UID at a subnet epoch).",
)
sa.Index(
    "ix_stg_bittensor_neurons_uid",
    stg_bittensor_neurons.c.netuid,
    stg_bittensor_neurons.c.uid,
    stg_bittensor_neurons.c.block_number,
)
sa.Index(
    "ix_stg_bittensor_neurons_hotkey",
    stg_bittensor_neurons.c.netuid,
    stg_bittensor_neurons.c.hotkey,
    stg_bittensor_neurons.c.block_number,
)

stg_sahara_validator_sets = sa.Table(
    "stg_sahara_validator_sets",
    metadata,
    sa.Column("event_id", sa.String(32), primary_key=True, comment="the staking.ValidatorObserved event"),
    sa.Column("seq", sa.BigInteger, comment="the event's position in the store"),
    sa.Column("block_number", sa.BigInteger, nullable=False),
    sa.Column("block_time", sa.DateTime, nullable=False),
    sa.Column("set_position", sa.Integer, nullable=False, comment="0-based, CometBFT's set order"),
    sa.Column("consensus_address", sa.String(96), nullable=False, comment="CometBFT address (hex)"),
    sa.Column("voting_power", sa.BigInteger, nullable=False, comment="whole SAHARA bonded (tokens // 1e18)"),
    sa.Column("proposer_priority", sa.BigInteger),
    sa.Column("validator_count", sa.Integer),
    sa.Column(
        "operator_address",
        sa.String(96),
        comment="saharavaloper… of the same block's rewards event at this set position; null if shares disagree",
    ),
    sa.Column("reward_atto_usah", sa.Double, comment="that rewards event's amount, 1e-18 usah"),
    sa.Column("commission_atto_usah", sa.Double, comment="the operator's commission in the same block"),
    comment="Grain: one row per staking.ValidatorObserved event (a validator in the set at a height).",
)
sa.Index(
    "ix_stg_sahara_validator_sets_operator",
    stg_sahara_validator_sets.c.operator_address,
    stg_sahara_validator_sets.c.block_number,
)

BASE_UNITS = sa.Numeric(38, 0)

stg_bittensor_registrations = sa.Table(
    "stg_bittensor_registrations",
    metadata,
    sa.Column("event_id", sa.String(32), primary_key=True, comment="the NeuronRegistered event"),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("block_number", sa.BigInteger, nullable=False),
    sa.Column("block_time", sa.DateTime, nullable=False),
    sa.Column("netuid", sa.Integer, nullable=False),
    sa.Column("uid", sa.Integer, nullable=False),
    sa.Column("hotkey", sa.String(64), nullable=False),
    comment="Grain: one row per SubtensorModule.NeuronRegistered event.",
)

bittensor_holders = sa.Table(
    "bittensor_holders",
    metadata,
    sa.Column("netuid", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("uid", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("hotkey", sa.String(64), primary_key=True),
    sa.Column("coldkey", sa.String(64)),
    sa.Column("registered_block", sa.BigInteger),
    sa.Column("registered_at", sa.DateTime),
    sa.Column("registration_event_id", sa.String(32)),
    sa.Column("deregistered_block", sa.BigInteger),
    sa.Column("deregistered_at", sa.DateTime),
    sa.Column("first_observed_at", sa.DateTime),
    sa.Column("last_observed_block", sa.BigInteger),
    sa.Column("last_observed_at", sa.DateTime),
    sa.Column("last_observed_event_id", sa.String(32)),
    sa.Column("observations", sa.Integer, nullable=False),
    sa.Column("total_emission_rao", BASE_UNITS),
    sa.Column("last_seen_block", sa.BigInteger, nullable=False, comment="last registration or observation"),
    sa.Column("stake_rao", BASE_UNITS),
    sa.Column("emission_rao", BASE_UNITS),
    sa.Column("incentive", sa.Double),
    sa.Column("dividends", sa.Double),
    sa.Column("validator_trust", sa.Double),
    sa.Column("validator_permit", sa.Boolean),
    comment="Grain: one row per (netuid, uid, hotkey) that held the UID; running state of miners/validators.",
)
sa.Index("ix_bittensor_holders_hotkey", bittensor_holders.c.netuid, bittensor_holders.c.hotkey)

bittensor_subnet_state = sa.Table(
    "bittensor_subnet_state",
    metadata,
    sa.Column("netuid", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(16), primary_key=True, comment="'observed', 'added', 'removed' or 'epoch'"),
    sa.Column("block_number", sa.BigInteger, nullable=False),
    sa.Column("block_time", sa.DateTime),
    sa.Column("event_id", sa.String(32)),
    sa.Column("payload", PayloadJSON, comment="the SubnetObserved payload ('observed' only)"),
    comment="Grain: one row per (netuid, kind): the latest event of that kind.",
)

stg_sahara_annotation_events = sa.Table(
    "stg_sahara_annotation_events",
    metadata,
    sa.Column("event_id", sa.String(32), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False, comment="'submitted', 'reviewed' or 'paid'"),
    sa.Column("annotation_id", sa.String(80), comment="for 'paid': the annotation it is attributed to"),
    sa.Column("task_id", sa.String(80)),
    sa.Column("contributor", sa.String(64)),
    sa.Column("content_hash", sa.String(80)),
    sa.Column("reviewer", sa.String(64)),
    sa.Column("accepted", sa.Boolean),
    sa.Column("quality_score", sa.Double),
    sa.Column("amount_usah", BASE_UNITS),
    sa.Column("tx_hash", sa.String(80)),
    sa.Column("block_number", sa.BigInteger, nullable=False),
    sa.Column("log_index", sa.Integer, nullable=False),
    sa.Column("block_time", sa.DateTime, nullable=False),
    comment="Grain: one row per AnnotationSubmitted, AnnotationReviewed or RewardPaid event.",
)

stg_sahara_tasks = sa.Table(
    "stg_sahara_tasks",
    metadata,
    sa.Column("event_id", sa.String(32), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("task_id", sa.String(80), nullable=False),
    sa.Column("client", sa.String(64)),
    sa.Column("block_number", sa.BigInteger, nullable=False),
    sa.Column("block_time", sa.DateTime, nullable=False),
    comment="Grain: one row per DataServices.TaskCreated event.",
)

stg_sahara_delegation_flows = sa.Table(
    "stg_sahara_delegation_flows",
    metadata,
    sa.Column("event_id", sa.String(32), primary_key=True),
    sa.Column(
        "side",
        sa.String(16),
        primary_key=True,
        comment="'delegate', 'unbond', 'redelegate_out', 'redelegate_in' or 'create'",
    ),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("validator", sa.String(96), nullable=False),
    sa.Column("delegator", sa.String(96), comment="null for a self-bond"),
    sa.Column("amount_usah", BASE_UNITS, nullable=False, comment="signed: what the validator's tokens moved"),
    sa.Column("block_number", sa.BigInteger, nullable=False),
    sa.Column("block_time", sa.DateTime, nullable=False),
    comment="Grain: one row per change of a validator's bonded tokens (a redelegation gives two).",
)

sahara_delegations = sa.Table(
    "sahara_delegations",
    metadata,
    sa.Column("validator", sa.String(96), primary_key=True),
    sa.Column("delegator", sa.String(96), primary_key=True),
    sa.Column("net_usah", BASE_UNITS, nullable=False, comment="net flow over the stored events"),
    sa.Column("changes", sa.Integer, nullable=False),
    sa.Column("first_block", sa.BigInteger, nullable=False),
    sa.Column("last_block", sa.BigInteger, nullable=False),
    sa.Column("last_changed_at", sa.DateTime, nullable=False),
    comment="Grain: one row per (validator, delegator) with a stored delegation event.",
)

sahara_validator_state = sa.Table(
    "sahara_validator_state",
    metadata,
    sa.Column("validator_id", sa.String(96), primary_key=True),
    sa.Column("consensus_address", sa.String(96)),
    sa.Column("observed_block", sa.BigInteger, comment="the latest set it was matched in: the anchor"),
    sa.Column("observed_at", sa.DateTime),
    sa.Column("observed_event_id", sa.String(32)),
    sa.Column("observed_power", sa.BigInteger),
    sa.Column("commission_rate", sa.Double),
    sa.Column("first_observed_at", sa.DateTime),
    sa.Column("created_block", sa.BigInteger),
    sa.Column("created_usah", BASE_UNITS),
    sa.Column("net_flows_usah", BASE_UNITS, nullable=False, comment="every flow but the self-bond"),
    sa.Column("flows_after_observed_usah", BASE_UNITS, nullable=False),
    sa.Column("delegators", sa.Integer, nullable=False),
    sa.Column("first_flow_block", sa.BigInteger),
    sa.Column("staking_first_at", sa.DateTime),
    sa.Column("staking_last_at", sa.DateTime),
    sa.Column("staking_last_block", sa.BigInteger),
    sa.Column("staking_last_event_id", sa.String(32)),
    comment="Grain: one row per Sahara operator; running state of the Sahara rows of validators.",
)

ecosystem_day_members = sa.Table(
    "ecosystem_day_members",
    metadata,
    sa.Column("chain", sa.String(16), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("role", sa.String(16), primary_key=True, comment="'participant' or 'validator'"),
    sa.Column("member", sa.String(128), primary_key=True),
    sa.Column("reward_base_units", BASE_UNITS, nullable=False),
    sa.Column("stake", sa.Double, comment="latest of the day"),
    sa.Column("permit", sa.Boolean),
    sa.Column("netuid", sa.Integer),
    sa.Column("latest_at", sa.DateTime),
    sa.Column("latest_event_id", sa.String(32)),
    sa.Column(
        "earner_reward_base_units",
        BASE_UNITS,
        comment="the day's reward as the Lorenz curves count it: Bittensor observations without "
        "validator permit, every Sahara payment",
    ),
    sa.Column(
        "earner",
        sa.Boolean,
        comment="counts in the Lorenz curves that day: a Bittensor UID observed without validator "
        "permit, every Sahara contributor",
    ),
    comment="Grain: one row per (chain, day, role, member); running state of ecosystem_daily.",
)

ecosystem_day_totals = sa.Table(
    "ecosystem_day_totals",
    metadata,
    sa.Column("chain", sa.String(16), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("minted_base_units", BASE_UNITS),
    sa.Column("bonded_ratio", sa.Double),
    sa.Column("submitted", sa.Integer, nullable=False),
    comment="Grain: one row per (chain, day): Sahara's minted tokens, bonded ratio and submissions.",
)

chain_source_days = sa.Table(
    "chain_source_days",
    metadata,
    sa.Column("source", sa.String(16), primary_key=True),
    sa.Column("stream", sa.String(64), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True, comment="UTC day"),
    sa.Column("chain", sa.String(16), nullable=False),
    sa.Column("first_block", sa.BigInteger, nullable=False, comment="first stored block of the day"),
    sa.Column("last_block", sa.BigInteger, nullable=False, comment="last stored block of the day"),
    sa.Column("blocks_stored", sa.Integer, nullable=False),
    sa.Column("previous_block_time", sa.DateTime, comment="time of block first_block - 1, if known"),
    sa.Column("next_block_time", sa.DateTime, comment="time of block last_block + 1, if known and final"),
    sa.Column(
        "complete",
        sa.Boolean,
        nullable=False,
        comment="no gap, block first_block - 1 before the day, block last_block + 1 final and after it",
    ),
    comment="Grain: one row per (source, stream, UTC day) with a stored block; running state of chain_days.",
)

chain_days = sa.Table(
    "chain_days",
    metadata,
    sa.Column("chain", sa.String(16), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True, comment="UTC day"),
    sa.Column(
        "complete",
        sa.Boolean,
        nullable=False,
        comment="the finalized head is past the day's end and every block of the day is stored, "
        "by every source of the chain (Sahara: cometbft and evm)",
    ),
    sa.Column("first_block", sa.BigInteger, nullable=False, comment="of the chain's consensus source"),
    sa.Column("last_block", sa.BigInteger, nullable=False),
    sa.Column("blocks_stored", sa.Integer, nullable=False),
    comment="Grain: one row per (chain, UTC day) whose consensus source (subtensor, cometbft) has a stored block.",
)

chain_days_batches = sa.Table(
    "chain_days_batches",
    metadata,
    sa.Column("batch_id", sa.String(36), primary_key=True),
    comment="Grain: one row per ingest batch the completeness projection has folded in.",
)

EXACT_SAHARA = sa.Numeric(38, 18)

sahara_daily = sa.Table(
    "sahara_daily",
    metadata,
    sa.Column("day", sa.Date, primary_key=True, comment="UTC day"),
    sa.Column(
        "complete", sa.Boolean, nullable=False, comment="chain_days: every Sahara block of the day stored"
    ),
    sa.Column("payments", sa.Integer, nullable=False, comment="DataServices.RewardPaid events"),
    sa.Column("contributors_paid", sa.Integer, nullable=False),
    sa.Column(
        "rewards_paid_wei", BASE_UNITS, nullable=False, comment="usah (1e18 per SAHARA), summed exactly"
    ),
    sa.Column("rewards_paid_sahara", EXACT_SAHARA, nullable=False, comment="rewards_paid_wei / 1e18, exact"),
    sa.Column(
        "rewards_paid_usd",
        sa.Double,
        comment="sum over hours of that hour's rewards x its SAHARA/USD quote; NULL if an hour lacks one",
    ),
    sa.Column("mint_blocks", sa.Integer, nullable=False, comment="blocks with a mint event"),
    sa.Column("minted_wei", BASE_UNITS, nullable=False, comment="sum of the mint events' amounts, usah"),
    sa.Column("minted_sahara", EXACT_SAHARA, nullable=False),
    sa.Column("inflation_rate", EXACT_SAHARA, comment="x/mint's annual inflation, the day's last mint event"),
    sa.Column(
        "bonded_ratio", EXACT_SAHARA, comment="bonded tokens / supply as x/mint read it, last mint event"
    ),
    sa.Column(
        "supply_sahara", sa.Double, comment="annual_provisions / inflation of the day's last mint event"
    ),
    sa.Column(
        "inflation_annualised",
        sa.Double,
        comment="minted_sahara x 365 / supply_sahara; complete days only (NULL otherwise)",
    ),
    sa.Column(
        "bonded_observed_sahara",
        BASE_UNITS,
        comment="sum of voting power (whole SAHARA) of the day's last observed validator set",
    ),
    sa.Column("price_usd", sa.Double, comment="the day's last SAHARA/USD quote (market_caps_daily)"),
    comment="Grain: one row per UTC day with a Sahara reward payment, mint event or validator-set observation.",
)

reference_facts = sa.Table(
    "reference_facts",
    metadata,
    sa.Column("fact_id", sa.String(64), primary_key=True, comment="stable key of the fact, e.g. sh_funding"),
    sa.Column("subject", sa.String(32), nullable=False, comment="'bittensor', 'sahara' or 'sector'"),
    sa.Column("fact", sa.Text, nullable=False, comment="what the value states, in words"),
    sa.Column(
        "value", sa.Text, nullable=False, comment="the value as the source gives it (number, date, yes, text)"
    ),
    sa.Column(
        "value_number",
        sa.Numeric(38, 6),
        comment="value as an exact number when it is one (in `unit`); NULL for dates, ranges and text",
    ),
    sa.Column(
        "unit", sa.String(32), comment="USD, TAO, people, ratio, date, month, quarter, flag, text, ..."
    ),
    sa.Column("as_of", sa.Date, nullable=False, comment="the date the source states the fact for"),
    sa.Column("source_title", sa.Text, nullable=False, comment="title (and publisher) of the source"),
    sa.Column("source_url", sa.Text, nullable=False, comment="http(s) address of the source"),
    sa.Column("note", sa.Text, comment="qualifier from the source (about, 3M+, as reported by the team)"),
    comment=(
        "Grain: one row per off-chain reference fact (funding, IDO, ETF filing, launches, third-party "
        "counts), each with its source and as-of date; loaded from warehouse/data/reference_facts.csv."
    ),
)

EVENT_STORE_TABLES = ("events", "ingest_checkpoints", "quarantine", "ingest_batches")
