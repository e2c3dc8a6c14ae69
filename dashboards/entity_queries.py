"""Queries behind the entity pages: one subnet, hotkey, Sahara validator or contributor through time.

Each function takes an id already parsed by `dashboards.entities` (never raw text from a URL) and binds
it as a parameter. Histories come back one row per period — an hour when the entity's history covers
three UTC days or fewer, a UTC day above (`grain`) — and each row aggregates stored events only: a
period without any is absent, not zero-filled.

Units: Bittensor amounts are in TAO (`*_tao`) or in the subnet's own alpha (`*_alpha`); alpha is
converted to TAO at the pool price of its epoch (`bittensor_epoch_prices`, root's stake is TAO), and is
never added across subnets. Sahara amounts are in SAHARA (base units / 1e18).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from dashboards.queries import _read_or_empty

#: A history that covers more UTC days than this is drawn per day; otherwise per hour.
HOURLY_MAX_DAYS = 3
PERIOD_FREQ = {"hour": "h", "day": "D"}


def grain(times: Iterable[pd.Series]) -> str:
    """'hour' when the timestamps cover at most `HOURLY_MAX_DAYS` UTC days, else 'day'."""
    values = [pd.to_datetime(s).dropna() for s in times]
    values = [s for s in values if not s.empty]
    if not values:
        return "hour"
    first = min(s.min() for s in values).normalize()
    last = max(s.max() for s in values).normalize()
    return "hour" if (last - first).days < HOURLY_MAX_DAYS else "day"


def period_of(times: pd.Series, period: str) -> pd.Series:
    return pd.to_datetime(times).dt.floor(PERIOD_FREQ[period])


def _one(frame: pd.DataFrame) -> dict | None:
    return None if frame.empty else frame.iloc[0].to_dict()


def _sum_or_nan(values: pd.Series) -> float:
    """A sum that is unknown (NaN) when any part is: an epoch without a pool price has no TAO value."""
    return float(values.sum(skipna=False)) if len(values) else np.nan


# ============================================================================================ subnet
SUBNET_FACTS = [
    "netuid", "name", "owner", "registered_at", "removed_at", "tempo", "emission_share", "price_tao_per_alpha",
    "pool_tao", "stake_tao", "miners", "validators", "last_observed_at",
]  # fmt: skip


def subnet_facts(url: str | None, netuid: int) -> dict | None:
    """The subnet's row of the `subnets` mart (amounts in TAO as floats), or None."""
    return _one(
        _read_or_empty(
            url,
            "SELECT netuid, name, owner, registered_at, removed_at, tempo, emission_share, price_tao_per_alpha, "
            "CAST(pool_tao AS DOUBLE PRECISION) AS pool_tao, CAST(stake_tao AS DOUBLE PRECISION) AS stake_tao, "
            "miners, validators, last_observed_at FROM subnets WHERE netuid = :netuid",
            SUBNET_FACTS,
            {"netuid": int(netuid)},
        )
    )


EMISSION_COLUMNS = [
    "blocks", "tao_injected_tao", "alpha_to_participants_alpha", "alpha_to_pool_alpha", "price_tao_per_alpha",
    "pool_tao",
]  # fmt: skip


def subnet_emission_days(url: str | None, netuid: int) -> pd.DataFrame:
    """Per UTC day, from `subnet_emission_daily`: TAO injected, alpha emitted to participants and to the
    pool, and the pool's price and TAO at the day's last block."""
    return _read_or_empty(
        url,
        "SELECT day AS period, blocks, CAST(tao_injected_tao AS DOUBLE PRECISION) AS tao_injected_tao, "
        "CAST(alpha_to_participants_alpha AS DOUBLE PRECISION) AS alpha_to_participants_alpha, "
        "CAST(alpha_to_pool_alpha AS DOUBLE PRECISION) AS alpha_to_pool_alpha, price_tao_per_alpha, "
        "CAST(pool_tao AS DOUBLE PRECISION) AS pool_tao "
        "FROM subnet_emission_daily WHERE netuid = :netuid ORDER BY day",
        ["period", *EMISSION_COLUMNS],
        {"netuid": int(netuid)},
        dates=("period",),
    )


