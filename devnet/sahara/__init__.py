"""A deterministic simulated Sahara Chain (Cosmos SDK v0.50 on CometBFT v0.38, plus an EVM).

`SaharaDevnet` bundles the chain simulation (`economy.SaharaChain`) with its two wire protocols:
CometBFT RPC (`cometbft.py`, mounts `/cometbft` = v0.38, `/cometbft-v0.37`, `/cometbft-v0.34`) and
EVM JSON-RPC (`evm.py`, POST `/evm`). `/_devnet/sahara` shows the settings and, on POST
`{"lowest_height": N}`, turns the node into a pruned one whose lowest available height is N.
`GET /_devnet/sahara/ledger?start_height=A&end_height=B` serves the chain's own record of blocks
[A, B) (`ledger.py`): rewards paid, stake bonded, tokens minted, supply, bonded ratio, inflation;
with `&activity=1`, also every transaction (hash, signer, fee), the transfers they make and each
day's block-level token flows.
`GET /_devnet/sahara/token?start_height=A&end_height=B` serves the SAHARA ERC-20's record
(`token.py`): per UTC day its transfers, volume, transactions, senders, new accounts and holders, and
each unmodelled contract's logs. Both are control routes: no chain protocol serves them.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devnet.sahara import cometbft, evm, ledger, token
from devnet.sahara.economy import SaharaChain, SaharaConfig

__all__ = ["SaharaChain", "SaharaConfig", "SaharaDevnet"]


class SaharaDevnet:
    def __init__(self, config: SaharaConfig, clock: Callable[[], float]) -> None:
        self.chain = SaharaChain(config, clock)
        self.comet = cometbft.CometRPC(self.chain)
        self.evm = evm.EvmRPC(self.chain)

    @classmethod
    def from_options(
        cls, seed: int, scale: float | None, clock: Callable[[], float], options: dict | None = None
    ) -> SaharaDevnet:
        """`options` are SaharaConfig fields (e.g. lowest_height, max_block_range, genesis_time)."""
        fields = dict(options or {})
        fields["seed"] = seed
        if scale is not None:
            fields.setdefault("scale", scale)
        return cls(SaharaConfig(**fields), clock)

    async def control(self, request: Request) -> Response:
        chain = self.chain
        if request.method == "POST":
            try:
                spec = json.loads(await request.body())
                lowest = int(spec["lowest_height"])
            except (ValueError, KeyError, TypeError):
                return JSONResponse({"error": 'expected {"lowest_height": N}'}, 400)
            chain.config = dataclasses.replace(chain.config, lowest_height=max(1, lowest))
        return JSONResponse({**dataclasses.asdict(chain.config), "head": chain.head()})

    def ledger(self, start_height: int, end_height: int, *, with_activity: bool = False) -> dict:
        """The chain's record of blocks [start_height, end_height) (see `devnet.sahara.ledger`)."""
        return ledger.report(self.chain, start_height, end_height, with_activity=with_activity)

    async def control_ledger(self, request: Request) -> Response:
        activity = request.query_params.get("activity", "") in ("1", "true")
        return self._height_range(request, lambda a, b: self.ledger(a, b, with_activity=activity))

    async def control_token(self, request: Request) -> Response:
        return self._height_range(request, lambda a, b: token.report(self.chain, a, b))

    def _height_range(self, request: Request, answer: Callable[[int, int], dict]) -> Response:
        try:
            start = int(request.query_params["start_height"])
            end = int(request.query_params["end_height"])
            if not 1 <= start < end <= self.chain.head() + 1:
                raise ValueError
        except (KeyError, ValueError):
            return JSONResponse(
                {
                    "error": "expected ?start_height=A&end_height=B with 1 <= A < B <= head + 1 "
                    f"(head {self.chain.head()})"
                },
                400,
            )
        return JSONResponse(answer(start, end))

    def routes(self) -> list[Route]:
        return [
            *cometbft.make_routes(self.comet),
            *evm.make_routes(self.evm),
            Route("/_devnet/sahara", self.control, methods=["GET", "POST"]),
            Route("/_devnet/sahara/ledger", self.control_ledger, methods=["GET"]),
            Route("/_devnet/sahara/token", self.control_token, methods=["GET"]),
        ]
