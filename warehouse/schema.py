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

EVENT_STORE_TABLES = ("events", "ingest_checkpoints", "quarantine", "ingest_batches")