def subnet_emission_hours(url: str | None, netuid: int, since: pd.Timestamp) -> pd.DataFrame:
    """Per hour from `since` on, summed from the subnet's blocks (`stg_bittensor_subnet_blocks`, read
    from the first stored block of that day on): the same figures as `subnet_emission_days`, the price
    and pool those of the hour's last block (root's price is 1)."""
    blocks = _read_or_empty(
        url,
        "SELECT block_number, block_time, CAST(tao_in_emission_rao AS DOUBLE PRECISION) / 1e9 AS tao, "
        "CAST(alpha_out_emission_rao AS DOUBLE PRECISION) / 1e9 AS alpha_out, "
        "CAST(alpha_in_emission_rao AS DOUBLE PRECISION) / 1e9 AS alpha_in, "
        "CAST(subnet_tao_rao AS DOUBLE PRECISION) / 1e9 AS pool_tao, "
        "CAST(subnet_alpha_in_rao AS DOUBLE PRECISION) / 1e9 AS pool_alpha "
        "FROM stg_bittensor_subnet_blocks WHERE netuid = :netuid AND block_time >= :since "
        "AND block_number >= COALESCE((SELECT MIN(first_block) FROM chain_days "
        "WHERE chain = 'bittensor' AND day >= :since_day), 0) ORDER BY block_number",
        ["block_number", "block_time", "tao", "alpha_out", "alpha_in", "pool_tao", "pool_alpha"],
        {"netuid": int(netuid), "since": since.to_pydatetime(), "since_day": since.date()},
        dates=("block_time",),
    )
    if blocks.empty:
        return pd.DataFrame(columns=["period", *EMISSION_COLUMNS])
    blocks["period"] = period_of(blocks["block_time"], "hour")
    last = blocks.groupby("period").tail(1).set_index("period")
    price = 1.0 if netuid == 0 else last["pool_tao"] / last["pool_alpha"].replace(0, np.nan)
    hours = blocks.groupby("period").agg(
        blocks=("block_number", "count"),
        tao_injected_tao=("tao", "sum"),
        alpha_to_participants_alpha=("alpha_out", "sum"),
        alpha_to_pool_alpha=("alpha_in", "sum"),
    )
    hours["price_tao_per_alpha"] = price
    hours["pool_tao"] = last["pool_tao"]
    return hours.reset_index()


def subnet_epochs(url: str | None, netuid: int) -> pd.DataFrame:
    """Per metagraph epoch of the subnet: its UIDs, miners (no validator permit) and validators, and the
    stake on them in the subnet's alpha and in TAO at the epoch's pool price (root: TAO)."""
    epochs = _read_or_empty(
        url,
        """
        SELECT s.block_number, MIN(s.block_time) AS block_time, COUNT(*) AS uids,
               SUM(CASE WHEN COALESCE(s.validator_permit, FALSE) THEN 0 ELSE 1 END) AS miners,
               SUM(CASE WHEN COALESCE(s.validator_permit, FALSE) THEN 1 ELSE 0 END) AS validators,
               CAST(SUM(s.stake_rao) AS DOUBLE PRECISION) / 1e9 AS stake_alpha,
               MAX(p.price_tao_per_alpha) AS price
        FROM stg_bittensor_neurons s
        LEFT JOIN bittensor_epoch_prices p ON p.netuid = s.netuid AND p.block_number = s.block_number
        WHERE s.netuid = :netuid
        GROUP BY s.block_number ORDER BY s.block_number
        """,
        ["block_number", "block_time", "uids", "miners", "validators", "stake_alpha", "price"],
        {"netuid": int(netuid)},
        dates=("block_time",),
    )
    price = 1.0 if netuid == 0 else epochs["price"].astype(float)
    epochs["stake_tao"] = epochs["stake_alpha"].astype(float) * price
    return epochs.drop(columns="price")


def subnet_registrations(url: str | None, netuid: int) -> pd.DataFrame:
    """The subnet's `NeuronRegistered` events (staging): when, at which block, which UID and hotkey."""
    return _read_or_empty(
        url,
        "SELECT block_time, block_number, uid, hotkey, event_id FROM stg_bittensor_registrations "
        "WHERE netuid = :netuid ORDER BY block_number, event_id",
        ["block_time", "block_number", "uid", "hotkey", "event_id"],
        {"netuid": int(netuid)},
        dates=("block_time",),
    )


