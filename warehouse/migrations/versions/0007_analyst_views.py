"""Documented views for analysts (`v_*`): the questions people ask, without knowing the event store.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

VIEWS = {
    # One row per chain per day: the side-by-side comparison.
    "v_comparison_daily": """
        SELECT chain, day, participants, participants_earning, share_earning, validators, nakamoto,
               gini, top10_share, rewards_tokens, rewards_usd, rewards_per_participant_usd,
               emission_tokens, inflation_annualised, staking_ratio, supply_tokens, supply_cap_share,
               price_usd, market_cap_usd, units_active, units_label
        FROM ecosystem_daily
    """,
    # One row per coin per UTC day.
    "v_market_daily": """
        SELECT coin_id, day, price_usd, market_cap_usd, total_volume_usd, quotes FROM market_caps_daily
    """,
    # One row per live Bittensor subnet, biggest emission share first.
    "v_subnet_leaderboard": """
        SELECT netuid, owner, emission_share, alpha_price_tao, miners, validators,
               CAST(tao_in_rao AS DOUBLE PRECISION) / 1e9 AS tao_in_pool, last_observed_at
        FROM subnets WHERE removed_at IS NULL
    """,
    # One row per subnet: how many of its miners earn anything (competition at work).
    "v_miners_earning_by_subnet": """
        SELECT netuid, COUNT(*) AS miners,
               SUM(CASE WHEN earns THEN 1 ELSE 0 END) AS miners_earning,
               AVG(CASE WHEN earns THEN 1.0 ELSE 0.0 END) AS share_earning
        FROM miners WHERE deregistered_at IS NULL GROUP BY netuid
    """,
    # One row per Sahara contributor.
    "v_contributor_leaderboard": """
        SELECT contributor, submitted, reviewed, accepted, acceptance_rate, rewards_sahara, reputation_tier,
               first_seen_at, last_active_at
        FROM contributors
    """,
    # One row per validator of either chain, in comparable units.
    "v_validators": """
        SELECT chain, validator_id, netuid, address, stake_tokens, voting_power, delegators, commission_rate,
               dividends, validator_trust, last_observed_at
        FROM validators
    """,
    # Data quality at a glance.
    "v_quarantine_summary": """
        SELECT source, rule, COUNT(*) AS rows_quarantined, MIN(quarantined_at) AS first_seen,
               MAX(quarantined_at) AS last_seen
        FROM quarantine GROUP BY source, rule
    """,
    "v_freshness": """
        SELECT c.source, c.stream, c.position, c.updated_at,
               (SELECT MAX(b.block_time) FROM chain_blocks b WHERE b.source = c.source AND b.stream = c.stream)
                   AS last_block_time
        FROM ingest_checkpoints c
    """,
}


def upgrade() -> None:
    for name, sql in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {sql}")


def downgrade() -> None:
    for name in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {name}")
