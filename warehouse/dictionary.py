"""The data dictionary: what every warehouse table, view and column means, in which unit, at which grain;
the figures the dashboard derives from them; and the event types the product models.

One source of truth with three readers:

- the database itself: `apply_comments` writes each entry as `COMMENT ON TABLE / VIEW / COLUMN` on
  DuckDB and PostgreSQL (migration 0016, then `warehouse.db.migrate` after every upgrade, because
  DuckDB drops a view's comments whenever the view is created again), so any SQL client sees them;
- `decai catalog`, which prints what the database's catalogue holds (`catalogue_sql`);
- the dashboard, whose units, header tooltips, KPI and chart hovers are looked up here (`describe`).

A migration that adds a table, a view or a column adds its entry here in the same change;
`tests/test_dictionary.py` fails, naming the `table.column`, for every column the migrated warehouse
holds without a comment. Entries for objects a warehouse does not have (yet) are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa

# ------------------------------------------------------------------------------------------ units
TAO = "TAO (1 TAO = 1e9 rao)"
ALPHA = "alpha of the row's subnet (netuid); never added across subnets"
SAHARA = "SAHARA (1 SAHARA = 1e18 usah)"
NATIVE = "the chain's own token as named in native_unit (TAO on Bittensor, SAHARA on Sahara; never alpha)"
NATIVE_BASE = "base units of the chain's token: rao (1e-9 TAO) on Bittensor, usah (1e-18 SAHARA) on Sahara"
RAO = "rao (1e-9 TAO), an exact integer"
ALPHA_RAO = "alpha base units (1e-9 alpha of the row's subnet), an exact integer"
USAH = "usah, also called wei (1e-18 SAHARA), an exact integer"
ATTO_USAH = "atto-usah (1e-18 usah)"
USD = "USD"
PRICE = "TAO per alpha of the row's subnet"
RATIO = "ratio 0..1"
SCORE = "score 0..1 (the chain's u16 divided by 65535)"
COUNT = "count"
BLOCK = "block number (height) on the row's chain"
TS = "UTC timestamp"
DAY = "UTC date"
HOUR = "UTC timestamp truncated to the hour"
BOOL = "boolean"
TEXT = "text"
ID = "identifier (text)"
EVENT_ID = "event id: 32 hex characters (hash of chain, block, position, event type)"
SEQ = "position in the event store (integer, increasing)"
SS58 = "SS58 address (Bittensor, prefix 42)"
HEX_ADDRESS = "0x-prefixed hex EVM address"
HEX = "0x-prefixed hex string"
JSON = "JSON document"
SECONDS = "seconds"
PER_DAY = " per UTC day"
PER_PERIOD = " per period (the hour or UTC day of the row's period)"


@dataclass(frozen=True)
class Column:
    """One column (or figure): what it means, and its unit."""

    meaning: str
    unit: str

    @property
    def comment(self) -> str:
        return f"{self.meaning}. Unit: {self.unit}."


@dataclass(frozen=True)
class Relation:
    """A table or view: what a row is (grain), what it is for, its columns, a worked example query."""

    name: str
    kind: str  # "table" or "view"
    grain: str
    meaning: str
    columns: Mapping[str, Column]
    example: str | None = None

    @property
    def comment(self) -> str:
        return f"{self.meaning}. Grain: {self.grain}."


def C(meaning: str, unit: str) -> Column:  # noqa: N802 - reads as a table of entries
    return Column(meaning, unit)


# Columns that mean the same wherever they appear.
_BLOCK_TIME = C("UTC time of the block (its header timestamp)", TS)
_SEQ = C("the event's position in the store (`events.seq`), which projections fold by", SEQ)
_NETUID = C("Bittensor subnet id (0 is root)", "subnet id (integer)")
_UID = C("slot of the neuron in its subnet's metagraph (0..255)", "UID (integer)")
_HOTKEY = C("hotkey of the neuron: the account that registers and serves in the subnet", SS58)
_COLDKEY = C("coldkey that owns the hotkey and its stake", SS58)
_CHAIN = C("the network: 'bittensor' or 'sahara' ('market' for quotes in the event store)", TEXT)
_SOURCE = C(
    "the connector that read it: 'subtensor' (Bittensor), 'cometbft' and 'evm' (Sahara), 'coingecko'", TEXT
)
_STREAM = C(
    "what the source read: a chain id with its genesis (e.g. 'bittensor-…', 'sahara-devnet-1'), "
    "an EVM chain id, or a CoinGecko coin id",
    ID,
)
_BATCH_ID = C("the ingest batch that wrote the row (`ingest_batches.batch_id`)", "UUID (text)")
_COIN = C("CoinGecko coin id: 'bittensor' (TAO) or 'sahara-ai' (SAHARA)", ID)
_EVM_NETWORK = C("the EVM network's name in the contract registry (etl/contracts.toml)", TEXT)
_EVM_CHAIN_ID = C("the EVM network's chain id (eth_chainId)", "integer")
_TOKEN_BASE = "base units of the row's token (1e-decimals token; usah for SAHARA), an exact integer"


def _table(name: str, grain: str, meaning: str, columns: dict[str, Column], example: str | None = None):
    return Relation(name, "table", grain, meaning, columns, example)


TABLES: tuple[Relation, ...] = (
    # ----------------------------------------------------------------------------- the event store
    _table(
        "events",
        "one row per source event (a chain event, a state observation or a market quote)",
        "The append-only event store, the source of truth every other table is rebuilt from",
        {
            "event_id": C(
                "deterministic id: hash of chain, block, position and event type; the same "
                "source event always gets the same id",
                EVENT_ID,
            ),
            "seq": C(
                "position of the event in the store, assigned when appended; projections remember "
                "the last seq they folded in",
                SEQ,
            ),
            "chain": _CHAIN,
            "source": _SOURCE,
            "block_number": C("block the event happened in (market quotes: the quote's unix second)", BLOCK),
            "block_hash": C("hash of that block (NULL for market quotes)", HEX),
            "block_time": C("UTC time of the block (market quotes: the observation time)", TS),
            "position": C(
                "place in the block: extrinsic/tx and event index ('3.1', 'tx0.2', 'fb.4'), "
                "log index, or 'obs.…' for state observations",
                TEXT,
            ),
            "event_type": C(
                "`Module.Event` name, e.g. 'SubtensorModule.StakeAdded', 'staking.delegate', "
                "'DataServices.RewardPaid', 'market.Quote' (see `decai catalog --events`)",
                TEXT,
            ),
            "payload": C(
                "decoded attributes; token amounts are integer strings in base units (rao, "
                "usah), never floats",
                JSON,
            ),
            "spec_version": C(
                "runtime version that decoded the event (subtensor spec; CoinGecko API "
                "version); NULL where the source has none",
                "version number (integer)",
            ),
            "batch_id": _BATCH_ID,
            "ingested_at": C("when the batch appended the event", TS),
        },
        "SELECT event_type, COUNT(*) AS events FROM events WHERE chain = 'sahara' GROUP BY event_type "
        "ORDER BY events DESC",
    ),
    _table(
        "ingest_checkpoints",
        "one row per (source, stream)",
        "How far ingestion has got per stream; written in the same transaction as the events it covers",
        {
            "source": _SOURCE,
            "stream": _STREAM,
            "position": C(
                "last block covered (chains), or the end of the covered interval in unix seconds (CoinGecko)",
                "block number or unix seconds",
            ),
            "batch_id": C("the batch that moved the checkpoint last", "UUID (text)"),
            "updated_at": C("when the checkpoint moved last", TS),
        },
    ),
    _table(
        "quarantine",
        "one row per rejected input row",
        "Inputs that failed decoding or validation, kept with the reason instead of being dropped",
        {
            "quarantine_id": C(
                "hash of source, position, rule and raw input: the same rejection is stored once",
                "hash (text)",
            ),
            "batch_id": _BATCH_ID,
            "source": _SOURCE,
            "chain": _CHAIN,
            "position": C("where the row was in its input ('block:index', a quote's time)", TEXT),
            "block_number": C("block of the rejected row, when it has one", BLOCK),
            "rule": C(
                "the expectation or parser rule that failed, e.g. "
                "'expect_column_values_to_be_between(price_usd)'",
                TEXT,
            ),
            "reason": C("why, in words, naming the block and the attribute", TEXT),
            "raw": C("the input exactly as received", TEXT),
            "quarantined_at": C("when it was set aside", TS),
        },
        "SELECT rule, COUNT(*) AS rows FROM quarantine GROUP BY rule ORDER BY rows DESC",
    ),
    _table(
        "ingest_batches",
        "one row per ingest run of one stream over one range (the run log)",
        "Every ingest batch: its range, rows in / loaded / new / quarantined and duration",
        {
            "batch_id": C("id of the batch", "UUID (text)"),
            "source": _SOURCE,
            "stream": _STREAM,
            "range_unit": C("what the range counts: 'block' or 'unix_s'", TEXT),
            "range_start": C(
                "first block (or unix second) of the range, inclusive", "block number or unix seconds"
            ),
            "range_end": C("end of the range, exclusive", "block number or unix seconds"),
            "rows_in": C("rows the connector produced (events plus rejected rows)", COUNT),
            "rows_loaded": C("rows accepted: new events plus ones already stored", COUNT),
            "rows_new": C("events the batch appended that were not stored before", COUNT),
            "rows_quarantined": C("rows set aside in `quarantine`", COUNT),
            "started_at": C("when the batch started", TS),
            "duration_s": C("how long the batch took", SECONDS),
            "run_id": C("the Airflow run that wrote it (NULL outside Airflow)", ID),
            "before_block_time": C(
                "UTC time of block range_start - 1, when read: proves the range's "
                "first block is the first of its day",
                TS,
            ),
            "after_block_time": C(
                "UTC time of block range_end (the first block after the range), read "
                "only when that block was final",
                TS,
            ),
        },
    ),
    _table(
        "projection_state",
        "one row per projection",
        "Where each projection has folded the event store up to",
        {
            "projection": C("projection name, e.g. 'bittensor', 'ecosystem_daily'", ID),
            "last_seq": C("the last `events.seq` folded in", SEQ),
            "updated_at": C("when the projection last ran", TS),
        },
    ),
    _table(
        "alembic_version",
        "one row: the schema revision",
        "The Alembic revision the warehouse schema is at (`decai migrate` moves it)",
        {"version_num": C("the applied revision id, e.g. '0016'", "revision id (text)")},
    ),
    _table(
        "chain_blocks",
        "one row per ingested block per source",
        "Block headers seen by ingestion; the chain audits and day completeness read it",
        {
            "source": _SOURCE,
            "stream": _STREAM,
            "block_number": C("height of the ingested block", BLOCK),
            "block_hash": C("hash of the block as the source reports it", HEX),
            "parent_hash": C("its parent's hash (the audit checks the chain links up)", HEX),
            "block_time": _BLOCK_TIME,
            "spec_version": C(
                "subtensor runtime spec the block was decoded with; NULL on Sahara",
                "version number (integer)",
            ),
            "event_count": C("events the source reported in the block", COUNT),
            "batch_id": _BATCH_ID,
        },
    ),
    _table(
        "dq_results",
        "one row per Great Expectations suite run on one batch (a run log)",
        "Data-quality results: rows validated and quarantined, expectations evaluated and failed",
        {
            "result_id": C("id of the run", "UUID (text)"),
            "suite": C(
                "the suite: 'market_quotes', 'bittensor_events', 'sahara_staking_events', "
                "'sahara_contracts_events'",
                ID,
            ),
            "source": _SOURCE,
            "stream": _STREAM,
            "batch_id": C("the batch it let through; NULL when the batch failed", "UUID (text)"),
            "range_start": C(
                "first block (or unix second) validated, inclusive", "block number or unix seconds"
            ),
            "range_end": C("end of the range validated, exclusive", "block number or unix seconds"),
            "rows_validated": C("rows the suite checked", COUNT),
            "rows_quarantined": C("rows it set aside", COUNT),
            "expectations_evaluated": C("expectations the suite ran on the batch", COUNT),
            "expectations_failed": C("of those, the ones that did not pass", COUNT),
            "success": C("every expectation passed", BOOL),
            "outcome": C(
                "'passed', 'quarantined' (bad rows set aside, the rest stored) or 'failed' (nothing stored)",
                TEXT,
            ),
            "details": C("per expectation: failing rows; events and unknown event types per runtime", JSON),
            "run_seconds": C("how long the suite ran", SECONDS),
            "validated_at": C("when it ran", TS),
        },
    ),
    # --------------------------------------------------------------------------------- market
    _table(
        "market_caps",
        "one row per coin per UTC hour",
        "Price, market cap and volume per hour, from the last CoinGecko quote observed in the hour",
        {
            "coin_id": _COIN,
            "hour": C("UTC hour the quote falls in", HOUR),
            "price_usd": C("price of one token (TAO or SAHARA) at the hour's last quote", USD),
            "market_cap_usd": C("market capitalisation CoinGecko reports at that quote", USD),
            "total_volume_usd": C("trading volume over the 24 hours before that quote", USD),
            "observed_at": C("time of the last quote in the hour", TS),
            "quotes": C("quotes observed in the hour", COUNT),
            "event_id": C("the market.Quote event the row shows (provenance)", EVENT_ID),
        },
        "SELECT coin_id, hour, price_usd FROM market_caps WHERE hour >= CURRENT_DATE - INTERVAL '7 days'",
    ),
    _table(
        "market_caps_daily",
        "one row per coin per UTC day",
        "Price, market cap and volume per day, from the last CoinGecko quote observed in the day",
        {
            "coin_id": _COIN,
            "day": C("UTC day the quote falls in (midnight)", TS),
            "price_usd": C("price of one token at the day's last quote", USD),
            "market_cap_usd": C("market capitalisation CoinGecko reports at that quote", USD),
            "total_volume_usd": C("trading volume over the 24 hours before that quote", USD),
            "observed_at": C("time of the last quote in the day", TS),
            "quotes": C("quotes observed in the day", COUNT),
            "event_id": C("the market.Quote event the row shows (provenance)", EVENT_ID),
            "hours_stored": C("UTC hours of the day with at least one stored quote (0..24)", COUNT),
            "complete": C("all 24 hourly quotes of the day are stored", BOOL),
        },
    ),
    # ------------------------------------------------------------------------- Bittensor staging
    _table(
        "stg_bittensor_neurons",
        "one row per SubtensorModule.NeuronObserved event (one UID of one subnet at one epoch block)",
        "Metagraph observations, typed and renamed: scores normalised, stake and emission in alpha rao",
        {
            "event_id": C("the NeuronObserved event", EVENT_ID),
            "seq": _SEQ,
            "block_number": C("the subnet's epoch block the metagraph was read at", BLOCK),
            "block_time": _BLOCK_TIME,
            "netuid": _NETUID,
            "uid": _UID,
            "hotkey": _HOTKEY,
            "coldkey": _COLDKEY,
            "stake_rao": C("stake on the hotkey in this subnet, summed over its coldkeys", ALPHA_RAO),
            "emission_rao": C("alpha the UID received at this epoch", ALPHA_RAO),
            "rank": C("Yuma rank of the UID", SCORE),
            "incentive": C("the UID's share of the subnet's miner incentive at this epoch", SCORE),
            "dividends": C("the UID's share of the subnet's validator dividends at this epoch", SCORE),
            "consensus": C("Yuma consensus weight of the UID", SCORE),
            "trust": C("Yuma trust of the UID", SCORE),
            "validator_trust": C("trust of the UID as a validator", SCORE),
            "pruning_score": C("score deciding which UID is replaced first on registration", SCORE),
            "validator_permit": C("the UID holds a validator permit (sets weights; earns dividends)", BOOL),
            "active": C("the UID set weights or served recently enough to count as active", BOOL),
            "last_update": C("block the UID last set weights", BLOCK),
            "axon_block": C("block the UID last announced its axon (server)", BLOCK),
        },
    ),
    _table(
        "stg_bittensor_registrations",
        "one row per SubtensorModule.NeuronRegistered event",
        "Neuron registrations, typed and renamed",
        {
            "event_id": C("the NeuronRegistered event", EVENT_ID),
            "seq": _SEQ,
            "block_number": C("block of the registration", BLOCK),
            "block_time": _BLOCK_TIME,
            "netuid": _NETUID,
            "uid": C("UID slot the hotkey took", "UID (integer)"),
            "hotkey": C("the hotkey registered", SS58),
        },
    ),
    _table(
        "stg_bittensor_issuance",
        "one row per SubtensorModule.EmissionObserved event (one block)",
        "Per block: TAO issuance before and after, TAO minted and the subnet owner cut",
        {
            "block_number": C("height of the block the issuance was read at", BLOCK),
            "block_time": _BLOCK_TIME,
            "total_issuance_rao": C("TotalIssuance after the block: every TAO in existence", RAO),
            "total_issuance_before_rao": C("TotalIssuance before it (at the parent block)", RAO),
            "minted_rao": C(
                "TAO the block minted (BlockEmission at the parent: 1e9 before the first halving, 5e8 after)",
                RAO,
            ),
            "owner_cut_u16": C(
                "SubnetOwnerCut: the subnet owners' share of alpha to participants", "fraction of 65535 (u16)"
            ),
            "event_id": C("the EmissionObserved event", EVENT_ID),
            "seq": _SEQ,
        },
    ),
    _table(
        "stg_bittensor_subnet_blocks",
        "one row per (block, netuid) of an EmissionObserved event's subnets",
        "Per block and subnet: the dTAO pool reserves and what the block injected and emitted",
        {
            "block_number": C("height of the block the pools were read at", BLOCK),
            "block_time": _BLOCK_TIME,
            "netuid": _NETUID,
            "subnet_tao_rao": C("SubnetTAO: TAO in the subnet's pool (root: TAO staked on root)", RAO),
            "subnet_alpha_in_rao": C("SubnetAlphaIn: alpha in the subnet's pool", ALPHA_RAO),
            "subnet_alpha_out_rao": C("SubnetAlphaOut: alpha held by stakers, outside the pool", ALPHA_RAO),
            "tao_in_emission_rao": C("SubnetTaoInEmission: TAO the block injected into the pool", RAO),
            "excess_tao_rao": C("SubnetExcessTao: TAO of the subnet's share of the block not injected", RAO),
            "alpha_in_emission_rao": C("SubnetAlphaInEmission: alpha the block added to the pool", ALPHA_RAO),
            "alpha_out_emission_rao": C(
                "SubnetAlphaOutEmission: alpha the block emitted to participants (miners, validators, owner)",
                ALPHA_RAO,
            ),
            "event_id": C("the EmissionObserved event", EVENT_ID),
            "seq": _SEQ,
        },
    ),
    _table(
        "bittensor_epoch_prices",
        "one row per (netuid, metagraph epoch block)",
        "The pool price each epoch's alpha converts to TAO at: the subnet's observation at the epoch "
        "block, else the latest before it within a day of blocks, never after",
        {
            "netuid": _NETUID,
            "block_number": C("the metagraph epoch block", BLOCK),
            "price_block": C(
                "block the price was observed at (<= block_number); NULL when none was "
                "observed within 7,200 blocks before",
                BLOCK,
            ),
            "subnet_tao_rao": C("SubnetTAO at price_block", RAO),
            "subnet_alpha_in_rao": C("SubnetAlphaIn at price_block", ALPHA_RAO),
            "price_tao_per_alpha": C("subnet_tao_rao / subnet_alpha_in_rao (1 on root)", PRICE),
        },
    ),
    _table(
        "bittensor_holders",
        "one row per (netuid, uid, hotkey) that held the UID",
        "Running state of every UID holder, read by miners and validators",
        {
            "netuid": _NETUID,
            "uid": _UID,
            "hotkey": _HOTKEY,
            "coldkey": C("coldkey at the latest observation", SS58),
            "registered_block": C(
                "block of its first NeuronRegistered at this UID (NULL if it registered "
                "before the stored history)",
                BLOCK,
            ),
            "registered_at": C("time of that registration", TS),
            "registration_event_id": C("that NeuronRegistered event", EVENT_ID),
            "deregistered_block": C(
                "first block after its last sighting at which another hotkey holds "
                "the UID, or its subnet's NetworkRemoved when earlier; NULL while it holds it",
                BLOCK,
            ),
            "deregistered_at": C("time of that block", TS),
            "first_observed_at": C("time of its first metagraph observation", TS),
            "last_observed_block": C("epoch block of its latest observation", BLOCK),
            "last_observed_at": C("time of its latest observation", TS),
            "last_observed_event_id": C("its latest NeuronObserved event", EVENT_ID),
            "observations": C("metagraph observations of it at this UID", COUNT),
            "total_emission_rao": C("alpha received over every observed epoch", ALPHA_RAO),
            "last_seen_block": C("last block it was seen at the UID (registration or observation)", BLOCK),
            "stake_rao": C("stake at the latest observation", ALPHA_RAO),
            "emission_rao": C("alpha received at the latest epoch", ALPHA_RAO),
            "incentive": C("incentive at the latest observation", SCORE),
            "dividends": C("dividends at the latest observation", SCORE),
            "validator_trust": C("validator trust at the latest observation", SCORE),
            "validator_permit": C("validator permit at the latest observation", BOOL),
        },
    ),
    _table(
        "bittensor_subnet_state",
        "one row per (netuid, kind)",
        "Running state of subnets: the latest event of each kind per subnet, read by `subnets`",
        {
            "netuid": _NETUID,
            "kind": C(
                "'observed' (SubnetObserved), 'added' (NetworkAdded), 'removed' (NetworkRemoved) or "
                "'epoch' (latest metagraph epoch in staging)",
                TEXT,
            ),
            "block_number": C("block of that latest event or epoch", BLOCK),
            "block_time": C("its time (NULL for 'epoch')", TS),
            "event_id": C("that event (NULL for 'epoch')", EVENT_ID),
            "payload": C(
                "the SubnetObserved payload ('observed' only): DynamicInfo as the chain reports "
                "it, amounts in rao / alpha base units",
                JSON,
            ),
        },
    ),
    # ---------------------------------------------------------------------------- Bittensor marts
    _table(
        "miners",
        "one row per (netuid, uid, hotkey) that held a UID without validator permit",
        "Bittensor miners: registration, deregistration, latest incentive, emission and stake",
        {
            "netuid": _NETUID,
            "uid": _UID,
            "hotkey": _HOTKEY,
            "coldkey": C("coldkey at the latest observation", SS58),
            "registered_block": C("block of the registration (NULL if before the stored history)", BLOCK),
            "registered_at": C("time of the registration", TS),
            "deregistered_block": C(
                "block at which another hotkey took the UID, or at which the subnet was removed; "
                "NULL while registered",
                BLOCK,
            ),
            "deregistered_at": C("time of that block", TS),
            "first_observed_at": C("time of its first metagraph observation", TS),
            "last_observed_block": C("epoch block of its latest observation", BLOCK),
            "last_observed_at": C("time of its latest observation", TS),
            "observations": C("metagraph observations of it", COUNT),
            "incentive": C("share of the subnet's miner incentive at the latest epoch", SCORE),
            "emission_alpha": C("alpha received at the latest epoch", ALPHA),
            "emission_tao": C("emission_alpha in TAO at price_tao_per_alpha, rounded down to the rao", TAO),
            "total_emission_alpha": C("alpha received over every observed epoch", ALPHA),
            "stake_alpha": C("stake at the latest epoch", ALPHA),
            "stake_tao": C("stake_alpha in TAO at price_tao_per_alpha", TAO),
            "price_tao_per_alpha": C("pool price of the latest epoch block (bittensor_epoch_prices)", PRICE),
            "price_block": C("block that price was observed at", BLOCK),
            "earns": C("it received emission at the latest epoch (emission_alpha > 0)", BOOL),
            "event_id": C("the observation the row shows (the registration when none)", EVENT_ID),
        },
    ),
    _table(
        "subnets",
        "one row per Bittensor subnet (netuid)",
        "Bittensor subnets: owner, emission, dTAO pool and price, stake, miners and validators",
        {
            "netuid": _NETUID,
            "name": C("the subnet's name at its latest SubnetObserved (subnet_name)", TEXT),
            "owner": C("owner coldkey of the subnet", SS58),
            "registered_block": C(
                "block of NetworkAdded (else the registration block the chain reports)", BLOCK
            ),
            "registered_at": C("time of NetworkAdded, when stored", TS),
            "removed_at": C("time of a NetworkRemoved later than its registration; NULL while live", TS),
            "tempo": C("blocks between the subnet's epochs", "blocks"),
            "emission_share": C("emission_tao over the sum of every live subnet's emission_tao", RATIO),
            "emission_tao": C(
                "TAO emission per block the chain reports for the subnet (DynamicInfo)", "TAO per block"
            ),
            "price_tao_per_alpha": C("pool price: pool_tao / pool_alpha at price_block", PRICE),
            "price_block": C("block the pool was observed at (latest SubnetObserved)", BLOCK),
            "pool_tao": C("TAO in the subnet's pool (tao_in)", TAO),
            "pool_alpha": C("alpha in the subnet's pool (alpha_in)", ALPHA),
            "stake_alpha": C("alpha held by stakers, outside the pool (alpha_out)", ALPHA),
            "stake_tao": C("stake_alpha at price_tao_per_alpha; root: the TAO staked on root", TAO),
            "miners": C("UIDs without validator permit at the subnet's latest epoch", COUNT),
            "validators": C("UIDs with validator permit at the subnet's latest epoch", COUNT),
            "last_observed_at": C("time of the latest SubnetObserved", TS),
            "event_id": C("the observation the row shows (else NetworkRemoved / NetworkAdded)", EVENT_ID),
        },
        "SELECT netuid, emission_share, price_tao_per_alpha, stake_tao FROM subnets "
        "WHERE removed_at IS NULL ORDER BY emission_share DESC LIMIT 10",
    ),
    _table(
        "bittensor_emission_daily",
        "one row per UTC day with EmissionObserved blocks",
        "TAO minted and net issuance per day, and issuance and TAO staked at the day's last block",
        {
            "day": C("the UTC day", DAY),
            "blocks": C("EmissionObserved blocks stored that day (7,200 on a whole day)", COUNT),
            "first_block": C("first of them", BLOCK),
            "last_block": C("last of them", BLOCK),
            "minted_rao": C(
                "TAO minted by the day's blocks: sum of minted (7,200 TAO a day before the "
                "2025-12-12 halving, 3,600 after)",
                RAO,
            ),
            "net_issuance_rao": C(
                "sum over the day's blocks of TotalIssuance after - before: minted "
                "minus recycled (registration burns)",
                RAO,
            ),
            "total_issuance_rao": C("TotalIssuance at last_block", RAO),
            "staked_rao": C(
                "TAO put into staking at last_block: root's SubnetTAO + the SubnetTAO of every "
                "other subnet, each once",
                RAO,
            ),
            "root_stake_rao": C("SubnetTAO of root (netuid 0) at last_block: TAO staked on root", RAO),
        },
    ),
    _table(
        "subnet_emission_daily",
        "one row per (netuid, UTC day) with block or epoch observations of the subnet",
        "Per subnet and day: TAO injected, alpha emitted, owner cut, miner incentive and validator "
        "dividends, in alpha and in TAO at the pool price",
        {
            "netuid": _NETUID,
            "day": C("the UTC day", DAY),
            "blocks": C("block observations of the subnet that day", COUNT),
            "tao_injected_tao": C("TAO injected into the pool: sum of SubnetTaoInEmission", TAO + PER_DAY),
            "excess_tao": C("TAO of the subnet's share not injected: sum of SubnetExcessTao", TAO + PER_DAY),
            "alpha_to_pool_alpha": C(
                "alpha added to the pool: sum of SubnetAlphaInEmission", ALPHA + PER_DAY
            ),
            "alpha_to_participants_alpha": C(
                "alpha emitted to participants: sum of SubnetAlphaOutEmission", ALPHA + PER_DAY
            ),
            "owner_cut_alpha": C(
                "subnet owner's cut: per block, alpha to participants x SubnetOwnerCut / "
                "65535 (rounded down to the rao), summed",
                ALPHA + PER_DAY,
            ),
            "owner_cut_tao": C(
                "each block's owner cut in TAO at that block's pool price, summed", TAO + PER_DAY
            ),
            "miner_incentive_alpha": C(
                "emission of the day's epochs to UIDs without validator permit", ALPHA + PER_DAY
            ),
            "miner_incentive_tao": C("the same, each epoch at its pool price", TAO + PER_DAY),
            "validator_dividends_alpha": C(
                "emission of the day's epochs to validator-permit holders", ALPHA + PER_DAY
            ),
            "validator_dividends_tao": C("the same, each epoch at its pool price", TAO + PER_DAY),
            "last_block": C("the day's last block observation of the subnet", BLOCK),
            "price_tao_per_alpha": C("pool price at last_block", PRICE),
            "pool_tao": C("SubnetTAO at last_block", TAO),
            "pool_alpha": C("SubnetAlphaIn at last_block", ALPHA),
        },
    ),
    _table(
        "stg_bittensor_stake_events",
        "one row per StakeAdded, StakeRemoved, StakeMoved, StakeTransferred or StakeSwapped event",
        "Bittensor stake events typed and renamed: who staked, unstaked or moved how much, where",
        {
            "event_id": C("the stake event", EVENT_ID),
            "seq": _SEQ,
            "block_number": C("block of the event", BLOCK),
            "block_time": _BLOCK_TIME,
            "operation": C(
                "'added', 'removed', 'moved', 'transferred' or 'swapped' (StakeAdded, "
                "StakeRemoved, StakeMoved, StakeTransferred, StakeSwapped)",
                TEXT,
            ),
            "coldkey": C("the staker (a move: the origin coldkey)", SS58),
            "hotkey": C("the hotkey staked to (a move: the origin hotkey)", SS58),
            "netuid": C("the subnet (a move: the origin subnet)", "subnet id (integer)"),
            "destination_coldkey": C(
                "a move: the coldkey the stake goes to (the origin's when unchanged)", SS58
            ),
            "destination_hotkey": C(
                "a move: the hotkey the stake goes to (the origin's when unchanged)", SS58
            ),
            "destination_netuid": C(
                "a move: the subnet the stake goes to (the origin's when unchanged)", "subnet id (integer)"
            ),
            "tao_rao": C("TAO paid in (added), paid out (removed) or moved, as the event states it", RAO),
            "alpha_rao": C("the subnet's alpha bought (added) or sold (removed); NULL for moves", ALPHA_RAO),
            "fee_base_units": C(
                "the swap fee as the event carries it (spec 343 on); not summed, its "
                "token depends on the side of the swap",
                "base units of TAO or of the subnet's alpha (1e-9 token)",
            ),
        },
    ),
    _table(
        "stg_bittensor_extrinsics",
        "one row per signed Bittensor extrinsic (System.ExtrinsicObserved, read from the block body)",
        "Bittensor transactions: who signed each extrinsic, which call, and the fee and outcome its events "
        "report at its phase",
        {
            "event_id": C("the ExtrinsicObserved event", EVENT_ID),
            "seq": _SEQ,
            "block_number": C("block of the extrinsic", BLOCK),
            "block_time": _BLOCK_TIME,
            "extrinsic_index": C(
                "position in the block body (0 is the timestamp inherent)", "index (integer)"
            ),
            "signer": C(
                "the account that signed it (coldkey, or hotkey for set_weights and serve_axon)", SS58
            ),
            "pallet": C("the call's pallet, e.g. Balances, SubtensorModule", TEXT),
            "call_name": C("the call, e.g. transfer_keep_alive, add_stake, set_weights", TEXT),
            "nonce": C("the signer's nonce (the CheckNonce extension)", "integer"),
            "tip_rao": C("the tip offered (the ChargeTransactionPayment extension)", RAO),
            "fee_rao": C(
                "TransactionPayment.TransactionFeePaid.actual_fee at the extrinsic's phase: the inclusion fee "
                "plus the tip (0 for Pays::No calls); NULL without that event",
                RAO,
            ),
            "success": C(
                "System.ExtrinsicSuccess (true) or ExtrinsicFailed (false) at its phase; NULL without either",
                BOOL,
            ),
            "extrinsic_hash": C("blake2b-256 of the encoded extrinsic, as a node names it", HEX),
        },
    ),
    _table(
        "stg_bittensor_transfers",
        "one row per Balances.Transfer event",
        "TAO moved between Bittensor accounts",
        {
            "event_id": C("the Transfer event", EVENT_ID),
            "seq": _SEQ,
            "block_number": C("block of the event", BLOCK),
            "block_time": _BLOCK_TIME,
            "position": C("the event's position: extrinsic index, then the event's index in the block", TEXT),
            "from_account": C("the sender", SS58),
            "to_account": C("the recipient", SS58),
            "amount_rao": C("TAO moved", RAO),
        },
    ),
    _table(
        "bittensor_accounts",
        "one row per Bittensor account the events show",
        "When each Bittensor account was first seen and created, and its balance at the latest snapshot",
        {
            "account": C("the Bittensor account (a coldkey, or a hotkey that signs)", SS58),
            "first_seen_block": C(
                "the earliest stored block showing it: it signed, sent or received a transfer, was created, or "
                "held an entry in a System.Account snapshot (the snapshot's block)",
                BLOCK,
            ),
            "first_seen_at": C("UTC time of first_seen_block", TS),
            "created_block": C("block of its System.NewAccount (its first funding), if stored", BLOCK),
            "created_at": C("UTC time of created_block", TS),
            "snapshot_block": C("block of the latest System.Account snapshot holding it", BLOCK),
            "free_tao": C("its free balance at snapshot_block", TAO),
            "reserved_tao": C("its reserved balance at snapshot_block", TAO),
        },
    ),
    _table(
        "bittensor_account_snapshots",
        "one row per UTC day with a System.Account snapshot at its last block",
        "Bittensor holders per day: System.Account as each day's last block left it, read page by page",
        {
            "day": C("the UTC day the snapshot closes", DAY),
            "at_block": C("the day's last block, whose state the snapshot reads", BLOCK),
            "pages": C("pages the connector read it in (state_getKeysPaged, 1,000 keys each)", COUNT),
            "pages_stored": C("pages stored; the snapshot is whole when it equals pages", COUNT),
            "accounts": C("System.Account entries stored", COUNT),
            "holders": C("accounts with free + reserved above zero", COUNT),
            "free_tao": C("sum of the free balances", TAO),
            "reserved_tao": C("sum of the reserved balances", TAO),
        },
    ),
    _table(
        "bittensor_activity_daily",
        "one row per UTC day with a signed Bittensor extrinsic or a Balances.Transfer",
        "Running state of network_daily's Bittensor transactions, fees, transfers and volume: each day's "
        "sums, to which a run adds the staging rows it has not folded yet",
        {
            "day": C("the UTC day of the extrinsics and transfers", DAY),
            "transactions": C("signed extrinsics that day, failed ones included", COUNT),
            "fees_rao": C("their TransactionFeePaid.actual_fee (inclusion fee + tip)", RAO),
            "transfers": C("Balances.Transfer events that day", COUNT),
            "volume_rao": C("TAO they moved", RAO),
            "last_seq": C(
                "the highest seq of the staging rows folded into the day; the greatest over all days is where "
                "the next run's fold starts",
                SEQ,
            ),
        },
    ),
    _table(
        "bittensor_signer_days",
        "one row per (UTC day, Bittensor account) that signed an extrinsic that day",
        "Running state of network_daily's Bittensor active accounts: the day's rows are counted",
        {
            "day": C("the UTC day", DAY),
            "signer": C("an account that signed an extrinsic that day", SS58),
        },
    ),
    _table(
        "bittensor_stake_day_coldkeys",
        "one row per (netuid, UTC day, coldkey) with a stake leg on the subnet that day",
        "Running state of bittensor_stake_flows_daily.coldkeys: which coldkeys staked, unstaked or moved "
        "stake on a subnet that day",
        {
            "netuid": C("the subnet of the leg", "subnet id (integer)"),
            "day": C("the UTC day of the leg", DAY),
            "coldkey": C("a coldkey with a stake leg on the subnet that day", SS58),
        },
    ),
    _table(
        "bittensor_stake_flows_daily",
        "one row per (netuid, UTC day) with a stake event of the subnet",
        "Stake added, removed and moved per subnet and day, in TAO and in the subnet's alpha (never "
        "added across subnets)",
        {
            "netuid": C("the subnet", "subnet id (integer)"),
            "day": C("the UTC day", DAY),
            "complete": C("the chain day is complete (chain_days): every block of the day is stored", BOOL),
            "added_count": C("StakeAdded events", COUNT + PER_DAY),
            "added_tao": C("TAO paid in by StakeAdded (swap fee included)", TAO + PER_DAY),
            "added_alpha": C("the subnet's alpha bought by StakeAdded", ALPHA + PER_DAY),
            "removed_count": C("StakeRemoved events", COUNT + PER_DAY),
            "removed_tao": C("TAO paid out to the coldkeys by StakeRemoved", TAO + PER_DAY),
            "removed_alpha": C("the subnet's alpha sold by StakeRemoved", ALPHA + PER_DAY),
            "moved_in_count": C(
                "StakeMoved, StakeTransferred and StakeSwapped legs into the subnet", COUNT + PER_DAY
            ),
            "moved_in_tao": C("TAO those legs moved in, as the events state it", TAO + PER_DAY),
            "moved_out_count": C("the same events' legs out of the subnet", COUNT + PER_DAY),
            "moved_out_tao": C(
                "TAO the legs out of the subnet carried, as the events state it", TAO + PER_DAY
            ),
            "net_flow_tao": C("added_tao - removed_tao + moved_in_tao - moved_out_tao", TAO + PER_DAY),
            "net_staked_alpha": C(
                "added_alpha - removed_alpha (moves state no alpha amount)", ALPHA + PER_DAY
            ),
            "coldkeys": C("distinct coldkeys with a stake leg on the subnet that day", COUNT),
            "first_block": C("the day's first block with a stake leg", BLOCK),
            "last_block": C("the day's last block with a stake leg", BLOCK),
        },
    ),
    _table(
        "stg_bittensor_subnet_observations",
        "one row per SubtensorModule.SubnetObserved event",
        "Each subnet's name and owner as the chain serves them (get_dynamic_info at its epoch block)",
        {
            "event_id": C("the SubnetObserved event", EVENT_ID),
            "seq": _SEQ,
            "block_number": C("the epoch block the subnet was observed at", BLOCK),
            "block_time": _BLOCK_TIME,
            "netuid": _NETUID,
            "name": C("the subnet's name (subnet_name, UTF-8)", TEXT),
            "owner": C("the subnet owner's coldkey (owner_coldkey)", SS58),
        },
    ),
    _table(
        "subnet_day_pool",
        "one row per (netuid, UTC day) with a block observation of the subnet",
        "Running state of subnet_daily's alpha price: the day's first block and its pool, its last block "
        "and price, and the time-weighted sum",
        {
            "netuid": _NETUID,
            "day": C("the UTC day", DAY),
            "first_block": C("the day's first block observation of the subnet", BLOCK),
            "first_block_time": C("UTC time of the day's first block observation of the subnet", TS),
            "first_tao_rao": C("SubnetTAO at first_block", RAO),
            "first_alpha_in_rao": C("SubnetAlphaIn at first_block", ALPHA_RAO),
            "last_block": C("the day's last block observation of the subnet so far", BLOCK),
            "last_block_time": C("UTC time of the day's last block observation of the subnet so far", TS),
            "last_price_rao": C(
                "pool price at last_block: SubnetTAO x 1e9 / SubnetAlphaIn, rounded down (root: 1e9)",
                "rao per alpha of the row's subnet",
            ),
            "price_rao_seconds": C(
                "sum over the day's blocks but the last of the block's price in rao per alpha (rounded down) "
                "x the seconds to the subnet's next block",
                "rao per alpha x seconds, an exact integer",
            ),
            "price_seconds": C("seconds those prices were held: first_block to last_block", SECONDS),
        },
    ),
    _table(
        "subnet_daily",
        "one row per (netuid, UTC day) with a block observation, epoch, registration or observation of the subnet",
        "Each Bittensor subnet's history per day: name, alpha price, reserves, emission, registrations and "
        "participants",
        {
            "netuid": _NETUID,
            "day": C("the UTC day", DAY),
            "complete": C("the chain day is complete (chain_days): every block of the day is stored", BOOL),
            "name": C("the subnet's name at its latest SubnetObserved by the day's end", TEXT),
            "owner": C("the subnet owner's coldkey at that observation", SS58),
            "name_block": C("the block of that observation", BLOCK),
            "price_open_tao_per_alpha": C(
                "alpha price at the day's first block: SubnetTAO / SubnetAlphaIn there (root: 1)", PRICE
            ),
            "price_close_tao_per_alpha": C(
                "alpha price at the day's last block: SubnetTAO / SubnetAlphaIn there (root: 1)", PRICE
            ),
            "price_twap_tao_per_alpha": C(
                "time-weighted alpha price: each block's price held until the subnet's next block, averaged "
                "from the day's first block to its last (rounded down to the rao per alpha)",
                PRICE,
            ),
            "tao_reserve_tao": C("TAO in the subnet's pool (SubnetTAO) at the day's last block", TAO),
            "alpha_reserve_alpha": C(
                "alpha in the subnet's pool (SubnetAlphaIn) at the day's last block", ALPHA
            ),
            "emission_share": C(
                "the subnet's share of the day's TAO emission to subnets: its SubnetTaoInEmission + "
                "SubnetExcessTao over every subnet's",
                RATIO,
            ),
            "tao_injected_tao": C("TAO injected into the pool: sum of SubnetTaoInEmission", TAO + PER_DAY),
            "alpha_emitted_alpha": C(
                "alpha the subnet minted: sum of SubnetAlphaInEmission (to the pool) and SubnetAlphaOutEmission "
                "(to participants)",
                ALPHA + PER_DAY,
            ),
            "registrations": C("neurons registered in the subnet (NeuronRegistered)", COUNT + PER_DAY),
            "registration_burn_tao": C(
                "TAO the registrations burned: the Balances.Withdraw right before each NeuronRegistered in "
                "its extrinsic",
                TAO + PER_DAY,
            ),
            "uids": C("UIDs in the subnet's metagraph at the day's last epoch (epoch_block)", COUNT),
            "miners": C("of those, UIDs without validator permit", COUNT),
            "validators": C("of those, UIDs with validator permit", COUNT),
            "top_miner_share": C(
                "the largest miner's share of that epoch's emission to miners (in the subnet's alpha)", RATIO
            ),
            "top_validator_share": C(
                "the largest validator's share of that epoch's emission to validators (in the subnet's alpha)",
                RATIO,
            ),
            "first_block": C("the day's first block observation of the subnet", BLOCK),
            "last_block": C("the day's last block observation of the subnet", BLOCK),
            "epoch_block": C("the day's last metagraph epoch of the subnet", BLOCK),
        },
        "SELECT day, name, price_close_tao_per_alpha, emission_share, miners, validators FROM subnet_daily "
        "WHERE netuid = 3 AND complete ORDER BY day",
    ),
    # ----------------------------------------------------------------------------- Sahara staging
    _table(
        "stg_sahara_annotation_events",
        "one row per AnnotationSubmitted, AnnotationReviewed or RewardPaid event",
        "Data Services events typed and renamed; each payment attributed to the annotation it pays",
        {
            "event_id": C("the DataServices event of the row (provenance)", EVENT_ID),
            "seq": _SEQ,
            "kind": C("'submitted', 'reviewed' or 'paid'", TEXT),
            "annotation_id": C(
                "the annotation; for 'paid', the one of the nearest preceding accepted review "
                "in the same transaction (NULL if none)",
                ID,
            ),
            "task_id": C("the data task", ID),
            "contributor": C("the contributor who submitted or was paid", HEX_ADDRESS),
            "content_hash": C("hash of the submitted content: the attribution record", HEX),
            "reviewer": C("who reviewed ('reviewed' only)", HEX_ADDRESS),
            "accepted": C("the review accepted the annotation ('reviewed' only)", BOOL),
            "quality_score": C("the review's quality score ('reviewed' only)", "score 0..100"),
            "amount_usah": C("the payment ('paid' only)", USAH),
            "tx_hash": C("EVM transaction hash", HEX),
            "block_number": C("the EVM block", BLOCK),
            "log_index": C("index of the log in its transaction", "index (integer)"),
            "block_time": _BLOCK_TIME,
        },
    ),
    _table(
        "stg_sahara_tasks",
        "one row per DataServices.TaskCreated event",
        "Data tasks posted by clients",
        {
            "event_id": C("the TaskCreated event", EVENT_ID),
            "seq": _SEQ,
            "task_id": C("id of the data task, as the DataServices contract numbers it", ID),
            "client": C("the client (enterprise) that posted it", HEX_ADDRESS),
            "block_number": C("the EVM block", BLOCK),
            "block_time": _BLOCK_TIME,
        },
    ),
    _table(
        "stg_sahara_marketplace",
        "one row per Marketplace.LicensePurchased or Marketplace.RevenueShared event",
        "Licences bought on the Sahara marketplace and the shares of their price paid out",
        {
            "event_id": C("the marketplace event", EVENT_ID),
            "seq": _SEQ,
            "block_number": C("the EVM block", BLOCK),
            "block_time": _BLOCK_TIME,
            "tx_hash": C("the transaction", HEX),
            "log_index": C("the log's logIndex", "index (integer)"),
            "kind": C("'license' (LicensePurchased) or 'revenue_share' (RevenueShared)", TEXT),
            "asset_id": C("the asset licensed (assetId)", ID),
            "account": C("the buyer of a licence, the recipient of a share", HEX_ADDRESS),
            "amount_usah": C("the licence's price, or the share paid out", USAH),
        },
    ),
    _table(
        "stg_sahara_validator_sets",
        "one row per staking.ValidatorObserved event (a validator in the set at a height)",
        "CometBFT validator sets, each position matched to its operator by the same block's rewards",
        {
            "event_id": C("the ValidatorObserved event", EVENT_ID),
            "seq": _SEQ,
            "block_number": C("height the set was read at", BLOCK),
            "block_time": _BLOCK_TIME,
            "set_position": C("0-based position in CometBFT's set order", "index (integer)"),
            "consensus_address": C("CometBFT consensus address of the validator", "hex address (text)"),
            "voting_power": C("bonded tokens in whole SAHARA (tokens // 1e18)", SAHARA),
            "proposer_priority": C(
                "CometBFT's proposer rotation priority of the validator at that height", "priority (integer)"
            ),
            "validator_count": C("validators in that set", COUNT),
            "operator_address": C(
                "saharavaloper… of the same block's rewards event at this position; NULL "
                "if the reward and power shares disagree",
                "bech32 operator address (text)",
            ),
            "reward_atto_usah": C("that rewards event's amount", ATTO_USAH),
            "commission_atto_usah": C("the operator's commission in the same block", ATTO_USAH),
        },
    ),
    _table(
        "stg_sahara_transactions",
        "one row per Sahara Cosmos transaction (block, index)",
        "Sahara transactions with their hash, fee, fee payer and signer (an EVM transaction is one holding a "
        "MsgEthereumTx)",
        {
            "event_id": C("the tx.TransactionObserved event (else the transaction's first event)", EVENT_ID),
            "seq": _SEQ,
            "block_number": C("height of the transaction's block", BLOCK),
            "block_time": _BLOCK_TIME,
            "tx_index": C("0-based index of the transaction in its block", "index (integer)"),
            "tx_hash": C("Cosmos transaction hash: sha256 of its bytes", "upper-case hex (text)"),
            "evm_tx_hash": C(
                "the Ethereum hash of its MsgEthereumTx (ethereum_tx.ethereumTxHash); NULL otherwise", HEX
            ),
            "code": C("result code: 0 = success (a failed transaction still pays its fee)", "code (integer)"),
            "gas_used": C("gas the transaction used", "gas (integer)"),
            "fee_usah": C("the tx event's fee in usah; an empty fee is 0; NULL without a usah fee", USAH),
            "fee_payer": C(
                "tx.fee_payer, else the signer (Ethermint names no payer)", "bech32 account address (text)"
            ),
            "signer": C(
                "the transaction's first message.sender",
                "bech32 account address, or 0x for an Ethermint sender",
            ),
        },
    ),
    _table(
        "stg_sahara_bank_transfers",
        "one row per Sahara bank.transfer event",
        "Bank transfers: sends and reward withdrawals, fee payments and block-level minting flows",
        {
            "event_id": C("the bank.transfer event", EVENT_ID),
            "seq": _SEQ,
            "block_number": C("height of the transfer's block", BLOCK),
            "block_time": _BLOCK_TIME,
            "tx_index": C(
                "index of its transaction; NULL for a block-level flow (minting, distribution)",
                "index (integer)",
            ),
            "in_message": C(
                "made by a transaction's message (it carries msg_index): a send, a reward withdrawal; false for "
                "the fee deduction and block-level flows",
                BOOL,
            ),
            "sender": C("account the tokens left", "bech32 account address (text)"),
            "recipient": C("account they went to", "bech32 account address (text)"),
            "amount_usah": C("usah moved (other denominations are not kept: NULL)", USAH),
        },
    ),
    _table(
        "sahara_account_days",
        "one row per (Sahara account, UTC day) it appeared in a transaction",
        "Running state of network_daily's active accounts",
        {
            "account": C(
                "the Sahara account that appeared (signer, fee payer or a side of a transfer)",
                "bech32 account address (text)",
            ),
            "day": C("the UTC day", DAY),
            "active": C(
                "it signed (message.sender) or paid a fee (tx.fee_payer) that day; false when it only sent or "
                "received a transfer of a transaction",
                BOOL,
            ),
        },
    ),
    _table(
        "sahara_accounts",
        "one row per Sahara account seen in a transaction (signer, fee payer, either side of a transfer)",
        "When each Sahara account was first seen, since the store's first block",
        {
            "account": C(
                "the Sahara account that appeared (signer, fee payer or a side of a transfer)",
                "bech32 account address (text)",
            ),
            "first_day": C("UTC day it was first seen", DAY),
            "first_block": C("block it was first seen in", BLOCK),
        },
    ),
    _table(
        "sahara_balance_changes_daily",
        "one row per (Sahara account, UTC day) its balance changed",
        "Balances changed by bank transfers (sends, fees, withdrawals, mint flows), coinbase mints and burns",
        {
            "account": C("the account (module accounts included)", "bech32 account address (text)"),
            "day": C("the UTC day", DAY),
            "change_usah": C("usah in minus usah out that day", USAH),
        },
    ),
    _table(
        "sahara_staking_rewards_daily",
        "one row per UTC day with Sahara distribution rewards",
        "Staking rewards distributed to Sahara validators (their commission included)",
        {
            "day": C("the UTC day", DAY),
            "rewards_usah": C("sum of the day's distribution.rewards, each truncated to whole usah", USAH),
        },
    ),
    _table(
        "stg_sahara_delegation_flows",
        "one row per change of a validator's bonded tokens (a redelegation gives two)",
        "Delegations, unbondings, redelegations and self-bonds as signed flows",
        {
            "event_id": C("the staking event", EVENT_ID),
            "side": C(
                "'delegate', 'unbond', 'redelegate_out', 'redelegate_in' or 'create' (self-bond)", TEXT
            ),
            "seq": _SEQ,
            "validator": C("operator address whose tokens moved", "bech32 operator address (text)"),
            "delegator": C("the delegator (NULL for a self-bond)", "bech32 account address (text)"),
            "amount_usah": C("signed change of the validator's bonded tokens", USAH),
            "block_number": C("height of the block the flow happened in", BLOCK),
            "block_time": _BLOCK_TIME,
        },
    ),
    _table(
        "sahara_delegations",
        "one row per (validator, delegator) with a stored delegation event",
        "Net delegation per pair over the stored events",
        {
            "validator": C("operator address", "bech32 operator address (text)"),
            "delegator": C("account that delegated to the validator", "bech32 account address (text)"),
            "net_usah": C("net flow over the stored events (delegated - unbonded ± redelegated)", USAH),
            "changes": C("flows of the pair", COUNT),
            "first_block": C("block of the pair's first flow", BLOCK),
            "last_block": C("block of its latest flow", BLOCK),
            "last_changed_at": C("time of its latest flow", TS),
        },
    ),
    _table(
        "sahara_validator_state",
        "one row per Sahara operator",
        "Running state of the Sahara rows of validators: latest observed power, flows since, self-bond",
        {
            "validator_id": C("operator address", "bech32 operator address (text)"),
            "consensus_address": C(
                "its CometBFT consensus address at the latest observation", "hex address (text)"
            ),
            "observed_block": C("height of the latest set it was matched in: the anchor", BLOCK),
            "observed_at": C("time of that set", TS),
            "observed_event_id": C("that ValidatorObserved event", EVENT_ID),
            "observed_power": C("its voting power in that set", SAHARA),
            "commission_rate": C("commission / rewards in that set's block", RATIO),
            "first_observed_at": C("time of its first observation", TS),
            "created_block": C("block of its create_validator, when stored", BLOCK),
            "created_usah": C("the self-bond of create_validator", USAH),
            "net_flows_usah": C("every flow but the self-bond, summed", USAH),
            "flows_after_observed_usah": C("flows in the blocks after the anchor set", USAH),
            "delegators": C("delegators with a positive net flow", COUNT),
            "first_flow_block": C("block of its first stored flow", BLOCK),
            "staking_first_at": C("time of its first staking event", TS),
            "staking_last_at": C("time of its latest staking event", TS),
            "staking_last_block": C("block of its latest staking event", BLOCK),
            "staking_last_event_id": C("its latest staking event", EVENT_ID),
        },
    ),
    # ------------------------------------------------------------------------------ Sahara marts
    _table(
        "annotations",
        "one row per annotation id seen in a submission or a review",
        "Sahara annotations: task, client, contributor, review and the reward attributed to each",
        {
            "annotation_id": C("id of the annotation, as the DataServices contract numbers it", ID),
            "task_id": C("its data task", ID),
            "client": C("the client that posted the task (first TaskCreated)", HEX_ADDRESS),
            "contributor": C("who submitted it", HEX_ADDRESS),
            "content_hash": C("hash of the submitted content (attribution)", HEX),
            "submitted_block": C(
                "EVM block of the first submission (NULL if before the stored history)", BLOCK
            ),
            "submitted_at": C("time of that submission", TS),
            "reviewed_at": C("time of the latest review", TS),
            "reviewer": C("who reviewed it last", HEX_ADDRESS),
            "accepted": C("the latest review accepted it", BOOL),
            "quality_score": C("the latest review's quality score", "score 0..100"),
            "reward_wei": C("payments attributed to it (NULL if none)", USAH),
            "paid_at": C("time of the latest payment", TS),
            "event_id": C("the submission (else the review) the row comes from", EVENT_ID),
            "reviewed_block": C("EVM block of the latest review", BLOCK),
            "review_event_id": C("the latest AnnotationReviewed event (provenance)", EVENT_ID),
            "reward_event_id": C("the latest payment event", EVENT_ID),
            "reward_sahara": C("reward_wei in SAHARA, exact", SAHARA),
        },
    ),
    _table(
        "contributors",
        "one row per contributor address that submitted, was paid or holds a reputation token",
        "Sahara contributors: annotations, acceptance, rewards and reputation",
        {
            "contributor": C("EVM address of the contributor (annotator)", HEX_ADDRESS),
            "first_seen_at": C("earliest of their submissions, payments and reputation mints", TS),
            "last_active_at": C("latest of them", TS),
            "submitted": C("their annotations whose submission is stored", COUNT),
            "reviewed": C("of those, reviewed", COUNT),
            "accepted": C("of those, accepted", COUNT),
            "acceptance_rate": C("accepted / reviewed", RATIO),
            "rewards_wei": C("rewards attributed to their annotations", USAH),
            "rewards_sahara": C("rewards_wei in SAHARA, exact", SAHARA),
            "reputation_tier": C("highest Reputation.ReputationMinted tier held", "tier (integer)"),
        },
    ),
    _table(
        "sahara_daily",
        "one row per UTC day with a Sahara reward payment, mint event or validator-set observation",
        "Sahara per day: rewards paid, tokens minted, inflation, bonded ratio and supply",
        {
            "day": C("the UTC day", DAY),
            "complete": C("every Sahara block of the day is stored (chain_days)", BOOL),
            "payments": C("DataServices.RewardPaid events that day", COUNT),
            "contributors_paid": C("distinct contributors paid that day", COUNT),
            "rewards_paid_wei": C("rewards paid, summed exactly", USAH + PER_DAY),
            "rewards_paid_sahara": C("rewards_paid_wei in SAHARA, exact", SAHARA + PER_DAY),
            "rewards_paid_usd": C(
                "sum over hours of that hour's rewards x its SAHARA/USD quote; NULL if an hour lacks one",
                USD + PER_DAY,
            ),
            "mint_blocks": C("blocks with a mint event", COUNT),
            "minted_wei": C("tokens minted: sum of the mint events' amounts", USAH + PER_DAY),
            "minted_sahara": C("minted_wei in SAHARA, exact", SAHARA + PER_DAY),
            "inflation_rate": C("x/mint's annual inflation at the day's last mint event", "ratio per year"),
            "bonded_ratio": C(
                "bonded tokens / supply as x/mint reads it at the day's last mint event", RATIO
            ),
            "supply_sahara": C("annual_provisions / inflation of the day's last mint event", SAHARA),
            "inflation_annualised": C(
                "minted_sahara x 365 / supply_sahara; complete days only (NULL otherwise)", "ratio per year"
            ),
            "bonded_observed_sahara": C(
                "sum of voting power of the day's last observed validator set", SAHARA
            ),
            "price_usd": C("the day's last SAHARA/USD quote (market_caps_daily)", USD),
        },
    ),
    # ------------------------------------------------------------------------------- both chains
    _table(
        "validators",
        "one row per validator of either chain: (chain, validator_id)",
        "Validators of both networks; Bittensor: permit holders per subnet still holding their UID "
        "(a hotkey whose UID was taken or whose subnet was removed leaves); Sahara: operators",
        {
            "chain": C("'bittensor' or 'sahara'", TEXT),
            "validator_id": C("Bittensor: 'netuid:hotkey'; Sahara: the operator address", ID),
            "netuid": C("Bittensor subnet (NULL on Sahara)", "subnet id (integer)"),
            "address": C("Bittensor: the hotkey; Sahara: the operator address", "SS58 or bech32 address"),
            "owner": C("Bittensor: the coldkey owning the hotkey", SS58),
            "stake_base_units": C(
                "kept from revision 0004, no longer written (NULL): read stake_native", NATIVE_BASE
            ),
            "stake_tokens": C(
                "Sahara: voting power in the latest set (0 once out of it); NULL on "
                "Bittensor (read stake_native)",
                SAHARA,
            ),
            "dividends": C("Bittensor: share of the subnet's validator dividends at the latest epoch", SCORE),
            "validator_trust": C("Bittensor: validator trust at the latest epoch", SCORE),
            "emission_base_units": C(
                "kept from revision 0004, no longer written (NULL): read emission_native", NATIVE_BASE
            ),
            "voting_power": C("Sahara: voting power in the latest observed set (bonded // 1e18)", SAHARA),
            "delegators": C(
                "Sahara: delegators with a positive net flow since delegators_since_block (a "
                "lower bound unless the store starts at genesis)",
                COUNT,
            ),
            "delegated_base_units": C(
                "Sahara: usah bonded to the validator by all delegations, self-bond "
                "included (see delegated_basis)",
                USAH,
            ),
            "commission_rate": C("Sahara: commission / rewards in the latest observed set's block", RATIO),
            "first_observed_at": C("time of its first observation or staking event", TS),
            "last_observed_at": C("time of its latest observation or staking event", TS),
            "event_id": C("the observation the row shows (else its latest staking event)", EVENT_ID),
            "consensus_address": C("Sahara: CometBFT consensus address", "hex address (text)"),
            "delegated_basis": C(
                "Sahara: 'created' (exact from create_validator) or 'observed' "
                "(voting power x 1e18 plus later flows, exact to within one SAHARA)",
                TEXT,
            ),
            "delegated_since_block": C("Sahara: the block delegated_base_units counts from", BLOCK),
            "delegators_since_block": C("Sahara: first stored delegation event's block", BLOCK),
            "stake_alpha": C("Bittensor: the validator's stake in its subnet's alpha", ALPHA),
            "emission_alpha": C("Bittensor: alpha the validator received at its latest epoch", ALPHA),
            "stake_native": C(
                "Bittensor: stake_alpha x price_tao_per_alpha in TAO; NULL on Sahara "
                "(v_validators fills it from stake_tokens)",
                NATIVE,
            ),
            "emission_native": C("Bittensor: emission_alpha in TAO at price_tao_per_alpha", NATIVE),
            "native_unit": C("'TAO' on Bittensor rows (NULL on Sahara rows)", TEXT),
            "price_tao_per_alpha": C("Bittensor: the pool price the alpha columns convert at", PRICE),
            "price_block": C("Bittensor: the block that price was observed at", BLOCK),
        },
    ),
    _table(
        "chain_source_days",
        "one row per (source, stream, UTC day) with a stored block",
        "Per source and day: first and last stored block and whether the day is stored whole",
        {
            "source": _SOURCE,
            "stream": _STREAM,
            "day": C("the UTC day", DAY),
            "chain": C("'bittensor' or 'sahara'", TEXT),
            "first_block": C("first stored block of the day", BLOCK),
            "last_block": C("last stored block of the day", BLOCK),
            "blocks_stored": C("blocks stored that day", COUNT),
            "previous_block_time": C("time of block first_block - 1, if known", TS),
            "next_block_time": C("time of block last_block + 1, if known and final", TS),
            "complete": C(
                "no gap, block first_block - 1 before the day, block last_block + 1 final and after it", BOOL
            ),
        },
    ),
    _table(
        "chain_days",
        "one row per (chain, UTC day) whose consensus source (subtensor, cometbft) has a stored block",
        "Which chain days are complete: stored whole by every source the chain's figures read",
        {
            "chain": C("'bittensor' or 'sahara'", TEXT),
            "day": C("the UTC day", DAY),
            "complete": C(
                "the finalized head is past the day's end and every block of the day is stored, "
                "by every source of the chain (Sahara: cometbft and evm)",
                BOOL,
            ),
            "first_block": C("first stored block of the day (consensus source)", BLOCK),
            "last_block": C("last stored block of the day (consensus source)", BLOCK),
            "blocks_stored": C("blocks the consensus source stored that day", COUNT),
        },
    ),
    _table(
        "chain_days_batches",
        "one row per ingest batch the completeness projection has folded in",
        "Bookkeeping of the chain_days projection",
        {"batch_id": C("a batch already counted in chain_days", "UUID (text)")},
    ),
    _table(
        "ecosystem_day_members",
        "one row per (chain, UTC day, role, member)",
        "Running state of ecosystem_daily: each member's reward so far that day and latest stake",
        {
            "chain": C("'bittensor' or 'sahara'", TEXT),
            "day": C("the UTC day", DAY),
            "role": C("'participant' or 'validator' (Sahara's validator-set members)", TEXT),
            "member": C(
                "Bittensor: 'netuid:hotkey'; Sahara: contributor address or CometBFT consensus address", ID
            ),
            "reward_base_units": C(
                "the day's reward (Bittensor: each epoch's alpha at its pool price)", NATIVE_BASE
            ),
            "earner_reward_base_units": C(
                "the part the Lorenz curves count: Bittensor observations "
                "without validator permit, every Sahara payment",
                NATIVE_BASE,
            ),
            "earner": C(
                "counts in the Lorenz curves that day: a Bittensor UID without validator permit, "
                "every Sahara contributor",
                BOOL,
            ),
            "stake_native": C(
                "latest stake of the day (Bittensor: in TAO at the epoch's pool price; Sahara: voting power)",
                NATIVE,
            ),
            "permit": C("Bittensor: validator permit at the latest observation (NULL on Sahara)", BOOL),
            "netuid": C("Bittensor subnet of the member (NULL on Sahara)", "subnet id (integer)"),
            "latest_at": C("time of the member's latest event that day", TS),
            "latest_event_id": C("the member's latest event of the day (provenance)", EVENT_ID),
        },
    ),
    _table(
        "ecosystem_day_totals",
        "one row per (chain, UTC day); Sahara rows only",
        "Running state of ecosystem_daily: Sahara's minted tokens, staking state and submissions",
        {
            "chain": C("the network: always 'sahara' (Bittensor has no totals row)", TEXT),
            "day": C("the UTC day", DAY),
            "minted_base_units": C("usah minted by the day's mint events", USAH),
            "bonded_ratio": C("the day's latest mint event's bonded ratio", RATIO),
            "supply_base_units": C("annual provisions / inflation of that event", USAH),
            "mint_block": C("block of that latest mint event", BLOCK),
            "submitted": C("AnnotationSubmitted events that day", COUNT),
        },
    ),
    _table(
        "ecosystem_day_hours",
        "one row per (chain, UTC hour) with rewards",
        "Rewards paid per hour: what rewards_usd prices hour by hour",
        {
            "chain": C("'bittensor' or 'sahara'", TEXT),
            "hour": C("the UTC hour", HOUR),
            "reward_base_units": C(
                "rewards paid that hour (Bittensor: each epoch's alpha at its pool price)", NATIVE_BASE
            ),
        },
    ),
    # ------------------------------------------------------------------ ERC-20 tokens on EVM networks
    _table(
        "stg_erc20_transfers",
        "one row per ERC-20 Transfer event of a token in the contract registry",
        "ERC-20 transfers (the SAHARA token and any other registered token) typed and renamed",
        {
            "event_id": C("the Transfer event", EVENT_ID),
            "seq": _SEQ,
            "network": _EVM_NETWORK,
            "chain_id": _EVM_CHAIN_ID,
            "token_address": C("the token contract", HEX_ADDRESS),
            "token_symbol": C("the token's symbol, from the registry (e.g. 'SAHARA')", TEXT),
            "token_decimals": C("the token's decimals, from the registry (18 for SAHARA)", COUNT),
            "block_number": C("block of the log", BLOCK),
            "block_time": _BLOCK_TIME,
            "tx_hash": C("the EVM transaction that emitted the log", HEX),
            "log_index": C("the log's index in its block", "integer"),
            "from_address": C("the sender; the zero address for a mint", HEX_ADDRESS),
            "to_address": C("the recipient; the zero address for a burn", HEX_ADDRESS),
            "amount_base_units": C("tokens moved", _TOKEN_BASE),
        },
    ),
    _table(
        "stg_erc20_approvals",
        "one row per ERC-20 Approval event of a token in the contract registry",
        "ERC-20 allowances granted (owner lets spender move up to the amount) typed and renamed",
        {
            "event_id": C("the Approval event", EVENT_ID),
            "seq": _SEQ,
            "network": _EVM_NETWORK,
            "chain_id": _EVM_CHAIN_ID,
            "token_address": C("the token contract", HEX_ADDRESS),
            "token_symbol": C("the token's symbol, from the registry", TEXT),
            "token_decimals": C("the token's decimals, from the registry", COUNT),
            "block_number": C("block of the log", BLOCK),
            "block_time": _BLOCK_TIME,
            "tx_hash": C("the EVM transaction that emitted the log", HEX),
            "log_index": C("the log's index in its block", "integer"),
            "owner_address": C("the account granting the allowance", HEX_ADDRESS),
            "spender_address": C("the account allowed to spend", HEX_ADDRESS),
            "amount_base_units": C("the allowance", _TOKEN_BASE),
        },
    ),
    _table(
        "erc20_tokens",
        "one row per (EVM network, token contract) with a stored Transfer or Approval",
        "The registered tokens seen: symbol, decimals, chain id, event counts and block span",
        {
            "network": _EVM_NETWORK,
            "token_address": C("the token contract", HEX_ADDRESS),
            "chain_id": _EVM_CHAIN_ID,
            "token_symbol": C("the token's symbol, from the registry", TEXT),
            "token_decimals": C("the token's decimals, from the registry", COUNT),
            "transfers": C("Transfer events stored", COUNT),
            "approvals": C("Approval events stored", COUNT),
            "first_block": C("first block with a stored Transfer or Approval", BLOCK),
            "last_block": C("last block with a stored Transfer or Approval", BLOCK),
        },
    ),
    _table(
        "erc20_balances",
        "one row per (EVM network, token, account) that sent or received the token",
        "Holder balances folded from every stored Transfer (received minus sent): exact when the "
        "store holds the token's transfers since its first block (the registry's first_block)",
        {
            "network": _EVM_NETWORK,
            "token_address": C("the token contract", HEX_ADDRESS),
            "holder": C("the account (the zero address, the source of mints, is negative)", HEX_ADDRESS),
            "balance_base_units": C("the balance after the last stored transfer", _TOKEN_BASE),
            "first_day": C("the UTC day of the account's first stored transfer", DAY),
            "last_day": C("the UTC day of the account's last stored transfer", DAY),
            "transfers": C("stored transfers the account sent or received", COUNT),
        },
    ),
    _table(
        "erc20_balance_days",
        "one row per (EVM network, token, account, UTC day) with a transfer of the account",
        "Running state of network_daily.holders: each account's net balance change per day",
        {
            "network": _EVM_NETWORK,
            "token_address": C("the token contract", HEX_ADDRESS),
            "holder": C("the account", HEX_ADDRESS),
            "day": C("the UTC day", DAY),
            "delta_base_units": C("received minus sent that day", _TOKEN_BASE + PER_DAY),
        },
    ),
    _table(
        "evm_unmodelled_logs",
        "one row per (EVM network, contract address) with a stored evm.RawLog",
        "Logs of registered contracts that no registered ABI matches (an ERC-721 Transfer has ERC-20's "
        "topic 0 but four topics; an event the ABIs lack): kept as evm.RawLog, never quarantined, "
        "counted here for the quality page",
        {
            "network": C("the registry's network name ('' when the log came without one)", TEXT),
            "contract_address": C("the contract that emitted the logs", HEX_ADDRESS),
            "logs": C("evm.RawLog events stored", COUNT),
            "first_block": C("first block with one", BLOCK),
            "last_block": C("last block with one", BLOCK),
            "last_block_time": C("UTC time of the last block with one", TS),
        },
    ),
    _table(
        "network_daily",
        "one row per chain, network and UTC day",
        "Network fundamentals of both chains: transactions, accounts, transfers, fees, holders and staking yield",
        {
            "chain": C("the ecosystem: 'bittensor' or 'sahara'", TEXT),
            "network": C(
                "where the activity is recorded: 'bittensor' (the Bittensor chain), 'sahara' (the Sahara "
                "chain), or 'evm:<name>' (an EVM network holding the SAHARA ERC-20, from the contract registry)",
                TEXT,
            ),
            "day": C("the UTC day", DAY),
            "complete": C(
                "the network's day is complete (every block or log range of the day ingested): counts and "
                "sums are whole only on complete days",
                BOOL,
            ),
            "native_unit": C("the unit of every *_native column: 'TAO' or 'SAHARA'", TEXT),
            "transactions": C(
                "transactions that day: Bittensor, signed extrinsics; Sahara, Cosmos transactions (an EVM "
                "transaction that is also a MsgEthereumTx counted once, by hash); ERC-20, distinct "
                "transactions with a token log",
                COUNT + PER_DAY,
            ),
            "active_accounts": C(
                "distinct accounts that signed or sent a transaction that day", COUNT + PER_DAY
            ),
            "new_accounts": C(
                "active or receiving accounts seen that day for the first time; Bittensor: accounts the chain "
                "created that day (System.NewAccount, an account's first funding)",
                COUNT + PER_DAY,
            ),
            "transfers": C(
                "token transfers that day (Bittensor Balances.Transfer; Sahara bank transfers; ERC-20 Transfer)",
                COUNT + PER_DAY,
            ),
            "transfer_volume_native": C("sum of the day's transfer amounts", NATIVE + PER_DAY),
            "transfer_volume_usd": C("transfer_volume_native x the day's last quote", USD + PER_DAY),
            "fees_native": C(
                "transaction fees paid that day (an empty fee is a zero fee); NULL where the network's "
                "fees are not paid in the token (ERC-20 networks)",
                NATIVE + PER_DAY,
            ),
            "fees_usd": C("fees_native x the day's last quote", USD + PER_DAY),
            "holders": C(
                "accounts with a positive balance at the day's end. Sahara: balances folded from every bank "
                "transfer (sends, fee payments, reward withdrawals, minting flows), coinbase mint and burn since "
                "the store's first block, module accounts included; a balance held before that block, and staking "
                "bonds (which emit no transfer), are not seen, so it is exact only from genesis. Bittensor: accounts "
                "with free + reserved > 0 in the System.Account snapshot at the day's last block "
                "(bittensor_account_snapshots; NULL until every page of it is stored)",
                COUNT,
            ),
            "staking_apr": C(
                "yearly staking yield without compounding, complete days only: Bittensor, validator yield after "
                "take in TAO terms: the day's validator dividends in TAO (Σ subnet_emission_daily."
                "validator_dividends_tao) x (1 - 11796/65535, subtensor's default take) ÷ the TAO staked at the "
                "day's last block (bittensor_emission_daily.staked_rao) x 365; Sahara, the day's staking rewards "
                "÷ bonded tokens, x 365; NULL where no staking",
                RATIO,
            ),
            "staking_apy": C("staking_apr compounded daily: (1 + apr/365)^365 - 1", RATIO),
            "price_usd": C("the token's last quote of the day", USD),
        },
        example="SELECT chain, network, day, transactions, active_accounts, transfers, holders "
        "FROM network_daily WHERE complete ORDER BY day DESC, chain, network",
    ),
    _table(
        "ecosystem_daily",
        "one row per chain per UTC day",
        "The side-by-side comparison of both networks, every amount in the chain's own token or in USD",
        {
            "chain": C("'bittensor' or 'sahara'", TEXT),
            "day": C("the UTC day", DAY),
            "complete": C(
                "the chain day is complete (chain_days): per-day and annualised figures are "
                "whole only on complete days",
                BOOL,
            ),
            "native_unit": C("the unit of every *_native column: 'TAO' or 'SAHARA'", TEXT),
            "participants": C(
                "Bittensor: UIDs (netuid, hotkey) in the day's metagraph epochs, validators "
                "included; Sahara: contributors who submitted or were paid that day",
                COUNT,
            ),
            "participants_earning": C("participants with a reward above zero that day", COUNT),
            "share_earning": C(
                "fraction of the day's participants paid anything: participants_earning ÷ participants", RATIO
            ),
            "validators": C(
                "Bittensor: validator-permit holders observed that day; Sahara: validators in "
                "the day's observed sets",
                COUNT,
            ),
            "emission_native": C(
                "tokens minted that day: Bittensor, TAO minted by the day's blocks (7,200 "
                "before the 2025-12-12 halving, 3,600 after); Sahara, SAHARA minted by x/mint",
                NATIVE + PER_DAY,
            ),
            "net_issuance_native": C(
                "Bittensor: TotalIssuance growth over the day's blocks (minted - recycled); NULL on Sahara",
                NATIVE + PER_DAY,
            ),
            "rewards_native": C(
                "rewards paid that day: Bittensor, UID emission of the day's epochs, each "
                "epoch's alpha in TAO at its pool price (miner incentive + validator "
                "dividends; it can exceed the TAO minted, since every subnet mints its own alpha "
                "and its pool prices it); Sahara, RewardPaid in SAHARA",
                NATIVE + PER_DAY,
            ),
            "rewards_usd": C(
                "each UTC hour's rewards x that hour's price (else the day's last)", USD + PER_DAY
            ),
            "miner_incentive_native": C(
                "Bittensor: rewards to UIDs without validator permit", NATIVE + PER_DAY
            ),
            "validator_dividends_native": C(
                "Bittensor: rewards to validator-permit holders", NATIVE + PER_DAY
            ),
            "owner_cut_native": C(
                "Bittensor: subnet owners' cut of the day's blocks, each block's at its pool price",
                NATIVE + PER_DAY,
            ),
            "rewards_per_participant_native": C(
                "average reward of one participant that day: rewards_native ÷ participants", NATIVE + PER_DAY
            ),
            "rewards_per_participant_usd": C(
                "average reward of one participant that day in dollars: rewards_usd ÷ participants",
                USD + PER_DAY,
            ),
            "stake_native": C(
                "tokens staked at the day's end: Bittensor, root's SubnetTAO + the SubnetTAO "
                "of every other subnet at the day's last block; Sahara, bonded ratio x supply",
                NATIVE,
            ),
            "staking_ratio": C(
                "share of supply actually staked: Bittensor, (root TAO stake + Σ SubnetTAO "
                "of the other subnets) ÷ TotalIssuance at the day's last block; Sahara, "
                "x/mint's bonded ratio",
                RATIO,
            ),
            "supply_native": C(
                "tokens in existence: Bittensor, TotalIssuance at the day's last block; "
                "Sahara, annual provisions ÷ inflation",
                NATIVE,
            ),
            "supply_cap_share": C("supply_native ÷ max supply (21M TAO, 10B SAHARA)", RATIO),
            "inflation_annualised": C(
                "emission_native x 365 ÷ supply_native; complete days only (NULL on a partial day)",
                "ratio per year",
            ),
            "price_usd": C("the day's last quote of the chain's token", USD),
            "market_cap_usd": C("supply_native x price_usd", USD),
            "gini": C(
                "Gini coefficient of the day's rewards over participants, zero rewards included (0: "
                "equal, 1: one gets all)",
                RATIO,
            ),
            "top10_share": C("share of the day's rewards paid to the top 10% of participants", RATIO),
            "nakamoto": C(
                "fewest validators holding more than half of the validators' stake (in the native token)",
                COUNT,
            ),
            "units_active": C(
                "Bittensor: subnets with participants that day; Sahara: annotations "
                "submitted that day (unit named in units_label)",
                COUNT,
            ),
            "units_label": C("what units_active counts: 'subnets' or 'annotations'", TEXT),
            "last_block": C("Bittensor: the day's last EmissionObserved block (NULL on Sahara)", BLOCK),
        },
        "SELECT chain, day, emission_native, native_unit, staking_ratio FROM ecosystem_daily "
        "WHERE complete ORDER BY day DESC, chain",
    ),
    _table(
        "reference_facts",
        "one row per off-chain reference fact",
        "Off-chain facts of the comparison (funding, IDO, ETF filing, launches, third-party counts), each "
        "with its source and as-of date; loaded from warehouse/data/reference_facts.csv",
        {
            "fact_id": C("stable key of the fact, e.g. 'sh_funding'", ID),
            "subject": C("'bittensor', 'sahara' or 'sector'", TEXT),
            "fact": C("what the value states, in words", TEXT),
            "value": C("the value as the source gives it (number, date, yes, text)", "as given, in unit"),
            "value_number": C(
                "value as an exact number when it is one; NULL for dates, ranges and text", "the row's unit"
            ),
            "unit": C(
                "the value's unit: USD, TAO, people, ratio, date, month, quarter, flag, text, ...", TEXT
            ),
            "as_of": C("the date the source states the fact for", DAY),
            "source_title": C("title (and publisher) of the source", TEXT),
            "source_url": C("http(s) address of the source", "URL (text)"),
            "note": C("qualifier from the source (about, 3M+, as reported by the team)", TEXT),
        },
    ),
)

_BY_NAME = {relation.name: relation for relation in TABLES}


def _view(
    name: str,
    grain: str,
    meaning: str,
    columns: Iterable[str],
    source: str | None = None,
    own: dict[str, Column] | None = None,
    *,
    example: str,
) -> Relation:
    """A view whose columns not in `own` pass through from table `source` with the same meaning."""
    own = own or {}
    resolved = {}
    for column in columns:
        if column in own:
            resolved[column] = own[column]
        elif source is not None and column in _BY_NAME[source].columns:
            resolved[column] = _BY_NAME[source].columns[column]
        else:
            raise KeyError(f"view {name}: no definition for column {column!r} (not in {source})")
    return Relation(name, "view", grain, meaning, resolved, example)


VIEWS: tuple[Relation, ...] = (
    _view(
        "v_comparison_daily",
        "one row per chain per UTC day",
        "The side-by-side comparison for analysts (ecosystem_daily without its bookkeeping columns)",
        (
            "chain",
            "day",
            "complete",
            "native_unit",
            "participants",
            "participants_earning",
            "share_earning",
            "validators",
            "nakamoto",
            "gini",
            "top10_share",
            "emission_native",
            "net_issuance_native",
            "rewards_native",
            "rewards_usd",
            "rewards_per_participant_native",
            "rewards_per_participant_usd",
            "stake_native",
            "staking_ratio",
            "supply_native",
            "supply_cap_share",
            "inflation_annualised",
            "price_usd",
            "market_cap_usd",
            "units_active",
            "units_label",
        ),
        "ecosystem_daily",
        example="SELECT chain, day, participants, share_earning, gini, top10_share FROM v_comparison_daily "
        "WHERE complete ORDER BY day DESC, chain",
    ),
    _view(
        "v_market_daily",
        "one row per coin per UTC day",
        "Daily price, market cap and volume of TAO and SAHARA",
        ("coin_id", "day", "price_usd", "market_cap_usd", "total_volume_usd", "quotes"),
        "market_caps_daily",
        example="SELECT coin_id, day, price_usd, market_cap_usd FROM v_market_daily ORDER BY day DESC, coin_id",
    ),
    _view(
        "v_subnet_leaderboard",
        "one row per live Bittensor subnet",
        "Live subnets with their emission share, alpha price and pool",
        (
            "netuid",
            "owner",
            "emission_share",
            "price_tao_per_alpha",
            "price_block",
            "miners",
            "validators",
            "pool_tao",
            "pool_alpha",
            "last_observed_at",
        ),
        "subnets",
        example="SELECT netuid, emission_share, price_tao_per_alpha, miners FROM v_subnet_leaderboard "
        "ORDER BY emission_share DESC LIMIT 10",
    ),
    _view(
        "v_miners_earning_by_subnet",
        "one row per subnet with registered miners",
        "How many of each subnet's registered miners earn anything (competition at work)",
        ("netuid", "miners", "miners_earning", "share_earning"),
        "miners",
        {
            "miners": C("registered miners of the subnet (not deregistered)", COUNT),
            "miners_earning": C("of those, miners whose latest epoch paid them emission", COUNT),
            "share_earning": C(
                "fraction of the subnet's registered miners that earn: miners_earning ÷ miners", RATIO
            ),
        },
        example="SELECT netuid, miners, miners_earning, share_earning FROM v_miners_earning_by_subnet "
        "ORDER BY share_earning",
    ),
    _view(
        "v_contributor_leaderboard",
        "one row per Sahara contributor",
        "Contributors with their annotations, acceptance, rewards and reputation",
        (
            "contributor",
            "submitted",
            "reviewed",
            "accepted",
            "acceptance_rate",
            "rewards_sahara",
            "reputation_tier",
            "first_seen_at",
            "last_active_at",
        ),
        "contributors",
        example="SELECT reputation_tier, COUNT(*) AS contributors, AVG(acceptance_rate) AS acceptance "
        "FROM v_contributor_leaderboard GROUP BY reputation_tier ORDER BY reputation_tier",
    ),
    _view(
        "v_validators",
        "one row per validator of either chain",
        "Validators of both networks with their stake in the chain's own token",
        (
            "chain",
            "validator_id",
            "netuid",
            "address",
            "stake_native",
            "native_unit",
            "stake_alpha",
            "price_tao_per_alpha",
            "price_block",
            "voting_power",
            "delegators",
            "commission_rate",
            "dividends",
            "validator_trust",
            "last_observed_at",
        ),
        "validators",
        {
            "stake_native": C(
                "stake in the chain's token: Bittensor, stake_alpha x price_tao_per_alpha in "
                "TAO; Sahara, voting power in SAHARA",
                NATIVE,
            ),
            "native_unit": C("'TAO' or 'SAHARA': the unit of stake_native", TEXT),
        },
        example="SELECT chain, COUNT(*) AS validators, MAX(stake_native) / SUM(stake_native) AS largest_share "
        "FROM v_validators GROUP BY chain",
    ),
    _view(
        "v_quarantine_summary",
        "one row per (source, rule) with quarantined rows",
        "Data quality at a glance: rejected rows per source and rule",
        ("source", "rule", "rows_quarantined", "first_seen", "last_seen"),
        "quarantine",
        {
            "rows_quarantined": C("rows set aside by the rule", COUNT),
            "first_seen": C("when the rule first set a row aside", TS),
            "last_seen": C("when it last did", TS),
        },
        example="SELECT source, rule, rows_quarantined, last_seen FROM v_quarantine_summary "
        "ORDER BY rows_quarantined DESC",
    ),
    _view(
        "v_freshness",
        "one row per ingested (source, stream)",
        "How far each stream has been ingested and the time of its newest stored block",
        ("source", "stream", "position", "updated_at", "last_block_time"),
        "ingest_checkpoints",
        {"last_block_time": C("time of the newest stored block of the stream (NULL for CoinGecko)", TS)},
        example="SELECT source, stream, position, last_block_time FROM v_freshness ORDER BY source",
    ),
    _view(
        "v_reference_facts",
        "one row per off-chain reference fact",
        "The reference facts with their sources, for analysts",
        (
            "subject",
            "fact_id",
            "fact",
            "value",
            "value_number",
            "unit",
            "as_of",
            "source_title",
            "source_url",
            "note",
        ),
        "reference_facts",
        example="SELECT subject, fact, value, unit, as_of, source_title FROM v_reference_facts "
        "ORDER BY subject, as_of",
    ),
    _view(
        "v_milestones",
        "one row per milestone: a runtime upgrade or halving seen on chain, or a dated reference fact",
        "The moments every time-series chart marks: runtime upgrades (a block whose spec_version is newer "
        "than its parent's) and halvings (the first block minting less than its parent) from the stored "
        "blocks, and the reference facts whose value is a date, month or quarter (dTAO, TGE, mainnet, ...)",
        (
            "milestone_id",
            "chain",
            "kind",
            "label",
            "detail",
            "occurred_at",
            "resolution",
            "block_number",
            "source_title",
            "source_url",
            "fact_id",
        ),
        None,
        {
            "milestone_id": C(
                "stable key: 'runtime:<source>:<stream>:<spec>', 'halving:bittensor:<block>' or "
                "'fact:<fact_id>'",
                ID,
            ),
            "chain": C("'bittensor' or 'sahara' (a reference fact's subject; 'sector' for the sector)", TEXT),
            "kind": C(
                "'runtime_upgrade', 'halving' (both seen on chain) or 'reference' (a dated fact)", TEXT
            ),
            "label": C(
                "the short name a chart writes by its marker: 'runtime 343', 'halving', the fact", TEXT
            ),
            "detail": C(
                "what happened, in words: the specs or the block emission before and after, or the fact's "
                "value and qualifier",
                TEXT,
            ),
            "occurred_at": C(
                "when: the block that enacted the upgrade or first minted less; a fact's date, or the first "
                "day of its month or quarter",
                TS,
            ),
            "resolution": C(
                "how exact `occurred_at` is: 'block', or a fact's 'date', 'month' or 'quarter'", TEXT
            ),
            "block_number": C("the block of an on-chain milestone (NULL for a reference fact)", BLOCK),
            "source_title": C(
                "where it comes from: the stored blocks or events it was read from, or the fact's source title",
                TEXT,
            ),
            "source_url": C("http(s) address of a reference fact's source (NULL on chain)", "URL (text)"),
            "fact_id": C("the reference fact it is (`reference_facts.fact_id`; NULL on chain)", ID),
        },
        example="SELECT occurred_at, chain, kind, label, detail FROM v_milestones ORDER BY occurred_at",
    ),
)

RELATIONS: dict[str, Relation] = {relation.name: relation for relation in (*TABLES, *VIEWS)}

# ------------------------------------------------------------------------------ derived figures
#: Figures the dashboard and the command line compute from the tables without storing them, grouped by
#: the frame that holds them. `describe("kpi.emission_usd")` finds them like a column.
DERIVED: dict[str, dict[str, Column]] = {
    "kpi": {
        "market_cap_change_24h": C(
            "change of the market cap since the latest hour at least 24 hours earlier", "ratio, shown as %"
        ),
        "emission_usd": C("emission_native x the day's last price", USD + PER_DAY),
        "volume_24h_usd": C("trading volume over the 24 hours before the latest quote", USD),
        "market_hour": C("UTC hour of the latest quote the market figures show", HOUR),
    },
    "freshness": {
        "last_data_at": C("time of the newest stored block (chains) or quote (market) of the stream", TS),
        "lag_hours": C("hours between last_data_at and now", "hours"),
    },
    "dq_results_latest": {
        "runs": C("suite runs on the stream so far", COUNT),
        "runs_failed": C("of those, runs whose outcome was 'failed'", COUNT),
    },
    "runtime_types": {
        "runtime": C(
            "the runtime events were checked against: 'spec 343' (subtensor), 'cosmos-sdk v0.50', "
            "'abi <digest>' (the contract ABI set)",
            TEXT,
        ),
        "batches": C("validated batches with events of that runtime", COUNT),
        "events": C("events of that runtime in those batches", COUNT),
        "unknown_events": C(
            "events of a type (or with fields) that runtime does not have; kept, not dropped", COUNT
        ),
        "unknown_share": C("unknown_events / events", RATIO),
        "unknown_types": C("the unknown types with their counts, most frequent first", TEXT),
    },
    "quarantine_by_rule": {
        "rows": C("rows the rule set aside", COUNT),
        "last_seen": C("when it last set one aside", TS),
    },
    "marketplace_per_day": {
        "day": C("the UTC day", DAY),
        "licenses": C("Marketplace.LicensePurchased events that day", COUNT),
        "license_sales_sahara": C("licence prices paid that day", SAHARA + PER_DAY),
        "revenue_shared_sahara": C("Marketplace.RevenueShared amounts paid out that day", SAHARA + PER_DAY),
    },
    "sahara_validators": {
        "delegated_sahara": C(
            "delegated_base_units in SAHARA: tokens bonded to the validator, self-bond included", SAHARA
        ),
    },
    "bittensor_stakes": {
        "stake_tao": C("validator stake in TAO at its epoch's pool price (root: TAO)", TAO),
    },
    "emission_per_day": {
        "emission_tao": C(
            "TAO minted by the day's blocks (ecosystem_daily.emission_native of Bittensor)", TAO + PER_DAY
        ),
    },
    "sahara_rewards_per_day": {
        "rewards_sahara": C(
            "rewards paid that day (ecosystem_daily.rewards_native of Sahara)", SAHARA + PER_DAY
        ),
    },
    "registrations_per_day": {
        "registrations": C("NeuronRegistered events that day", COUNT + PER_DAY),
    },
    "contributors_over_time": {
        "new_contributors": C("contributors first seen that day", COUNT + PER_DAY),
        "contributors": C("contributors first seen on or before that day", COUNT),
    },
    "annotation_funnel": {
        "annotations": C("stored submissions that reached the stage (submitted, reviewed, accepted)", COUNT),
    },
    "rewards_per_participant": {
        "participant": C("Bittensor: 'netuid:hotkey' of a miner; Sahara: a contributor address", ID),
        "reward": C(
            "the participant's rewards over the range in the chain's token (Bittensor: miner "
            "incentive in TAO)",
            NATIVE,
        ),
    },
    "rebased": {
        "index": C(
            "the value rebased to 100 at the start of the range (moves compare across sizes)",
            "index (start of range = 100)",
        ),
    },
    # The entity pages (a subnet, a hotkey, a Sahara validator, a contributor through time): one row per
    # period with data, an hour when the entity's history covers three UTC days or fewer, else a day.
    "subnet_history": {
        "period": C(
            "start of the hour or UTC day the row sums up (hourly for a history of three days or less)", TS
        ),
        "blocks": C("the subnet's block observations in the period", COUNT + PER_PERIOD),
        "tao_injected_tao": C(
            "TAO injected into the subnet's pool: sum of SubnetTaoInEmission", TAO + PER_PERIOD
        ),
        "alpha_to_participants_alpha": C(
            "alpha emitted to the subnet's miners, validators and owner: sum of SubnetAlphaOutEmission",
            ALPHA + PER_PERIOD,
        ),
        "alpha_to_pool_alpha": C("alpha added to the pool: sum of SubnetAlphaInEmission", ALPHA + PER_PERIOD),
        "price_tao_per_alpha": C("pool price (SubnetTAO / SubnetAlphaIn) at the period's last block", PRICE),
        "pool_tao": C("TAO in the pool (SubnetTAO) at the period's last block", TAO),
        "epochs": C("metagraph epochs observed in the period", COUNT + PER_PERIOD),
        "uids": C("UIDs in the metagraph at the period's last epoch", COUNT),
        "miners": C("of those, UIDs without validator permit", COUNT),
        "validators": C("of those, UIDs with validator permit", COUNT),
        "stake_alpha": C("stake on the subnet's UIDs at the period's last epoch, summed", ALPHA),
        "stake_tao": C("that stake in TAO at the epoch's pool price (root: TAO)", TAO),
        "registrations": C("NeuronRegistered events of the subnet in the period", COUNT + PER_PERIOD),
    },
    "subnet_neurons": {
        "role": C("'miner' (no validator permit) or 'validator' (permit holder) at its latest epoch", TEXT),
        "dividends": C("share of the subnet's validator dividends at the latest epoch (validators)", SCORE),
    },
    "hotkey_history": {
        "netuid": _NETUID,
        "period": C(
            "start of the hour or UTC day the row sums up (hourly for a history of three days or less)", TS
        ),
        "uid": C("the UID the hotkey held at the period's last epoch", "UID (integer)"),
        "epochs": C("metagraph observations of the hotkey in the subnet in the period", COUNT + PER_PERIOD),
        "validator_permit": C("it held a validator permit at the period's last epoch", BOOL),
        "stake_alpha": C("stake on the hotkey in the subnet at the period's last epoch", ALPHA),
        "stake_tao": C("that stake in TAO at that epoch's pool price (root: TAO)", TAO),
        "incentive": C("its share of the subnet's miner incentive at the period's last epoch", SCORE),
        "dividends": C("its share of the subnet's validator dividends at the period's last epoch", SCORE),
        "emission_alpha": C(
            "alpha it received over the period's epochs (this subnet only)", ALPHA + PER_PERIOD
        ),
        "incentive_tao": C(
            "alpha it received as a miner (epochs without validator permit), each epoch in TAO at its pool "
            "price, summed",
            TAO + PER_PERIOD,
        ),
        "dividends_tao": C(
            "alpha it received as a validator (epochs with permit), each epoch in TAO at its pool price, summed",
            TAO + PER_PERIOD,
        ),
        "registrations": C("its NeuronRegistered events in the subnet in the period", COUNT + PER_PERIOD),
    },
    "sahara_validator_history": {
        "period": C(
            "start of the hour or UTC day the row sums up (hourly for a history of three days or less)", TS
        ),
        "observations": C("validator sets observed with the validator in the period", COUNT + PER_PERIOD),
        "voting_power": C("its voting power in the period's last observed set (bonded // 1e18)", SAHARA),
        "power_share": C("its voting power over the whole set's in that set", RATIO),
        "commission_rate": C("its commission / rewards in that set's block", RATIO),
        "flows": C(
            "changes of its bonded tokens in the period (delegations, unbondings, …)", COUNT + PER_PERIOD
        ),
        "delegated_sahara": C(
            "tokens bonded to it in the period: delegations, redelegations in, self-bond", SAHARA + PER_PERIOD
        ),
        "undelegated_sahara": C(
            "tokens that left it in the period: unbondings and redelegations out", SAHARA + PER_PERIOD
        ),
        "net_flow_sahara": C("delegated_sahara - undelegated_sahara", SAHARA + PER_PERIOD),
        "cumulative_net_flow_sahara": C(
            "net flow since its first stored flow, up to the end of the period (not its whole bond unless "
            "the store begins at its creation)",
            SAHARA,
        ),
    },
    "sahara_validator_flows": {
        "amount_sahara": C("signed change of the validator's bonded tokens", SAHARA),
    },
    "sahara_validator_delegations": {
        "net_sahara": C("the delegator's net delegation over the stored events (net_usah / 1e18)", SAHARA),
    },
    "contributor_history": {
        "period": C(
            "start of the hour or UTC day the row sums up (hourly for a history of three days or less)", TS
        ),
        "submitted": C("their annotations submitted in the period", COUNT + PER_PERIOD),
        "reviewed": C("reviews of their stored submissions in the period", COUNT + PER_PERIOD),
        "accepted": C("of those reviews, acceptances", COUNT + PER_PERIOD),
        "acceptance_rate": C("accepted / reviewed in the period", RATIO),
        "payments": C("DataServices.RewardPaid events to them in the period", COUNT + PER_PERIOD),
        "rewards_sahara": C("rewards paid to them in the period (RewardPaid amounts)", SAHARA + PER_PERIOD),
        "cumulative_rewards_sahara": C("rewards paid to them up to the end of the period", SAHARA),
        "reputation_tier": C(
            "highest Reputation.ReputationMinted tier minted to them up to the end of the period",
            "tier (integer)",
        ),
    },
    "catalogue": {
        "name": C("name of the table or view in the warehouse", ID),
        "kind": C("'table' or 'view'", TEXT),
        "column": C("name of the column in its table or view", ID),
        "type": C("the column's type as the database reports it (DuckDB or PostgreSQL names)", TEXT),
        "comment": C(
            "the comment the database stores for it (COMMENT ON): its meaning, unit and, for a "
            "table or view, its grain",
            TEXT,
        ),
    },
    "event_catalog": {
        "event_type": C("`Module.Event` name as stored in events.event_type", TEXT),
        "chain": C("'bittensor', 'sahara' or 'market'", TEXT),
        "source": C("the connector that reads it: subtensor, cometbft, evm or coingecko", TEXT),
        "runtimes": C("the runtime versions (or ABI model) whose layout the product decodes it with", TEXT),
        "meaning": C("what the event records, in words", TEXT),
        "fields": C(
            "its payload fields as `name (unit): meaning`; amounts are integer strings in base units", TEXT
        ),
    },
    "head_to_head": {
        "aspect": C("what the row compares (hover it for its definition)", TEXT),
        "bittensor": C(
            "Bittensor's value, in the unit the row names; a fact row adds its as-of date and source",
            "as the row states",
        ),
        "sahara": C(
            "Sahara AI's value, in the unit the row names; a fact row adds its as-of date and source",
            "as the row states",
        ),
        "bittensor_as_of": C(
            "the date Bittensor's value is stated for: a fact's as-of date, or the measured day", DAY
        ),
        "bittensor_source": C(
            "where Bittensor's value comes from: the fact's source title, or the warehouse table", TEXT
        ),
        "bittensor_source_url": C("http(s) address of that source (none for a measured value)", "URL (text)"),
        "sahara_as_of": C(
            "the date Sahara's value is stated for: a fact's as-of date, or the measured day", DAY
        ),
        "sahara_source": C(
            "where Sahara's value comes from: the fact's source title, or the warehouse table", TEXT
        ),
        "sahara_source_url": C("http(s) address of that source (none for a measured value)", "URL (text)"),
        "definition": C("what the row compares, in words (the hover of its aspect)", TEXT),
    },
    # What each row of off-chain facts in the head-to-head compares; the values are reference facts.
    "head_to_head_rows": {
        "primary_focus": C(
            "what the network is built for: AI outputs (models, inference) or AI inputs (data, models, "
            "agents and their attribution)",
            TEXT,
        ),
        "consensus": C("how the network agrees on its state and on who is rewarded", TEXT),
        "incentive": C("who does the work, and how their rewards are decided", TEXT),
        "reward_split": C(
            "how each subnet's emission is shared among miners, validators and its owner", TEXT
        ),
        "token_supply": C("the token's maximum supply and how new tokens are issued", TEXT),
        "halving": C(
            "when TAO's block emission first halved (1 to 0.5 TAO per block), as reported; the charts mark "
            "the block where the stored chain did it",
            TEXT,
        ),
        "dtao": C("when subnets got tokens and pools of their own (Dynamic TAO), as reported", TEXT),
        "funding": C("money raised from investors, as reported", TEXT),
        "ido": C("the initial DEX offering: money raised and who took part, as reported", TEXT),
        "tge": C("when the token was first generated and distributed (token generation event)", TEXT),
        "mainnet": C("when the main network launched, as reported", TEXT),
        "etf": C("a filing for an exchange-traded product holding the token", TEXT),
        "participants_reported": C(
            "third-party counts of the network's participants (the measured rows count what the "
            "warehouse holds)",
            TEXT,
        ),
    },
}


# -------------------------------------------------------------------------------- event catalog
@dataclass(frozen=True)
class EventType:
    """One event type the product models: where it comes from, which runtimes carry it, its fields."""

    event_type: str
    chain: str
    source: str
    read_from: str
    runtimes: str
    meaning: str
    fields: Mapping[str, Column] = field(default_factory=dict)


SUBTENSOR_EVENTS = "System.Events storage of every block (state_getStorage), SCALE-decoded"
SUBTENSOR_RUNTIMES = "subtensor specs 342 and 343 (a later spec is checked against 343)"
COSMOS_RUNTIME = "Cosmos SDK v0.50 (CometBFT v0.34, v0.37 and v0.38 responses give the same event)"
BLOCK_RESULTS = "CometBFT /block_results of every height"
EVM_LOGS = "eth_getLogs of the contract, ABI-decoded"
_EVM = {
    "contract": C("address of the contract that emitted the log", HEX_ADDRESS),
    "tx_hash": C("EVM transaction hash", HEX),
}
#: What the connector adds to a registered token's events (a registry contract with a symbol).
_EVM_TOKEN = {
    "network": C("the EVM network's name in the contract registry", TEXT),
    "chain_id": C("the EVM network's chain id", "integer"),
    "token_symbol": C("the token's symbol, from the registry", TEXT),
    "token_decimals": C("the token's decimals, from the registry", "integer"),
}
_COSMOS_MODE = {
    "mode": C("'BeginBlock' or 'EndBlock' for finalize-block events; absent in transactions", TEXT)
}
_MSG_INDEX = {"msg_index": C("index of the message in its transaction", "index (integer)")}
_VALOPER = "bech32 operator address (saharavaloper…)"
_ACCOUNT = "bech32 account address (sahara1…)"


def _abi(contract: str, version_note: str = "") -> str:
    return f"the project's model in etl/abi/{contract}.json (no published ABI){version_note}"


EVENTS: tuple[EventType, ...] = (
    # ------------------------------------------------------------------------------- Bittensor
    EventType(
        "SubtensorModule.NeuronRegistered",
        "bittensor",
        "subtensor",
        SUBTENSOR_EVENTS,
        SUBTENSOR_RUNTIMES,
        "a hotkey registered into a subnet's UID slot (replacing its previous holder)",
        {"netuid": _NETUID, "uid": C("the UID slot taken", "UID (integer)"), "hotkey": C("the hotkey", SS58)},
    ),
    EventType(
        "SubtensorModule.StakeAdded",
        "bittensor",
        "subtensor",
        SUBTENSOR_EVENTS,
        "spec 342: coldkey, hotkey, tao, alpha, netuid; spec 343 on: the same plus fee",
        "a coldkey staked TAO to a hotkey in a subnet, buying the subnet's alpha from its pool",
        {
            "coldkey": C("the staking coldkey", SS58),
            "hotkey": C("the hotkey staked to", SS58),
            "tao": C("TAO paid in", RAO),
            "alpha": C("alpha bought", ALPHA_RAO),
            "netuid": _NETUID,
            "fee": C("swap fee charged (spec 343 on)", RAO),
        },
    ),
    EventType(
        "SubtensorModule.StakeRemoved",
        "bittensor",
        "subtensor",
        SUBTENSOR_EVENTS,
        "spec 342: coldkey, hotkey, tao, alpha, netuid; spec 343 on: the same plus fee",
        "a coldkey unstaked: alpha sold back to the subnet's pool for TAO",
        {
            "coldkey": C("the unstaking coldkey", SS58),
            "hotkey": C("the hotkey unstaked from", SS58),
            "tao": C("TAO paid out, after the fee", RAO),
            "alpha": C("alpha sold", ALPHA_RAO),
            "netuid": _NETUID,
            "fee": C("swap fee charged (spec 343 on)", RAO),
        },
    ),
    EventType(
        "SubtensorModule.StakeMoved",
        "bittensor",
        "subtensor",
        SUBTENSOR_EVENTS,
        SUBTENSOR_RUNTIMES,
        "stake moved between hotkeys or subnets without leaving its coldkey",
        {
            "coldkey": C("the coldkey", SS58),
            "origin_hotkey": C("hotkey the stake left", SS58),
            "origin_netuid": C("subnet it left", "subnet id (integer)"),
            "destination_hotkey": C("hotkey it went to", SS58),
            "destination_netuid": C("subnet it went to", "subnet id (integer)"),
            "tao": C("the amount moved, in TAO", RAO),
        },
    ),
    EventType(
        "SubtensorModule.StakeTransferred",
        "bittensor",
        "subtensor",
        SUBTENSOR_EVENTS,
        SUBTENSOR_RUNTIMES,
        "stake handed from one coldkey to another, possibly into another subnet",
        {
            "origin_coldkey": C("coldkey the stake left", SS58),
            "destination_coldkey": C("coldkey it went to", SS58),
            "hotkey": C("the hotkey it stays on", SS58),
            "origin_netuid": C("subnet it left", "subnet id (integer)"),
            "destination_netuid": C("subnet it went to", "subnet id (integer)"),
            "tao": C("the amount, in TAO", RAO),
        },
    ),
    EventType(
        "SubtensorModule.StakeSwapped",
        "bittensor",
        "subtensor",
        SUBTENSOR_EVENTS,
        SUBTENSOR_RUNTIMES,
        "a coldkey swapped its stake on a hotkey from one subnet to another",
        {
            "coldkey": C("the coldkey", SS58),
            "hotkey": C("the hotkey", SS58),
            "origin_netuid": C("subnet it left", "subnet id (integer)"),
            "destination_netuid": C("subnet it went to", "subnet id (integer)"),
            "tao": C("the amount, in TAO", RAO),
        },
    ),
    EventType(
        "SubtensorModule.WeightsSet",
        "bittensor",
        "subtensor",
        SUBTENSOR_EVENTS,
        SUBTENSOR_RUNTIMES,
        "a validator set its weights on the subnet's miners",
        {"netuid": _NETUID, "uid": C("the validator's UID", "UID (integer)")},
    ),
    EventType(
        "SubtensorModule.AxonServed",
        "bittensor",
        "subtensor",
        SUBTENSOR_EVENTS,
        SUBTENSOR_RUNTIMES,
        "a neuron announced its axon (the server it answers on)",
        {"netuid": _NETUID, "hotkey": C("the neuron's hotkey", SS58)},
    ),
    EventType(
        "SubtensorModule.NetworkAdded",
        "bittensor",
        "subtensor",
        SUBTENSOR_EVENTS,
        SUBTENSOR_RUNTIMES,
        "a subnet was registered",
        {"netuid": _NETUID, "mechanism": C("the subnet's mechanism id", "id (integer)")},
    ),
    EventType(
        "SubtensorModule.NetworkRemoved",
        "bittensor",
        "subtensor",
        SUBTENSOR_EVENTS,
        SUBTENSOR_RUNTIMES,
        "a subnet was removed (deregistered)",
        {"netuid": _NETUID},
    ),
    EventType(
        "SubtensorModule.IncentiveAlphaEmittedToMiners",
        "bittensor",
        "subtensor",
        SUBTENSOR_EVENTS,
        SUBTENSOR_RUNTIMES,
        "the alpha incentive a subnet's epoch paid its miners, per UID",
        {"netuid": _NETUID, "emissions": C("alpha per UID, in UID order", "list of " + ALPHA_RAO)},
    ),
    EventType(
        "Balances.Transfer",
        "bittensor",
        "subtensor",
        SUBTENSOR_EVENTS,
        SUBTENSOR_RUNTIMES,
        "TAO moved between two accounts",
        {"from": C("sender", SS58), "to": C("recipient", SS58), "amount": C("TAO moved", RAO)},
    ),
    EventType(
        "Balances.Withdraw",
        "bittensor",
        "subtensor",
        SUBTENSOR_EVENTS,
        SUBTENSOR_RUNTIMES,
        "TAO taken from an account (transaction fees, registration burns)",
        {"who": C("the account", SS58), "amount": C("TAO withdrawn", RAO)},
    ),
    EventType(
        "System.ExtrinsicSuccess",
        "bittensor",
        "subtensor",
        SUBTENSOR_EVENTS,
        SUBTENSOR_RUNTIMES,
        "an extrinsic (transaction) of the block succeeded",
        {"dispatch_info": C("weight, class and fee payment of the extrinsic", JSON)},
    ),
    EventType(
        "Balances.Deposit",
        "bittensor",
        "subtensor",
        SUBTENSOR_EVENTS,
        SUBTENSOR_RUNTIMES,
        "TAO paid into an account (an unstake's proceeds)",
        {"who": C("the account", SS58), "amount": C("TAO deposited", RAO)},
    ),
    EventType(
        "Balances.Endowed",
        "bittensor",
        "subtensor",
        SUBTENSOR_EVENTS,
        SUBTENSOR_RUNTIMES,
        "an account received its first TAO",
        {"account": C("the new account", SS58), "free_balance": C("its first balance", RAO)},
    ),
    EventType(
        "System.NewAccount",
        "bittensor",
        "subtensor",
        SUBTENSOR_EVENTS,
        SUBTENSOR_RUNTIMES,
        "an account was created (its first funding)",
        {"account": C("the new account", SS58)},
    ),
    EventType(
        "TransactionPayment.TransactionFeePaid",
        "bittensor",
        "subtensor",
        SUBTENSOR_EVENTS,
        SUBTENSOR_RUNTIMES,
        "a signed extrinsic paid its fee (phase: the extrinsic's index)",
        {
            "who": C("the account that paid (the signer)", SS58),
            "actual_fee": C("the fee paid: inclusion fee plus tip (0 for Pays::No calls)", RAO),
            "tip": C("the part of actual_fee that was a tip", RAO),
        },
    ),
    EventType(
        "System.ExtrinsicObserved",
        "bittensor",
        "subtensor",
        "block body: chain_getBlock of every block, each signed extrinsic decoded with the block's runtime",
        SUBTENSOR_RUNTIMES + "; an observation the connector records, not a chain event",
        "one signed extrinsic (transaction) of the block: who signed it and which call",
        {
            "index": C("position in the block body; its events carry it as their phase", "index (integer)"),
            "signer": C("the account that signed it", SS58),
            "nonce": C("the signer's nonce (CheckNonce)", "integer"),
            "tip": C("the tip offered (ChargeTransactionPayment)", RAO),
            "pallet": C("the call's pallet", TEXT),
            "call": C("the call's name", TEXT),
            "hash": C("blake2b-256 of the encoded extrinsic", HEX),
        },
    ),
    EventType(
        "System.AccountsObserved",
        "bittensor",
        "subtensor",
        "state observation: System.Account at the last block of each UTC day (state_getKeysPaged in pages "
        "of 1,000 keys, then state_queryStorageAt), recorded on the next day's first block",
        SUBTENSOR_RUNTIMES + "; an observation the connector records, not a chain event",
        "one page of the accounts (System.Account) as a day's last block left them",
        {
            "day": C("the UTC day the snapshot closes", DAY),
            "at_block": C("that day's last block, whose state was read", BLOCK),
            "page": C("the page's number (0 first), in key order", "index (integer)"),
            "pages": C("pages in the snapshot", COUNT),
            "accounts": C(
                "one entry per account: account (SS58), free, reserved and frozen (rao strings), nonce",
                "list of objects; amounts in " + RAO,
            ),
        },
    ),
    EventType(
        "SubtensorModule.NeuronObserved",
        "bittensor",
        "subtensor",
        "state observation: NeuronInfoRuntimeApi_get_neurons_lite at each subnet's epoch block",
        SUBTENSOR_RUNTIMES + "; an observation the connector records, not a chain event",
        "one UID of one subnet as the metagraph holds it at the subnet's epoch",
        {
            "netuid": _NETUID,
            "uid": _UID,
            "hotkey": _HOTKEY,
            "coldkey": _COLDKEY,
            "stake": C("stake on the hotkey in the subnet, summed over its coldkeys", ALPHA_RAO),
            "coldkey_stakes": C("stake per coldkey", "object of coldkey -> " + ALPHA_RAO),
            "emission": C("alpha the UID received at this epoch", ALPHA_RAO),
            "rank": C("Yuma rank", "u16 (divide by 65535)"),
            "incentive": C("share of the subnet's miner incentive", "u16 (divide by 65535)"),
            "dividends": C("share of the subnet's validator dividends", "u16 (divide by 65535)"),
            "consensus": C("Yuma consensus", "u16 (divide by 65535)"),
            "trust": C("Yuma trust", "u16 (divide by 65535)"),
            "validator_trust": C("trust as a validator", "u16 (divide by 65535)"),
            "pruning_score": C("pruning score", "u16 (divide by 65535)"),
            "validator_permit": C("holds a validator permit", BOOL),
            "active": C("counts as active", BOOL),
            "last_update": C("block it last set weights", BLOCK),
            "axon_block": C("block it last announced its axon", BLOCK),
        },
    ),
    EventType(
        "SubtensorModule.SubnetObserved",
        "bittensor",
        "subtensor",
        "state observation: SubnetInfoRuntimeApi_get_dynamic_info at each subnet's epoch block",
        SUBTENSOR_RUNTIMES + "; an observation the connector records, not a chain event",
        "a subnet's DynamicInfo: owner, tempo, emission and its dTAO pool",
        {
            "netuid": _NETUID,
            "owner": C("owner coldkey (copy of owner_coldkey)", SS58),
            "owner_coldkey": C("owner coldkey", SS58),
            "owner_hotkey": C("owner hotkey", SS58),
            "tempo": C("blocks between epochs", "blocks"),
            "emission": C("TAO emission per block to the subnet", RAO),
            "tao_in": C("TAO in the pool", RAO),
            "alpha_in": C("alpha in the pool", ALPHA_RAO),
            "alpha_out": C("alpha held by stakers", ALPHA_RAO),
            "tao_in_emission": C("TAO injected into the pool per block", RAO),
            "alpha_in_emission": C("alpha added to the pool per block", ALPHA_RAO),
            "alpha_out_emission": C("alpha emitted to participants per block", ALPHA_RAO),
            "pending_alpha_emission": C("alpha emission accumulated until the next epoch", ALPHA_RAO),
            "pending_root_emission": C("root emission accumulated until the next epoch", RAO),
            "price_rao_per_alpha": C("tao_in x 1e9 // alpha_in: the pool price", "rao per alpha"),
            "moving_price_bits": C(
                "the chain's moving average price, I96F32 fixed point",
                "fixed-point bits (value = bits / 2^32)",
            ),
            "subnet_volume": C("alpha traded through the pool", ALPHA_RAO),
            "network_registered_at": C("block the subnet was registered at", BLOCK),
            "last_step": C("block of the subnet's last epoch", BLOCK),
            "blocks_since_last_step": C("blocks since then", "blocks"),
            "subnet_name": C("the subnet's name", TEXT),
            "token_symbol": C("its alpha's symbol", TEXT),
        },
    ),
    EventType(
        "SubtensorModule.EmissionObserved",
        "bittensor",
        "subtensor",
        "state observation: TotalIssuance, BlockEmission, SubnetOwnerCut and the per-subnet pool and "
        "emission items (SubnetTAO, SubnetAlphaIn, SubnetAlphaOut, SubnetTaoInEmission, SubnetExcessTao, "
        "SubnetAlphaInEmission, SubnetAlphaOutEmission) read at every block",
        SUBTENSOR_RUNTIMES + "; an observation the connector records, not a chain event",
        "what one block minted and injected, and every subnet's pool after it",
        {
            "total_issuance": C("TotalIssuance after the block", RAO),
            "total_issuance_before": C("TotalIssuance at the parent block", RAO),
            "minted": C("BlockEmission at the parent: TAO the block minted", RAO),
            "owner_cut": C("SubnetOwnerCut", "fraction of 65535 (u16)"),
            "subnets": C(
                "one entry per subnet (root included): netuid, subnet_tao, subnet_alpha_in, "
                "subnet_alpha_out, tao_in_emission, excess_tao, alpha_in_emission, "
                "alpha_out_emission",
                "list of objects; TAO items in rao, alpha items in alpha base units",
            ),
        },
    ),
    # ------------------------------------------------------------------------- Sahara staking
    EventType(
        "staking.create_validator",
        "sahara",
        "cometbft",
        BLOCK_RESULTS,
        COSMOS_RUNTIME,
        "a validator was created with its self-bond",
        {"validator": C("operator address", _VALOPER), "amount_usah": C("the self-bond", USAH), **_MSG_INDEX},
    ),
    EventType(
        "staking.delegate",
        "sahara",
        "cometbft",
        BLOCK_RESULTS,
        COSMOS_RUNTIME,
        "a delegator bonded tokens to a validator",
        {
            "validator": C("operator address", _VALOPER),
            "delegator": C("delegator", _ACCOUNT),
            "amount_usah": C("tokens delegated", USAH),
            "new_shares_atto": C("delegation shares received", "atto-shares (1e-18 share), an exact integer"),
            **_MSG_INDEX,
        },
    ),
    EventType(
        "staking.unbond",
        "sahara",
        "cometbft",
        BLOCK_RESULTS,
        COSMOS_RUNTIME,
        "a delegator began unbonding tokens from a validator (21-day unbonding)",
        {
            "validator": C("operator address", _VALOPER),
            "delegator": C("delegator", _ACCOUNT),
            "amount_usah": C("tokens unbonding", USAH),
            "completion_time": C("when the unbonding completes", "RFC 3339 UTC time (text)"),
            **_MSG_INDEX,
        },
    ),
    EventType(
        "staking.redelegate",
        "sahara",
        "cometbft",
        BLOCK_RESULTS,
        COSMOS_RUNTIME,
        "a delegator moved bonded tokens from one validator to another",
        {
            "source_validator": C("validator the tokens left", _VALOPER),
            "destination_validator": C("validator they went to", _VALOPER),
            "delegator": C("delegator", _ACCOUNT),
            "amount_usah": C("tokens moved", USAH),
            "completion_time": C("when the redelegation matures", "RFC 3339 UTC time (text)"),
            **_MSG_INDEX,
        },
    ),
    EventType(
        "staking.complete_unbonding",
        "sahara",
        "cometbft",
        BLOCK_RESULTS,
        COSMOS_RUNTIME,
        "an unbonding completed and the tokens returned to the delegator",
        {
            "validator": C("operator address", _VALOPER),
            "delegator": C("delegator", _ACCOUNT),
            "amount_usah": C("tokens returned", USAH),
            **_COSMOS_MODE,
        },
    ),
    EventType(
        "staking.ValidatorObserved",
        "sahara",
        "cometbft",
        "state observation: CometBFT /validators (100 per page) every 720 blocks (about hourly)",
        "any CometBFT version; an observation the connector records, not a chain event",
        "one validator of the set CometBFT reports at a height",
        {
            "address": C("consensus address", "hex address (text)"),
            "pub_key": C("consensus public key", "base64 (text)"),
            "pub_key_type": C("its key type, e.g. 'tendermint/PubKeyEd25519'", TEXT),
            "voting_power": C("bonded tokens // 1e18", SAHARA),
            "proposer_priority": C("CometBFT proposer priority", "priority (integer)"),
            "validator_count": C("validators in the set", COUNT),
        },
    ),
    EventType(
        "distribution.rewards",
        "sahara",
        "cometbft",
        BLOCK_RESULTS,
        COSMOS_RUNTIME,
        "a validator's share of the block's staking rewards, one per validator of the set, in set order",
        {
            "validator": C("operator address", _VALOPER),
            "amount_usah": C("rewards, truncated to whole usah", USAH),
            "amount_atto_usah": C("rewards, exact", ATTO_USAH),
            **_COSMOS_MODE,
        },
    ),
    EventType(
        "distribution.commission",
        "sahara",
        "cometbft",
        BLOCK_RESULTS,
        COSMOS_RUNTIME,
        "the validator's commission on its rewards of the block",
        {
            "validator": C("operator address", _VALOPER),
            "amount_usah": C("commission, truncated to whole usah", USAH),
            "amount_atto_usah": C("commission, exact", ATTO_USAH),
            **_COSMOS_MODE,
        },
    ),
    EventType(
        "distribution.withdraw_rewards",
        "sahara",
        "cometbft",
        BLOCK_RESULTS,
        COSMOS_RUNTIME,
        "a delegator withdrew its staking rewards",
        {
            "validator": C("operator address", _VALOPER),
            "delegator": C("delegator", _ACCOUNT),
            "amount_usah": C("rewards withdrawn", USAH),
            **_MSG_INDEX,
        },
    ),
    EventType(
        "mint.mint",
        "sahara",
        "cometbft",
        BLOCK_RESULTS,
        COSMOS_RUNTIME,
        "x/mint minted the block's inflation",
        {
            "amount": C("tokens minted by the block", USAH),
            "inflation": C("annual inflation rate", "ratio per year (decimal text)"),
            "bonded_ratio": C("bonded tokens / supply", "ratio 0..1 (decimal text)"),
            "annual_provisions": C("tokens minted per year at this rate", "usah (decimal text)"),
            **_COSMOS_MODE,
        },
    ),
    EventType(
        "bank.transfer",
        "sahara",
        "cometbft",
        BLOCK_RESULTS,
        COSMOS_RUNTIME,
        "SAHARA moved between two accounts",
        {
            "sender": C("sender", _ACCOUNT),
            "recipient": C("recipient", _ACCOUNT),
            "amount_usah": C("tokens moved", USAH),
            **_COSMOS_MODE,
        },
    ),
    EventType(
        "bank.coinbase",
        "sahara",
        "cometbft",
        BLOCK_RESULTS,
        COSMOS_RUNTIME,
        "new tokens created (the mint module's coinbase)",
        {
            "minter": C("the minting module account", _ACCOUNT),
            "amount_usah": C("tokens created", USAH),
            **_COSMOS_MODE,
        },
    ),
    EventType(
        "tx.message",
        "sahara",
        "cometbft",
        BLOCK_RESULTS,
        COSMOS_RUNTIME,
        "one message of a transaction: its action and sender",
        {
            "action": C("message type URL, e.g. '/cosmos.staking.v1beta1.MsgDelegate'", TEXT),
            "module": C("module handling it", TEXT),
            "sender": C("signer", _ACCOUNT),
            **_MSG_INDEX,
        },
    ),
    EventType(
        "tx.tx",
        "sahara",
        "cometbft",
        BLOCK_RESULTS,
        COSMOS_RUNTIME,
        "the ante handler's record of a transaction: its fee and fee payer, or the signer's sequence, or signature",
        {
            "fee_usah": C("the fee paid (an empty fee is 0)", USAH),
            "fee_payer": C("the account that paid it (absent in Ethermint's EVM fee event)", _ACCOUNT),
            "acc_seq": C("signer/sequence", TEXT),
            "signature": C("the signature", "base64 (text)"),
        },
    ),
    EventType(
        "tx.TransactionObserved",
        "sahara",
        "cometbft",
        "observation: /block (the transaction's bytes) and /block_results of every height",
        "any CometBFT version; an observation the connector records, not a chain event",
        "one transaction of a block",
        {
            "tx_hash": C("sha256 of the transaction's bytes", "upper-case hex (text)"),
            "tx_index": C("index of the transaction in the block", "index (integer)"),
            "code": C("result code: 0 = success", "code (integer)"),
            "gas_wanted": C("gas limit", "gas (integer)"),
            "gas_used": C("gas used", "gas (integer)"),
        },
    ),
    EventType(
        "bank.coin_spent",
        "sahara",
        "cometbft",
        BLOCK_RESULTS,
        COSMOS_RUNTIME,
        "tokens left an account",
        {
            "spender": C("the account", _ACCOUNT),
            "amount_usah": C("tokens spent", USAH),
            **_MSG_INDEX,
            **_COSMOS_MODE,
        },
    ),
    EventType(
        "bank.coin_received",
        "sahara",
        "cometbft",
        BLOCK_RESULTS,
        COSMOS_RUNTIME,
        "tokens reached an account",
        {
            "receiver": C("the account", _ACCOUNT),
            "amount_usah": C("tokens received", USAH),
            **_MSG_INDEX,
            **_COSMOS_MODE,
        },
    ),
    EventType(
        "evm.ethereum_tx",
        "sahara",
        "cometbft",
        BLOCK_RESULTS,
        COSMOS_RUNTIME,
        "an EVM transaction executed inside a Cosmos transaction",
        {
            "amount": C("value sent", USAH),
            "ethereumTxHash": C("the EVM transaction hash", HEX),
            "recipient": C("the called address", HEX_ADDRESS),
            "txGasUsed": C("gas used", "gas (integer)"),
            "txHash": C("the Cosmos transaction hash", "hex (text)"),
            "txIndex": C("index of the transaction in the block", "index (integer)"),
        },
    ),
    # ------------------------------------------------------------------------- Sahara contracts
    EventType(
        "DataServices.TaskCreated",
        "sahara",
        "evm",
        EVM_LOGS,
        _abi("DataServices"),
        "an enterprise client posted a labelling task and escrowed its rewards",
        {
            "taskId": C("the task", "uint256 (text)"),
            "client": C("the client", HEX_ADDRESS),
            "datasetId": C("the dataset the task builds", "bytes32 hex"),
            "rewardPerAnnotation": C("reward per accepted annotation", USAH),
            "annotationsWanted": C("annotations the task asks for", COUNT),
            **_EVM,
        },
    ),
    EventType(
        "DataServices.AnnotationSubmitted",
        "sahara",
        "evm",
        EVM_LOGS,
        _abi("DataServices"),
        "a contributor submitted one annotation; contentHash is the unit of attribution",
        {
            "annotationId": C("the annotation", "uint256 (text)"),
            "taskId": C("its task", "uint256 (text)"),
            "contributor": C("the contributor", HEX_ADDRESS),
            "contentHash": C("hash of the content", "bytes32 hex"),
            **_EVM,
        },
    ),
    EventType(
        "DataServices.AnnotationReviewed",
        "sahara",
        "evm",
        EVM_LOGS,
        _abi("DataServices"),
        "a peer reviewer accepted or rejected an annotation",
        {
            "annotationId": C("the annotation", "uint256 (text)"),
            "reviewer": C("the reviewer", HEX_ADDRESS),
            "accepted": C("accepted or not", BOOL),
            "qualityScore": C("quality score", "score 0..100"),
            **_EVM,
        },
    ),
    EventType(
        "DataServices.RewardPaid",
        "sahara",
        "evm",
        EVM_LOGS,
        _abi("DataServices"),
        "the reward for one accepted annotation, in the same transaction as its review",
        {
            "contributor": C("who is paid", HEX_ADDRESS),
            "taskId": C("the task", "uint256 (text)"),
            "amount": C("the reward", USAH),
            **_EVM,
        },
    ),
    EventType(
        "Marketplace.AssetListed",
        "sahara",
        "evm",
        EVM_LOGS,
        _abi("Marketplace"),
        "an AI asset (model, dataset or compute) went on sale",
        {
            "assetId": C("the asset", "uint256 (text)"),
            "owner": C("its owner", HEX_ADDRESS),
            "kind": C("0 model, 1 dataset, 2 compute", "enum (integer)"),
            "price": C("licence price", USAH),
            "provenanceRoot": C(
                "Merkle root of the contentHashes (or datasets) it was built from; zero for compute",
                "bytes32 hex",
            ),
            **_EVM,
        },
    ),
    EventType(
        "Marketplace.LicensePurchased",
        "sahara",
        "evm",
        EVM_LOGS,
        _abi("Marketplace"),
        "a buyer paid for a licence to an asset",
        {
            "assetId": C("the asset", "uint256 (text)"),
            "buyer": C("the buyer", HEX_ADDRESS),
            "price": C("price paid", USAH),
            **_EVM,
        },
    ),
    EventType(
        "Marketplace.RevenueShared",
        "sahara",
        "evm",
        EVM_LOGS,
        _abi("Marketplace"),
        "one share of a licence's price paid to a contributor, dataset owner or the asset owner",
        {
            "assetId": C("the asset", "uint256 (text)"),
            "recipient": C("who is paid", HEX_ADDRESS),
            "amount": C("the share", USAH),
            **_EVM,
        },
    ),
    EventType(
        "Reputation.ReputationMinted",
        "sahara",
        "evm",
        EVM_LOGS,
        _abi("Reputation"),
        "a soulbound reputation token of a tier minted to a contributor",
        {
            "holder": C("the contributor", HEX_ADDRESS),
            "tier": C("1 (lowest) to 5 (highest)", "tier (integer)"),
            "tokenId": C("the token", "uint256 (text)"),
            **_EVM,
        },
    ),
    EventType(
        "ERC20.Transfer",
        "sahara",
        "evm",
        EVM_LOGS,
        "the standard EIP-20 Transfer event (etl/abi/ERC20.json)",
        "a registered token moved (the SAHARA token contract, or another token of the contract registry)",
        {
            "from": C("sender (the zero address for a mint)", HEX_ADDRESS),
            "to": C("recipient (the zero address for a burn)", HEX_ADDRESS),
            "value": C("tokens moved, in the token's base units", USAH + " for SAHARA"),
            **_EVM,
            **_EVM_TOKEN,
        },
    ),
    EventType(
        "ERC20.Approval",
        "sahara",
        "evm",
        EVM_LOGS,
        "the standard EIP-20 Approval event (etl/abi/ERC20.json)",
        "an owner allowed a spender to move up to an amount of a registered token",
        {
            "owner": C("the account granting the allowance", HEX_ADDRESS),
            "spender": C("the account allowed to spend", HEX_ADDRESS),
            "value": C("the allowance, in the token's base units", USAH + " for SAHARA"),
            **_EVM,
            **_EVM_TOKEN,
        },
    ),
    EventType(
        "evm.RawLog",
        "sahara",
        "evm",
        EVM_LOGS,
        "any log of a registered contract that no registered ABI matches by topic 0 and topic count "
        "(kept, never quarantined)",
        "a contract log the product does not model (an ERC-721 Transfer, an event the ABIs lack)",
        {
            "address": C("the emitting contract", HEX_ADDRESS),
            "topics": C("the log's topics", "list of bytes32 hex"),
            "data": C("the log's data", HEX),
            "network": C("the registry's network name (null in a capture of an unknown chain)", TEXT),
            **_EVM,
        },
    ),
    # --------------------------------------------------------------------------------- market
    EventType(
        "market.Quote",
        "market",
        "coingecko",
        "CoinGecko /coins/{id}/market_chart/range (hourly up to 90 days, daily beyond)",
        "CoinGecko API v3 (spec_version 3)",
        "one price, market-cap and volume observation of a coin",
        {
            "coin_id": _COIN,
            "vs_currency": C("'usd'", TEXT),
            "ts_ms": C("time of the quote", "unix milliseconds"),
            "price_usd": C("price of one token", "USD (decimal text)"),
            "market_cap_usd": C("market capitalisation", "USD (decimal text)"),
            "total_volume_usd": C("volume over the 24 hours before", "USD (decimal text)"),
        },
    ),
)
EVENT_TYPES: dict[str, EventType] = {event.event_type: event for event in EVENTS}
#: The Cosmos SDK types the staking connector maps to a module but the catalog does not list one by one:
#: stored under `module.type` with every attribute as the chain emits it, amounts by the coin-string rule.
OTHER_COSMOS_TYPES_NOTE = (
    "Every other Cosmos SDK event type is stored as `module.type` (unmapped types as `cosmos.<type>`) with "
    "its attributes as the chain emits them; coin amounts become `<key>_usah` in usah."
)


# ------------------------------------------------------------------------------------ look-ups
def describe(ref: str) -> Column:
    """The entry of `table.column`, `view.column` or a derived figure `group.name`."""
    relation, _, column = ref.partition(".")
    columns = RELATIONS[relation].columns if relation in RELATIONS else DERIVED.get(relation)
    if columns is None or column not in columns:
        raise KeyError(f"the data dictionary has no entry {ref!r}")
    return columns[column]


def definitions(columns: Iterable[str], sources: Iterable[str]) -> dict[str, Column]:
    """For each column, the entry of the first of `sources` (tables, views, derived groups) that has it;
    columns none of them has are left out."""
    found = {}
    sources = tuple(sources)
    for column in columns:
        for source in sources:
            entries = RELATIONS[source].columns if source in RELATIONS else DERIVED.get(source, {})
            if column in entries:
                found[column] = entries[column]
                break
    return found


# ------------------------------------------------------------------------- the database catalogue
_CATALOGUE = {
    "duckdb": {
        "relations": """
            SELECT table_name AS name, 'table' AS kind, comment, CAST(NULL AS VARCHAR) AS root,
                   CAST(NULL AS VARCHAR) AS bound
            FROM duckdb_tables()
            WHERE NOT internal AND NOT temporary AND database_name = current_database()
              AND schema_name = current_schema()
            UNION ALL
            SELECT view_name, 'view', comment, NULL, NULL
            FROM duckdb_views()
            WHERE NOT internal AND NOT temporary AND database_name = current_database()
              AND schema_name = current_schema()
            ORDER BY name
        """,
        "columns": """
            SELECT table_name AS relation, column_name AS name, data_type AS type, comment,
                   column_index AS position
            FROM duckdb_columns()
            WHERE NOT internal AND database_name = current_database() AND schema_name = current_schema()
            ORDER BY relation, position
        """,
    },
    "postgresql": {
        "relations": """
            SELECT c.relname AS name, CASE WHEN c.relkind = 'v' THEN 'view' ELSE 'table' END AS kind,
                   obj_description(c.oid, 'pg_class') AS comment,
                   CASE WHEN c.relispartition
                        THEN (SELECT r.relname FROM pg_class r WHERE r.oid = pg_partition_root(c.oid)) END AS root,
                   pg_get_expr(c.relpartbound, c.oid) AS bound
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v')
            ORDER BY name
        """,
        "columns": """
            SELECT c.relname AS relation, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
                   col_description(c.oid, a.attnum) AS comment, a.attnum AS position
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v')
              AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY relation, position
        """,
    },
}


def catalogue_sql(dialect: str, what: str) -> str:
    """The query listing the warehouse's own tables and views (`what` = "relations": name, kind, comment,
    root and bound of a PostgreSQL partition) or their columns ("columns": relation, name, type, comment,
    position), as the database's catalogue stores them."""
    try:
        return _CATALOGUE[dialect][what]
    except KeyError:
        raise ValueError(f"no catalogue query for {dialect!r} / {what!r}") from None