SUBNET_HISTORY = [
    "period", *EMISSION_COLUMNS, "epochs", "uids", "miners", "validators", "stake_alpha", "stake_tao",
    "registrations",
]  # fmt: skip


def subnet_history(
    url: str | None, netuid: int, stake_flow_days: pd.Series | None = None
) -> tuple[pd.DataFrame, str]:
    """The subnet through time, one row per period with any of: emission (TAO injected, alpha emitted),
    the pool's price and TAO, the metagraph's last epoch in the period (UIDs, miners, validators, their
    stake in alpha and TAO) and registrations; and the grain of the periods ('hour' or 'day')."""
    days = subnet_emission_days(url, netuid)
    epochs = subnet_epochs(url, netuid)
    registrations = subnet_registrations(url, netuid)
    extent = [days["period"], epochs["block_time"], registrations["block_time"]]
    if stake_flow_days is not None:
        extent.append(stake_flow_days)
    period = grain(extent)
    emission = days
    if period == "hour" and not days.empty:
        emission = subnet_emission_hours(url, netuid, days["period"].min())
    parts = [emission.set_index("period")]
    if not epochs.empty:
        epochs["period"] = period_of(epochs["block_time"], period)
        per = epochs.groupby("period")
        state = per.tail(1).set_index("period")[["uids", "miners", "validators", "stake_alpha", "stake_tao"]]
        parts.append(state.assign(epochs=per.size()))
    if not registrations.empty:
        counted = registrations.groupby(period_of(registrations["block_time"], period)).size()
        parts.append(counted.rename("registrations").rename_axis("period").to_frame())
    history = pd.concat(parts, axis=1).sort_index().rename_axis("period").reset_index()
    for column in SUBNET_HISTORY:
        if column not in history:
            history[column] = np.nan
    if not history.empty:
        history["registrations"] = history["registrations"].fillna(0).astype(int)
    return history[SUBNET_HISTORY], period


NEURON_COLUMNS = [
    "uid", "hotkey", "role", "stake_alpha", "stake_tao", "emission_alpha", "emission_tao", "incentive",
    "dividends", "last_observed_at",
]  # fmt: skip


def subnet_neurons(url: str | None, netuid: int) -> pd.DataFrame:
    """The subnet's registered neurons at their latest epoch, from the `miners` and `validators` marts
    (their alpha and its TAO value at that epoch's pool price), largest TAO stake first."""
    frame = _read_or_empty(
        url,
        """
        SELECT m.uid, m.hotkey, 'miner' AS role, CAST(m.stake_alpha AS DOUBLE PRECISION) AS stake_alpha,
               CAST(m.stake_tao AS DOUBLE PRECISION) AS stake_tao,
               CAST(m.emission_alpha AS DOUBLE PRECISION) AS emission_alpha,
               CAST(m.emission_tao AS DOUBLE PRECISION) AS emission_tao, m.incentive,
               CAST(NULL AS DOUBLE PRECISION) AS dividends, m.last_observed_at
        FROM miners m WHERE m.netuid = :netuid AND m.deregistered_at IS NULL
        UNION ALL
        SELECT h.uid, v.address, 'validator', CAST(v.stake_alpha AS DOUBLE PRECISION),
               CAST(v.stake_native AS DOUBLE PRECISION), CAST(v.emission_alpha AS DOUBLE PRECISION),
               CAST(v.emission_native AS DOUBLE PRECISION), CAST(NULL AS DOUBLE PRECISION), v.dividends,
               v.last_observed_at
        FROM validators v
        LEFT JOIN bittensor_holders h
          ON h.netuid = v.netuid AND h.hotkey = v.address AND h.deregistered_block IS NULL
        WHERE v.chain = 'bittensor' AND v.netuid = :netuid
        """,
        NEURON_COLUMNS,
        {"netuid": int(netuid)},
        dates=("last_observed_at",),
    )
    return frame.sort_values(["stake_tao", "uid"], ascending=[False, True], na_position="last").reset_index(
        drop=True
    )


# ============================================================================================ hotkey
HOLDING_COLUMNS = [
    "netuid", "uid", "coldkey", "validator_permit", "registered_at", "deregistered_at", "first_observed_at",
    "last_observed_at", "observations",
]  # fmt: skip


