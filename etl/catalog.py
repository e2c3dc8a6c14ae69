"""What the product knows about the events it reads: families, event types, and which fields are amounts.

Connectors decode with it and the suites validate with it, so both agree by construction:

- **the Cosmos SDK attribute catalog** (`COSMOS_ATTRIBUTES`): per Cosmos event type, which
  attributes are coin amounts (`COINS`: `1000usah`, `12.5usah`, several coins joined by commas, or
  empty for zero), bare integer amounts in base units (`BASE_UNITS`), exact decimals kept as integers
  of 1e-18 (`ATTO`), addresses (`BECH32`: bech32, or 0x for an EVM sender), hex values (`HEX`) and
  int64 numbers (`INT64`);
  every attribute it does not list, and every attribute of a type it does not list, is text. The
  Cosmos connector decodes by it and the chain-event suite checks amounts by it, so `tx.fee_payer`,
  `message.sender` or `transfer.recipient` are known to be addresses instead of guessed from a name;
- **the amount-field rule** (`is_amount_field`) for payloads of every other source: a payload key
  holds a token amount in base units when one of its `_`-separated words is an amount word
  (`amount`, `tao`, `alpha`, `fee`, `tip`, `stake`, ...) and it does not end in a suffix that names
  something else about the amount (`_usd` is a price in dollars, `_id` an identifier, `_per_s` a
  rate, `_payer`/`_address`/`_recipient` an account, `_denom` a denomination, `_bits` a fixed-point
  number); given a Cosmos event type, the catalog answers instead;
- **the event families** that have a suite and a runtime history (`FAMILIES`);
- **the Cosmos SDK event types** the Sahara staking connector names (`MODULE_OF`, `VALIDATOR_EVENT`,
  `TRANSACTION_EVENT`).
"""

from __future__ import annotations

import re
from functools import lru_cache

#: Payload keys that hold token amounts in base units (integer strings), unless `NOT_AMOUNT_SUFFIXES`.
AMOUNT_KEYS = re.compile(
    r"(^|_)(amount|tao|alpha|fee|tip|stake|reward|price|emission|balance|tokens|shares|revenue)(_|$)"
)
#: Suffixes that make a key with an amount word something other than an amount.
NOT_AMOUNT_SUFFIXES = ("_usd", "_id", "_per_s", "_payer", "_address", "_denom", "_recipient", "_bits")


@lru_cache(maxsize=4096)  # payloads repeat a few dozen keys; every event of every batch asks
def is_amount_field(key: str, event_type: str | None = None) -> bool:
    """Whether payload key `key` of an `event_type` event holds a token amount in base units.

    A Cosmos event type (`module.type`, or `cosmos.<type>` when unmapped) is answered by the
    attribute catalog: the keys its coin attributes decode to (`fee_usah`, `amount_atto_usah`), its
    bare integer amounts and its exact decimals; nothing else of a Cosmos event is an amount. Every
    other event type (or none) is answered by the name rule.
    """
    cosmos_type = cosmos_type_of(event_type)
    if cosmos_type is None:
        lowered = key.lower()
        return bool(AMOUNT_KEYS.search(lowered)) and not lowered.endswith(NOT_AMOUNT_SUFFIXES)
    kinds = COSMOS_ATTRIBUTES.get(cosmos_type, {})
    if key in kinds:  # an attribute kept under its own name: only a bare base-unit amount is one
        return kinds[key] == BASE_UNITS
    if key.endswith("_atto") and kinds.get(key[: -len("_atto")]) == ATTO:
        return True
    return any(kind == COINS and key.startswith(name + "_") for name, kind in kinds.items())


#: Event families: each has a Great Expectations suite (`<family>_events`) and a runtime history.
FAMILIES = ("bittensor", "sahara_staking", "sahara_contracts")

#: Cosmos SDK event type -> the module that emits it (event_type = `module.type`).
MODULE_OF = {
    **dict.fromkeys(
        (
            "create_validator",
            "edit_validator",
            "delegate",
            "unbond",
            "redelegate",
            "complete_unbonding",
            "complete_redelegation",
            "cancel_unbonding_delegation",
        ),
        "staking",
    ),
    **dict.fromkeys(
        (
            "withdraw_rewards",
            "withdraw_commission",
            "rewards",
            "commission",
            "proposer_reward",
            "set_withdraw_address",
            "fund_community_pool",
        ),
        "distribution",
    ),
    **dict.fromkeys(("transfer", "coin_spent", "coin_received", "coinbase", "burn"), "bank"),
    "mint": "mint",
    **dict.fromkeys(("slash", "liveness"), "slashing"),
    "message": "tx",
    "tx": "tx",
    **dict.fromkeys(("ethereum_tx", "tx_log", "block_gas"), "evm"),
    **dict.fromkeys(("proposal_vote", "proposal_deposit", "submit_proposal", "active_proposal"), "gov"),
}
#: The validator-set observation the Sahara staking connector records from `/validators`.
VALIDATOR_EVENT = "staking.ValidatorObserved"
#: The transaction observation the connector records from `/block` (its hash) and `/block_results`.
TRANSACTION_EVENT = "tx.TransactionObserved"

# --- the Cosmos SDK attribute catalog --------------------------------------------------------------

