"""Projections that fold: staging and running state, so an incremental run costs what its new events cost.

Staging (typed and renamed, one row per event; `seq` is the event's position in the store, so a
projection reads exactly the rows of its window):
- `stg_bittensor_neurons` gains `seq`; `stg_bittensor_registrations`: one row per
  `SubtensorModule.NeuronRegistered`.
- `stg_sahara_annotation_events`: one row per `AnnotationSubmitted`, `AnnotationReviewed` and
  `RewardPaid` (a payment carries the annotation it is attributed to); `stg_sahara_tasks`: one row
  per `TaskCreated`; `stg_sahara_delegation_flows`: one row per change of a delegation (a redelegation
  gives two); `stg_sahara_validator_sets` gains `seq`.

Running state (one row per key, updated from the new events only):
- `bittensor_holders`: per (netuid, uid, hotkey) that held a UID — registration, deregistration,
  observation count, total emission, last sighting and the latest observation. `miners` and the
  Bittensor rows of `validators` are read from it.
- `bittensor_subnet_state`: per (netuid, kind) the latest `SubnetObserved`, `NetworkAdded`,
  `NetworkRemoved` and metagraph epoch.
- `sahara_delegations`: per (validator, delegator), the net flow over the stored staking events.
- `sahara_validator_state`: per Sahara operator, the latest observed voting power (the anchor of its
  bonded tokens), the flows after it, its self-bond when `create_validator` is stored, counters.
- `ecosystem_day_members` / `ecosystem_day_totals`: per chain and day, each participant's and
  validator's running reward and latest stake, and the day's totals; `ecosystem_daily` is computed
  from them.

`validators` gains `delegated_basis`, `delegated_since_block` and `delegators_since_block` (what the
Sahara delegation figures are measured from). Secondary indexes are created on PostgreSQL only:
DuckDB answers these reads with column scans and zone maps, and an ART index would only slow its
appends.

Every projection changed, so their positions are reset: the next run replays each from the first
event into emptied tables.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BASE_UNITS = sa.Numeric(38, 0)
PAYLOAD = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

#: (index, table, columns), created on PostgreSQL only.
POSTGRES_INDEXES = (
    ("ix_stg_bittensor_neurons_seq", "stg_bittensor_neurons", ["seq"]),
    ("ix_stg_bittensor_neurons_epoch", "stg_bittensor_neurons", ["netuid", "block_number"]),
    ("ix_stg_bittensor_registrations_seq", "stg_bittensor_registrations", ["seq"]),
    ("ix_stg_bittensor_registrations_uid", "stg_bittensor_registrations", ["netuid", "uid", "block_number"]),
    ("ix_bittensor_holders_hotkey", "bittensor_holders", ["netuid", "hotkey"]),
    ("ix_stg_sahara_annotation_events_seq", "stg_sahara_annotation_events", ["seq"]),
    ("ix_stg_sahara_annotation_events_annotation", "stg_sahara_annotation_events", ["annotation_id"]),
    ("ix_stg_sahara_annotation_events_task", "stg_sahara_annotation_events", ["task_id"]),
    ("ix_stg_sahara_annotation_events_tx", "stg_sahara_annotation_events", ["block_number", "tx_hash"]),
    ("ix_stg_sahara_annotation_events_contributor", "stg_sahara_annotation_events", ["contributor"]),
    ("ix_stg_sahara_tasks_task", "stg_sahara_tasks", ["task_id"]),
    ("ix_stg_sahara_delegation_flows_seq", "stg_sahara_delegation_flows", ["seq"]),
    (
        "ix_stg_sahara_delegation_flows_validator",
        "stg_sahara_delegation_flows",
        ["validator", "block_number"],
    ),
    ("ix_stg_sahara_validator_sets_seq", "stg_sahara_validator_sets", ["seq"]),
    ("ix_stg_sahara_validator_sets_block", "stg_sahara_validator_sets", ["block_number"]),
    ("ix_annotations_contributor", "annotations", ["contributor"]),
    ("ix_annotations_task", "annotations", ["task_id"]),
)


def upgrade() -> None:
    op.add_column("stg_bittensor_neurons", sa.Column("seq", sa.BigInteger))
    op.add_column("stg_sahara_validator_sets", sa.Column("seq", sa.BigInteger))
    op.create_table(
        "stg_bittensor_registrations",
        sa.Column("event_id", sa.String(32), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("block_number", sa.BigInteger, nullable=False),
        sa.Column("block_time", sa.DateTime, nullable=False),
        sa.Column("netuid", sa.Integer, nullable=False),
        sa.Column("uid", sa.Integer, nullable=False),
        sa.Column("hotkey", sa.String(64), nullable=False),
    )
    op.create_table(
        "bittensor_holders",
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
        sa.Column("last_seen_block", sa.BigInteger, nullable=False),
        sa.Column("stake_rao", BASE_UNITS),
        sa.Column("emission_rao", BASE_UNITS),
        sa.Column("incentive", sa.Double),
        sa.Column("dividends", sa.Double),
        sa.Column("validator_trust", sa.Double),
        sa.Column("validator_permit", sa.Boolean),
    )
    op.create_table(
        "bittensor_subnet_state",
        sa.Column("netuid", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("block_number", sa.BigInteger, nullable=False),
        sa.Column("block_time", sa.DateTime),
        sa.Column("event_id", sa.String(32)),
        sa.Column("payload", PAYLOAD),
    )
    op.create_table(
        "stg_sahara_annotation_events",
        sa.Column("event_id", sa.String(32), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("annotation_id", sa.String(80)),
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
    )
    op.create_table(
        "stg_sahara_tasks",
        sa.Column("event_id", sa.String(32), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("task_id", sa.String(80), nullable=False),
        sa.Column("client", sa.String(64)),
        sa.Column("block_number", sa.BigInteger, nullable=False),
        sa.Column("block_time", sa.DateTime, nullable=False),
    )
    op.create_table(
        "stg_sahara_delegation_flows",
        sa.Column("event_id", sa.String(32), primary_key=True),
        sa.Column("side", sa.String(16), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("validator", sa.String(96), nullable=False),
        sa.Column("delegator", sa.String(96)),
        sa.Column("amount_usah", BASE_UNITS, nullable=False),
        sa.Column("block_number", sa.BigInteger, nullable=False),
        sa.Column("block_time", sa.DateTime, nullable=False),
    )
    op.create_table(
        "sahara_delegations",
        sa.Column("validator", sa.String(96), primary_key=True),
        sa.Column("delegator", sa.String(96), primary_key=True),
        sa.Column("net_usah", BASE_UNITS, nullable=False),
        sa.Column("changes", sa.Integer, nullable=False),
        sa.Column("first_block", sa.BigInteger, nullable=False),
        sa.Column("last_block", sa.BigInteger, nullable=False),
        sa.Column("last_changed_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "sahara_validator_state",
        sa.Column("validator_id", sa.String(96), primary_key=True),
        sa.Column("consensus_address", sa.String(96)),
        sa.Column("observed_block", sa.BigInteger),
        sa.Column("observed_at", sa.DateTime),
        sa.Column("observed_event_id", sa.String(32)),
        sa.Column("observed_power", sa.BigInteger),
        sa.Column("commission_rate", sa.Double),
        sa.Column("first_observed_at", sa.DateTime),
        sa.Column("created_block", sa.BigInteger),
        sa.Column("created_usah", BASE_UNITS),
        sa.Column("net_flows_usah", BASE_UNITS, nullable=False),
        sa.Column("flows_after_observed_usah", BASE_UNITS, nullable=False),
        sa.Column("delegators", sa.Integer, nullable=False),
        sa.Column("first_flow_block", sa.BigInteger),
        sa.Column("staking_first_at", sa.DateTime),
        sa.Column("staking_last_at", sa.DateTime),
        sa.Column("staking_last_block", sa.BigInteger),
        sa.Column("staking_last_event_id", sa.String(32)),
    )
    op.create_table(
        "ecosystem_day_members",
        sa.Column("chain", sa.String(16), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("role", sa.String(16), primary_key=True),
        sa.Column("member", sa.String(128), primary_key=True),
        sa.Column("reward_base_units", BASE_UNITS, nullable=False),
        sa.Column("stake", sa.Double),
        sa.Column("permit", sa.Boolean),
        sa.Column("netuid", sa.Integer),
        sa.Column("latest_at", sa.DateTime),
        sa.Column("latest_event_id", sa.String(32)),
    )
    op.create_table(
        "ecosystem_day_totals",
        sa.Column("chain", sa.String(16), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("minted_base_units", BASE_UNITS),
        sa.Column("bonded_ratio", sa.Double),
        sa.Column("submitted", sa.Integer, nullable=False),
    )
    op.add_column("validators", sa.Column("delegated_basis", sa.String(16)))
    op.add_column("validators", sa.Column("delegated_since_block", sa.BigInteger))
    op.add_column("validators", sa.Column("delegators_since_block", sa.BigInteger))
    if op.get_bind().dialect.name == "postgresql":
        for name, table, columns in POSTGRES_INDEXES:
            op.create_index(name, table, columns)
    op.execute("DELETE FROM projection_state")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table, _columns in reversed(POSTGRES_INDEXES):
            op.drop_index(name, table_name=table)
    for column in ("delegators_since_block", "delegated_since_block", "delegated_basis"):
        op.drop_column("validators", column)
    for table in (
        "ecosystem_day_totals",
        "ecosystem_day_members",
        "sahara_validator_state",
        "sahara_delegations",
        "stg_sahara_delegation_flows",
        "stg_sahara_tasks",
        "stg_sahara_annotation_events",
        "bittensor_subnet_state",
        "bittensor_holders",
        "stg_bittensor_registrations",
    ):
        op.drop_table(table)
    op.drop_column("stg_sahara_validator_sets", "seq")
    op.drop_column("stg_bittensor_neurons", "seq")
    op.execute("DELETE FROM projection_state")