def hotkey_holdings(url: str | None, hotkey: str) -> pd.DataFrame:
    """Every UID the hotkey has held, in any subnet (`bittensor_holders`)."""
    return _read_or_empty(
        url,
        f"SELECT {', '.join(HOLDING_COLUMNS)} FROM bittensor_holders WHERE hotkey = :hotkey "
        "ORDER BY netuid, uid",
        HOLDING_COLUMNS,
        {"hotkey": hotkey},
        dates=("registered_at", "deregistered_at", "first_observed_at", "last_observed_at"),
    )


HOTKEY_REGISTRATIONS = ["block_time", "block_number", "netuid", "uid", "event_id"]


def hotkey_registrations(url: str | None, hotkey: str) -> pd.DataFrame:
    """The hotkey's `NeuronRegistered` events in every subnet, oldest first."""
    return _read_or_empty(
        url,
        "SELECT block_time, block_number, netuid, uid, event_id FROM stg_bittensor_registrations "
        "WHERE hotkey = :hotkey ORDER BY block_number, event_id",
        HOTKEY_REGISTRATIONS,
        {"hotkey": hotkey},
        dates=("block_time",),
    )


def hotkey_epochs(url: str | None, hotkey: str, netuids: Iterable[int]) -> pd.DataFrame:
    """Every metagraph observation of the hotkey in `netuids` (read through the (netuid, hotkey) index):
    its stake and emission in the subnet's alpha, its scores, its permit, and the epoch's pool price
    (root: 1, its stake is TAO)."""
    columns = [
        "netuid", "uid", "block_number", "block_time", "stake_alpha", "emission_alpha", "incentive",
        "dividends", "validator_permit", "price_tao_per_alpha",
    ]  # fmt: skip
    subnets = {f"netuid{i}": int(n) for i, n in enumerate(sorted(set(netuids)))}
    if not subnets:
        return pd.DataFrame(columns=columns)
    return _read_or_empty(
        url,
        f"""
        SELECT s.netuid, s.uid, s.block_number, s.block_time,
               CAST(s.stake_rao AS DOUBLE PRECISION) / 1e9 AS stake_alpha,
               CAST(s.emission_rao AS DOUBLE PRECISION) / 1e9 AS emission_alpha,
               s.incentive, s.dividends, COALESCE(s.validator_permit, FALSE) AS validator_permit,
               CASE WHEN s.netuid = 0 THEN CAST(1 AS DOUBLE PRECISION) ELSE p.price_tao_per_alpha END
                   AS price_tao_per_alpha
        FROM stg_bittensor_neurons s
        LEFT JOIN bittensor_epoch_prices p ON p.netuid = s.netuid AND p.block_number = s.block_number
        WHERE s.netuid IN ({", ".join(":" + k for k in subnets)}) AND s.hotkey = :hotkey
        ORDER BY s.netuid, s.block_number
        """,
        columns,
        {"hotkey": hotkey, **subnets},
        dates=("block_time",),
    )


HOTKEY_HISTORY = [
    "netuid", "period", "uid", "epochs", "validator_permit", "stake_alpha", "stake_tao", "incentive",
    "dividends", "emission_alpha", "incentive_tao", "dividends_tao",
]  # fmt: skip


def hotkey_history(epochs: pd.DataFrame, period: str) -> pd.DataFrame:
    """Per subnet and period: the last epoch's UID, permit, stake (alpha, and TAO at that epoch's price)
    and scores; the alpha emitted to the hotkey over the period's epochs, and its TAO value split into
    miner incentive (epochs without validator permit) and validator dividends (with it), each epoch at
    its own pool price. Alpha is only ever summed within one subnet."""
    if epochs.empty:
        return pd.DataFrame(columns=HOTKEY_HISTORY)
    frame = epochs.assign(period=period_of(epochs["block_time"], period)).sort_values(
        ["netuid", "block_number"]
    )
    price = frame["price_tao_per_alpha"].astype(float)
    permit = frame["validator_permit"].astype(bool)
    emission_tao = frame["emission_alpha"].astype(float) * price
    frame["incentive_tao"] = emission_tao.where(~permit, 0.0)
    frame["dividends_tao"] = emission_tao.where(permit, 0.0)
    frame["stake_tao"] = frame["stake_alpha"].astype(float) * price
    groups = frame.groupby(["netuid", "period"], sort=True)
    last = groups[["uid", "validator_permit", "stake_alpha", "stake_tao", "incentive", "dividends"]].last()
    sums = groups.agg(
        epochs=("block_number", "count"),
        emission_alpha=("emission_alpha", "sum"),
        incentive_tao=("incentive_tao", _sum_or_nan),
        dividends_tao=("dividends_tao", _sum_or_nan),
    )
    history = last.join(sums).reset_index()
    history["validator_permit"] = history["validator_permit"].astype(bool)
    return history[HOTKEY_HISTORY]


