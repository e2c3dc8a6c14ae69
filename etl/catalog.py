"""What the product knows about the events it reads: families, event types, and which fields are amounts.

Connectors decode with it and the suites validate with it, so both agree by construction:

- **the amount-field rule** (`is_amount_field`): a payload key holds a token amount in base units
  when one of its `_`-separated words is an amount word (`amount`, `tao`, `alpha`, `fee`, `stake`,
  ...) and it does not end in a suffix that names something else about the amount (`_usd` is a price
  in dollars, `_id` an identifier, `_per_s` a rate, `_payer`/`_address`/`_recipient` an account,
  `_denom` a denomination, `_bits` a fixed-point number);
- **the event families** that have a suite and a runtime history (`FAMILIES`);
- **the Cosmos SDK event types** the Sahara staking connector names (`MODULE_OF`, `VALIDATOR_EVENT`).
"""

from __future__ import annotations

import re
from functools import lru_cache

#: Payload keys that hold token amounts in base units (integer strings), unless `NOT_AMOUNT_SUFFIXES`.
AMOUNT_KEYS = re.compile(
    r"(^|_)(amount|tao|alpha|fee|stake|reward|price|emission|balance|tokens|shares|revenue)(_|$)"
)
#: Suffixes that make a key with an amount word something other than an amount.
NOT_AMOUNT_SUFFIXES = ("_usd", "_id", "_per_s", "_payer", "_address", "_denom", "_recipient", "_bits")


@lru_cache(maxsize=4096)  # payloads repeat a few dozen keys; every event of every batch asks
def is_amount_field(key: str) -> bool:
    """Whether payload key `key` holds a token amount in base units (the one rule, decoding and suites)."""
    lowered = key.lower()
    return bool(AMOUNT_KEYS.search(lowered)) and not lowered.endswith(NOT_AMOUNT_SUFFIXES)


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