#: A coin string or a list of them: `1000usah`, `12.5usah` (a DecCoin), `1usah,2uatom`; empty is zero.
COINS = "coins"
#: An integer amount in base units without a denom (`mint.amount`, `ethereum_tx.amount` in wei).
BASE_UNITS = "base units"
#: An exact decimal (`new_shares`), kept as an integer of 1e-18 units under `<key>_atto`.
ATTO = "atto"
#: An address: bech32 of any prefix (accounts, operators, consensus addresses, module accounts), or
#: a 0x EVM address, which Ethermint's MsgEthereumTx gives as its `message.sender`.
BECH32 = "address"
#: A hex value: an EVM address or hash (`0x...`) or a CometBFT hash (upper-case, no prefix).
HEX = "hex"
#: An int64 number (CometBFT prints them as strings); stored as a JSON integer.
INT64 = "int64"

_ADDRESS_OF_MESSAGE = {"msg_index": INT64}

#: Cosmos event type -> {attribute: kind}, as Cosmos SDK v0.47-v0.50 (and Ethermint's EVM module)
#: emit them; the same attribute names hold the same kinds in v0.45/v0.46. An attribute not listed
#: (and `mode`, which SDK v0.50 adds to finalize-block events) is text.
COSMOS_ATTRIBUTES: dict[str, dict[str, str]] = {
    # x/auth ante handler: the fee, who paid it, and the signer's sequence and signature.
    "tx": {"fee": COINS, "fee_payer": BECH32, "min_fee_charged": COINS, "height": INT64},
    "message": {"sender": BECH32, "msg_index": INT64, "txType": INT64},
    # x/bank
    "transfer": {"recipient": BECH32, "sender": BECH32, "amount": COINS, "msg_index": INT64},
    "coin_spent": {"spender": BECH32, "amount": COINS, "msg_index": INT64},
    "coin_received": {"receiver": BECH32, "amount": COINS, "msg_index": INT64},
    "coinbase": {"minter": BECH32, "amount": COINS, "msg_index": INT64},
    "burn": {"burner": BECH32, "amount": COINS, "msg_index": INT64},
    # x/mint (inflation, bonded_ratio and annual_provisions are decimal text)
    "mint": {"amount": BASE_UNITS},
    # x/staking
    "create_validator": {"validator": BECH32, "amount": COINS, "msg_index": INT64},
    "edit_validator": {"msg_index": INT64},
    "delegate": {
        "validator": BECH32, "delegator": BECH32, "amount": COINS, "new_shares": ATTO, "msg_index": INT64,
    },
    "unbond": {"validator": BECH32, "delegator": BECH32, "amount": COINS, "msg_index": INT64},
    "redelegate": {
        "source_validator": BECH32, "destination_validator": BECH32, "delegator": BECH32, "amount": COINS,
        "msg_index": INT64,
    },
    "complete_unbonding": {"validator": BECH32, "delegator": BECH32, "amount": COINS},
    "complete_redelegation": {
        "source_validator": BECH32, "destination_validator": BECH32, "delegator": BECH32, "amount": COINS,
    },
    "cancel_unbonding_delegation": {
        "validator": BECH32, "delegator": BECH32, "amount": COINS, "creation_height": INT64, "msg_index": INT64,
    },
    # x/distribution
    "rewards": {"validator": BECH32, "amount": COINS},
    "commission": {"validator": BECH32, "amount": COINS},
    "proposer_reward": {"validator": BECH32, "amount": COINS},
    "withdraw_rewards": {"validator": BECH32, "delegator": BECH32, "amount": COINS, "msg_index": INT64},
    "withdraw_commission": {"amount": COINS, "msg_index": INT64},
    "set_withdraw_address": {"withdraw_address": BECH32, "msg_index": INT64},
    "fund_community_pool": {"depositor": BECH32, "amount": COINS, "msg_index": INT64},
    # x/slashing
    "liveness": {"address": BECH32, "missed_blocks": INT64, "height": INT64},
    "slash": {"address": BECH32, "power": INT64, "jailed": BECH32, "burned_coins": BASE_UNITS},
    # x/gov
    "proposal_vote": {"proposal_id": INT64, "voter": BECH32, "msg_index": INT64},
    "proposal_deposit": {"proposal_id": INT64, "amount": COINS, "depositor": BECH32, "msg_index": INT64},
    "submit_proposal": {"proposal_id": INT64, "msg_index": INT64},
    "active_proposal": {"proposal_id": INT64},
    # the EVM module (Ethermint / cosmos/evm): value in wei, gas as numbers, hashes and 0x addresses
    "ethereum_tx": {
        "amount": BASE_UNITS, "ethereumTxHash": HEX, "txIndex": INT64, "txGasUsed": INT64, "txHash": HEX,
        "recipient": HEX, "msg_index": INT64,
    },
    "tx_log": {"msg_index": INT64},
    "block_gas": {"height": INT64, "amount": INT64},
    "fee_market": {"base_fee": BASE_UNITS},
}  # fmt: skip

#: The modules of Cosmos event types (`module.type`), `cosmos` for types with no module mapping.
COSMOS_MODULES = frozenset(MODULE_OF.values()) | {"cosmos"}


@lru_cache(maxsize=1024)
def cosmos_type_of(event_type: str | None) -> str | None:
    """The Cosmos event type of a canonical `module.type` event type, or None when it is not one
    (a pallet's, a contract's, an observation such as `staking.ValidatorObserved`, or none)."""
    if not event_type:
        return None
    module, _, name = event_type.partition(".")
    if module not in COSMOS_MODULES or not name or name[0].isupper():
        return None
    if module == "cosmos" or MODULE_OF.get(name) == module:
        return name
    return None