# ================================================================================== Sahara validator
VALIDATOR_FACTS = [
    "validator_id", "consensus_address", "voting_power", "delegators", "delegated_sahara", "delegated_basis",
    "commission_rate", "first_observed_at", "last_observed_at",
]  # fmt: skip


def sahara_validator_facts(url: str | None, validator: str, by_consensus: bool) -> dict | None:
    """The validator's row of the `validators` mart, found by operator or consensus address."""
    column = "consensus_address" if by_consensus else "validator_id"
    return _one(
        _read_or_empty(
            url,
            "SELECT validator_id, consensus_address, voting_power, delegators, "
            "CAST(delegated_base_units AS DOUBLE PRECISION) / 1e18 AS delegated_sahara, delegated_basis, "
            "commission_rate, first_observed_at, last_observed_at "
            f"FROM validators WHERE chain = 'sahara' AND {column} = :validator",
            VALIDATOR_FACTS,
            {"validator": validator},
        )
    )


def sahara_validator_sets(url: str | None, validator: str, by_consensus: bool) -> pd.DataFrame:
    """Every observed validator set the validator is in: its voting power (whole SAHARA), its share of
    the set's power, its place in the set, and its commission / rewards in that block."""
    column = "consensus_address" if by_consensus else "operator_address"
    return _read_or_empty(
        url,
        f"""
        SELECT s.block_number, s.block_time, s.voting_power, s.set_position,
               CAST(s.voting_power AS DOUBLE PRECISION) / NULLIF(t.total_power, 0) AS power_share,
               s.commission_atto_usah / NULLIF(s.reward_atto_usah, 0) AS commission_rate
        FROM stg_sahara_validator_sets s
        JOIN (
            SELECT block_number, CAST(SUM(voting_power) AS DOUBLE PRECISION) AS total_power
            FROM stg_sahara_validator_sets
            WHERE block_number IN (SELECT block_number FROM stg_sahara_validator_sets WHERE {column} = :validator)
            GROUP BY block_number
        ) t ON t.block_number = s.block_number
        WHERE s.{column} = :validator
        ORDER BY s.block_number
        """,
        ["block_number", "block_time", "voting_power", "set_position", "power_share", "commission_rate"],
        {"validator": validator},
        dates=("block_time",),
    )


FLOW_COLUMNS = ["block_time", "block_number", "side", "delegator", "amount_sahara", "event_id"]
DELEGATION_COLUMNS = ["delegator", "net_sahara", "changes", "first_block", "last_block", "last_changed_at"]


def sahara_validator_flows(url: str | None, operator: str | None) -> pd.DataFrame:
    """Every change of the operator's bonded tokens (delegate, unbond, redelegate out and in, self-bond),
    signed, in SAHARA (none without an operator address: flows are keyed by it)."""
    if not operator:
        return pd.DataFrame(columns=FLOW_COLUMNS).astype({"block_time": "datetime64[ns]"})
    return _read_or_empty(
        url,
        "SELECT block_time, block_number, side, delegator, CAST(amount_usah AS DOUBLE PRECISION) / 1e18 "
        "AS amount_sahara, event_id FROM stg_sahara_delegation_flows WHERE validator = :validator "
        "ORDER BY block_number, event_id",
        FLOW_COLUMNS,
        {"validator": operator},
        dates=("block_time",),
    )