def _literal(text: str | None) -> str:
    return "NULL" if text is None else "'" + text.replace("'", "''") + "'"


_PLAIN = re.compile(r"^[a-z_][a-z0-9_]*$")


def _identifier(name: str) -> str:
    return name if _PLAIN.match(name) else '"' + name.replace('"', '""') + '"'


def partition_comment(root: Relation, bound: str | None) -> str:
    return f"Partition of {root.name} ({bound or 'a partition'}): same columns and meaning. {root.comment}"


def comment_statements(conn: sa.Connection, only: Iterable[str] | None = None) -> list[str]:
    """The `COMMENT ON` statements that bring the stored comments of the warehouse's tables, views and
    (PostgreSQL) partitions in line with the dictionary; only those of `only` when given. Objects the
    dictionary does not describe are left alone; entries for objects not stored are skipped."""
    dialect = conn.dialect.name
    wanted = set(only) if only is not None else None
    relations = conn.execute(sa.text(catalogue_sql(dialect, "relations"))).mappings().all()
    stored_columns: dict[str, dict[str, str | None]] = {}
    for row in conn.execute(sa.text(catalogue_sql(dialect, "columns"))).mappings():
        stored_columns.setdefault(row["relation"], {})[row["name"]] = row["comment"]
    statements = []
    for row in relations:
        name = row["name"]
        if wanted is not None and name not in wanted:
            continue
        entry = RELATIONS.get(row["root"] or name)
        if entry is None:
            continue
        kind = "VIEW" if row["kind"] == "view" else "TABLE"
        text = partition_comment(entry, row["bound"]) if row["root"] else entry.comment
        if row["comment"] != text:
            statements.append(f"COMMENT ON {kind} {_identifier(name)} IS {_literal(text)}")
        for column, stored in stored_columns.get(name, {}).items():
            meaning = entry.columns.get(column)
            if meaning is not None and stored != meaning.comment:
                statements.append(
                    f"COMMENT ON COLUMN {_identifier(name)}.{_identifier(column)} IS {_literal(meaning.comment)}"
                )
    return statements


def apply_comments(conn: sa.Connection, only: Iterable[str] | None = None) -> list[str]:
    """Write the dictionary into the database's catalogue (see `comment_statements`) on an open
    transaction; returns the statements it ran. Running it again runs nothing."""
    statements = comment_statements(conn, only)
    # The driver reads `%` as a placeholder even inside a literal when its style is format/pyformat.
    escape = conn.dialect.paramstyle in ("format", "pyformat")
    for statement in statements:
        conn.exec_driver_sql(statement.replace("%", "%%") if escape else statement)
    return statements