def sahara_validator_delegations(url: str | None, operator: str | None) -> pd.DataFrame:
    """Each delegator's net delegation to the operator over the stored events (`sahara_delegations`)."""
    if not operator:
        return pd.DataFrame(columns=DELEGATION_COLUMNS)
    return _read_or_empty(
        url,
        "SELECT delegator, CAST(net_usah AS DOUBLE PRECISION) / 1e18 AS net_sahara, changes, first_block, "
        "last_block, last_changed_at FROM sahara_delegations WHERE validator = :validator "
        "ORDER BY net_usah DESC, delegator",
        DELEGATION_COLUMNS,
        {"validator": operator},
        dates=("last_changed_at",),
    )


VALIDATOR_HISTORY = [
    "period", "observations", "voting_power", "power_share", "commission_rate", "flows", "delegated_sahara",
    "undelegated_sahara", "net_flow_sahara", "cumulative_net_flow_sahara",
]  # fmt: skip


def sahara_validator_history(sets: pd.DataFrame, flows: pd.DataFrame, period: str) -> pd.DataFrame:
    """Per period: the last observed set's voting power, power share and commission rate; the bonded
    tokens that flowed in (delegations, redelegations in, self-bond) and out (unbondings, redelegations
    out), their net, and the net since the first stored flow."""
    parts = []
    if not sets.empty:
        per = sets.groupby(period_of(sets["block_time"], period).rename("period"))
        state = per[["voting_power", "power_share", "commission_rate"]].last()
        parts.append(state.assign(observations=per.size()))
    if not flows.empty:
        amount = flows["amount_sahara"].astype(float)
        moved = pd.DataFrame(
            {"delegated_sahara": amount.clip(lower=0), "undelegated_sahara": (-amount).clip(lower=0),
             "net_flow_sahara": amount, "flows": 1, "period": period_of(flows["block_time"], period)}
        ).groupby("period").sum()  # fmt: skip
        parts.append(moved)
    if not parts:
        return pd.DataFrame(columns=VALIDATOR_HISTORY)
    history = pd.concat(parts, axis=1).sort_index().rename_axis("period").reset_index()
    for column in VALIDATOR_HISTORY:
        if column not in history:
            history[column] = np.nan
    history["flows"] = history["flows"].fillna(0).astype(int)
    history["observations"] = history["observations"].fillna(0).astype(int)
    # The running net starts with the first stored flow: before it, there is nothing to sum.
    running = history["net_flow_sahara"].fillna(0.0).cumsum()
    history["cumulative_net_flow_sahara"] = running.where(history["flows"].cumsum() > 0)
    return history[VALIDATOR_HISTORY]


# ======================================================================================= contributor
TOP_CONTRIBUTORS = [
    "contributor", "submitted", "reviewed", "accepted", "acceptance_rate", "rewards_sahara", "reputation_tier",
    "last_active_at",
]  # fmt: skip


def top_contributors(url: str | None, limit: int = 100) -> pd.DataFrame:
    """The `limit` contributors paid the most (then the most submissions), from the `contributors` mart."""
    return _read_or_empty(
        url,
        "SELECT contributor, submitted, reviewed, accepted, acceptance_rate, "
        "CAST(rewards_sahara AS DOUBLE PRECISION) AS rewards_sahara, reputation_tier, last_active_at "
        "FROM contributors ORDER BY rewards_wei DESC NULLS LAST, submitted DESC, contributor LIMIT :limit",
        TOP_CONTRIBUTORS,
        {"limit": int(limit)},
        dates=("last_active_at",),
    )


CONTRIBUTOR_FACTS = [
    "contributor", "first_seen_at", "last_active_at", "submitted", "reviewed", "accepted", "acceptance_rate",
    "rewards_sahara", "reputation_tier",
]  # fmt: skip


def contributor_facts(url: str | None, contributor: str) -> dict | None:
    return _one(
        _read_or_empty(
            url,
            "SELECT contributor, first_seen_at, last_active_at, submitted, reviewed, accepted, acceptance_rate, "
            "CAST(rewards_sahara AS DOUBLE PRECISION) AS rewards_sahara, reputation_tier "
            "FROM contributors WHERE contributor = :contributor",
            CONTRIBUTOR_FACTS,
            {"contributor": contributor},
        )
    )


ANNOTATION_COLUMNS = [
    "annotation_id", "task_id", "submitted_at", "reviewed_at", "accepted", "quality_score", "reward_sahara",
    "paid_at",
]  # fmt: skip


def contributor_annotations(url: str | None, contributor: str) -> pd.DataFrame:
    """The contributor's annotations (`annotations` mart), newest submission first."""
    return _read_or_empty(
        url,
        "SELECT annotation_id, task_id, submitted_at, reviewed_at, accepted, quality_score, "
        "CAST(reward_sahara AS DOUBLE PRECISION) AS reward_sahara, paid_at FROM annotations "
        "WHERE contributor = :contributor ORDER BY submitted_at DESC NULLS LAST, annotation_id",
        ANNOTATION_COLUMNS,
        {"contributor": contributor},
        dates=("submitted_at", "reviewed_at", "paid_at"),
    )


def contributor_payments(url: str | None, contributor: str) -> pd.DataFrame:
    """Every `DataServices.RewardPaid` to the contributor (staging), in SAHARA."""
    return _read_or_empty(
        url,
        "SELECT block_time, CAST(amount_usah AS DOUBLE PRECISION) / 1e18 AS amount_sahara, annotation_id "
        "FROM stg_sahara_annotation_events WHERE kind = 'paid' AND contributor = :contributor "
        "ORDER BY block_number, log_index",
        ["block_time", "amount_sahara", "annotation_id"],
        {"contributor": contributor},
        dates=("block_time",),
    )


def contributor_reputation(url: str | None, contributor: str) -> pd.DataFrame:
    """The contributor's `Reputation.ReputationMinted` events: when, which tier (read through the
    (event_type, block_time) index)."""
    return _read_or_empty(
        url,
        "SELECT block_time, CAST(payload->>'tier' AS INTEGER) AS tier FROM events "
        "WHERE event_type = 'Reputation.ReputationMinted' AND payload->>'holder' = :contributor "
        "ORDER BY block_time, event_id",
        ["block_time", "tier"],
        {"contributor": contributor},
        dates=("block_time",),
    )


CONTRIBUTOR_HISTORY = [
    "period", "submitted", "reviewed", "accepted", "acceptance_rate", "payments", "rewards_sahara",
    "cumulative_rewards_sahara", "reputation_tier",
]  # fmt: skip


def contributor_history(
    annotations: pd.DataFrame, payments: pd.DataFrame, reputation: pd.DataFrame, period: str
) -> pd.DataFrame:
    """Per period: annotations submitted, reviewed and accepted (reviews counted in the period of the
    review, of stored submissions, as the `contributors` counts are), the period's acceptance rate, the
    rewards paid to the contributor, their running total, and the highest reputation tier minted so far."""
    parts = []
    submitted = annotations.dropna(subset=["submitted_at"])
    if not submitted.empty:
        parts.append(
            submitted.groupby(period_of(submitted["submitted_at"], period)).size().rename("submitted")
        )
    reviewed = submitted.dropna(subset=["reviewed_at"])
    if not reviewed.empty:
        when = period_of(reviewed["reviewed_at"], period)
        parts.append(reviewed.groupby(when).size().rename("reviewed"))
        parts.append(reviewed["accepted"].fillna(False).astype(bool).groupby(when).sum().rename("accepted"))
    if not payments.empty:
        paid = payments.groupby(period_of(payments["block_time"], period))["amount_sahara"]
        parts += [paid.size().rename("payments"), paid.sum().rename("rewards_sahara")]
    if not reputation.empty:
        parts.append(
            reputation.groupby(period_of(reputation["block_time"], period))["tier"].max().rename("minted")
        )
    if not parts:
        return pd.DataFrame(columns=CONTRIBUTOR_HISTORY)
    history = pd.concat(parts, axis=1).sort_index().rename_axis("period").reset_index()
    for column in ("submitted", "reviewed", "accepted", "payments"):
        history[column] = history[column].fillna(0).astype(int) if column in history else 0
    history["acceptance_rate"] = (history["accepted"] / history["reviewed"].replace(0, np.nan)).astype(float)
    if "rewards_sahara" not in history:
        history["rewards_sahara"] = 0.0
    history["rewards_sahara"] = history["rewards_sahara"].fillna(0.0).astype(float)
    history["cumulative_rewards_sahara"] = history["rewards_sahara"].cumsum()
    minted = history["minted"] if "minted" in history else pd.Series(np.nan, index=history.index)
    history["reputation_tier"] = minted.astype(float).ffill().cummax()
    return history[CONTRIBUTOR_HISTORY]
