"""Substrate JSON-RPC for the devnet's subtensor: HTTP POST at /subtensor, WebSocket at /subtensor/ws.

Both accept single requests and batches. Answers follow a Substrate node: a block beyond the head is
`null`, an unknown method is error -32601, a runtime API that does not exist fails like a node does.
The head follows the devnet clock (`now_fn`); blocks up to FINALITY_LAG behind it are finalized.
`lowest_state_block` (None: an archive node) makes it a pruned node: state queries at older blocks fail
with "State already discarded"; set it with POST /_devnet/subtensor/pruning {"lowest_state_block": n}.

The chain's ledger (its own record of what it did, see chain.py), on the control endpoint only:

`GET /_devnet/subtensor/ledger?start_block=A&end_block=B[&per_block=1]` (A..B inclusive, B at most the
finalized head; per_block for at most 14,400 blocks). Amounts are integer strings: rao for TAO, base
units (1e9 per alpha) for alpha; block numbers, netuids and counts are integers.

    {"start_block": A, "end_block": B,
     "minted": "rao minted by blocks A..B", "recycled": "rao recycled (registration burns)",
     "total_issuance_before": "TotalIssuance after A-1", "total_issuance": "TotalIssuance after B",
     "owner_cut_u16": 11796,
     "subnets": [{"netuid", "tao_in_emission", "excess_tao", "alpha_in_emission", "alpha_out_emission",
                  "blocks": blocks with emission}],                    # sums over A..B, by netuid
     "days": [{"day": "YYYY-MM-DD", "first_block", "last_block", "complete": the whole UTC day is
               inside A..B, "minted", "recycled", "total_issuance_before", "total_issuance",
               "subnets": [... as above, plus "subnet_tao_at_last_block",
                           "subnet_alpha_in_at_last_block" (the pool at the day's last block)]}],
     "epochs": [{"block", "netuid", "alpha_emission", "owner_alpha", "miners_alpha", "validators_alpha",
                 "subnet_tao", "subnet_alpha_in"}],                    # the pool at the epoch's block
     "emission_spans": [{"netuid", "first_block", "last_block", "tao_in_emission", "excess_tao",
                         "alpha_in_emission", "alpha_out_emission"}],  # per block, constant on the span
     "recycled_by_block": [{"block", "netuid", "recycled"}],
     "stake_operations": [{"block", "operation": "add_stake" or "remove_stake", "netuid",
                           "coldkey", "hotkey": "0x<32-byte account id>", "tao": rao paid in (add) or
                           out (remove), "alpha": base units bought or sold, "fee": swap fee, rao}],
     "blocks": [{"block", "minted", "recycled", "total_issuance",      # only with per_block=1
                 "subnets": [{"netuid", "subnet_tao", "subnet_alpha_in", "subnet_alpha_out",
                              "tao_in_emission", "excess_tao", "alpha_in_emission",
                              "alpha_out_emission"}]}]}                # every subnet existing at the block

`GET /_devnet/subtensor/ledger/stakes?block=N`: {"block": N, "subnets": [{"netuid", "name" (the subnet's
name), "owner_coldkey", "unit": "rao" (root, TAO) or "alpha", "subnet_tao", "subnet_alpha_in",
"subnet_alpha_out", "stakes": [{"hotkey": "0x<32-byte account id>", "stake"}]}]}, the stake per hotkey
after block N.
"""

from __future__ import annotations

import bisect
import hashlib
import json
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from devnet.answers import AnswerCache
from devnet.subtensor import encoding
from devnet.subtensor.chain import SubtensorChain
from devnet.subtensor.metadata import runtime_metadata

HTTP_PATH = "/subtensor"
WS_PATH = "/subtensor/ws"


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


#: Methods whose answer at a given block hash never changes (the simulated history is fixed), with
#: the place of the block hash among their parameters. Their results are kept as JSON text, so that
#: reading a block again (a retried chunk, a benchmark's second pass) costs no simulation or encoding.
FIXED_AT_BLOCK = {
    "chain_getHeader": 0,
    "chain_getBlock": 0,
    "state_getRuntimeVersion": 0,
    "chain_getRuntimeVersion": 0,
    "state_getMetadata": 0,
    "state_getStorage": 1,
    "state_getStorageAt": 1,
    "state_queryStorageAt": 1,
    "state_call": 2,
    "state_getKeysPaged": 3,
    "state_getKeysPagedAt": 3,
}
#: The most keys `state_getKeysPaged` answers at once (a Substrate node refuses more).
KEYS_PAGED_MAX = 1000


class SubtensorRpc:
    """Dispatches JSON-RPC requests to the chain; pure apart from the clock."""

    def __init__(self, chain: SubtensorChain, now_fn: Callable[[], int]) -> None:
        self.chain = chain
        self.now_fn = now_fn
        self.lowest_state_block: int | None = None
        self.answers = AnswerCache()
        self.methods: dict[str, Callable[..., Any]] = {
            "system_chain": lambda: "Bittensor",
            "system_name": lambda: "Subtensor Node",
            "system_version": lambda: "4.0.0-dev-decai-devnet",
            "system_properties": lambda: {"ss58Format": 42, "tokenDecimals": 9, "tokenSymbol": "TAO"},
            "system_health": lambda: {"peers": 8, "isSyncing": False, "shouldHavePeers": True},
            "system_chainType": lambda: "Live",
            "system_syncState": self._sync_state,
            "rpc_methods": lambda: {"version": 1, "methods": sorted(self.methods)},
            "chain_getHead": self._best_hash,
            "chain_getBlockHash": self._get_block_hash,
            "chain_getFinalizedHead": self._finalized_hash,
            "chain_getFinalisedHead": self._finalized_hash,
            "chain_getHeader": self._get_header,
            "chain_getBlock": self._get_block,
            "chain_getRuntimeVersion": self._runtime_version,
            "state_getRuntimeVersion": self._runtime_version,
            "state_getMetadata": self._get_metadata,
            "state_getStorage": self._get_storage,
            "state_getStorageAt": self._get_storage,
            "state_getStorageHash": self._get_storage_hash,
            "state_getStorageSize": self._get_storage_size,
            "state_queryStorageAt": self._query_storage_at,
            "state_getKeys": self._get_keys,
            "state_getKeysPaged": self._get_keys_paged,
            "state_getKeysPagedAt": self._get_keys_paged,
            "state_call": self._state_call,
            "author_pendingExtrinsics": lambda: [],
            "author_submitExtrinsic": self._read_only,
            "author_submitAndWatchExtrinsic": self._read_only,
        }

    # ------------------------------------------------------------------ block addressing
    def head(self) -> int:
        return self.chain.head(self.now_fn())

    def _hash_of(self, block: int) -> str:
        return self.chain.block_hash(block)

    def _block_of(self, block_hash: str | None) -> int:
        """The block a hash names (None: the best block); unknown hashes fail like a node."""
        if block_hash is None:
            return self.head()
        if not isinstance(block_hash, str):
            raise RpcError(-32602, "Invalid params: expected a block hash")
        block = self.chain.block_number(block_hash.lower())
        if block is None or block > self.head():
            raise RpcError(
                4003, f"Client error: UnknownBlock: Header was not found in the database: {block_hash}"
            )
        return block

    def _state_block(self, block_hash: str | None) -> int:
        """The block of a state query; a pruned node has discarded the state below lowest_state_block."""
        block = self._block_of(block_hash)
        if self.lowest_state_block is not None and block < self.lowest_state_block:
            raise RpcError(4003, f"Client error: State already discarded for {self._hash_of(block)}")
        return block

    def _maybe_block(self, block_hash: str | None) -> int | None:
        try:
            return self._block_of(block_hash)
        except RpcError:
            return None

    def _best_hash(self) -> str:
        return self._hash_of(self.head())

    def _finalized_hash(self) -> str:
        return self._hash_of(self.chain.finalized(self.now_fn()))

    def _sync_state(self) -> dict:
        head = self.head()
        return {"startingBlock": 0, "currentBlock": head, "highestBlock": head}

    def _get_block_hash(self, number: Any = None) -> str | list | None:
        if isinstance(number, list):
            return [self._get_block_hash(n) for n in number]
        if number is None:
            return self._best_hash()
        try:
            n = int(number, 16) if isinstance(number, str) else int(number)
        except (TypeError, ValueError) as exc:
            raise RpcError(-32602, f"Invalid params: block number {number!r}") from exc
        if n < 0 or n > self.head():
            return None
        return self._hash_of(n)

    def _get_header(self, block_hash: str | None = None) -> dict | None:
        block = self._maybe_block(block_hash)
        if block is None:
            return None
        return encoding.header(self.chain, block)

    def _get_block(self, block_hash: str | None = None) -> dict | None:
        block = self._maybe_block(block_hash)
        if block is None:
            return None
        return {
            "block": {
                "header": encoding.header(self.chain, block),
                "extrinsics": encoding.extrinsics(self.chain, block),
            },
            "justifications": None,
        }

    def _runtime_version(self, block_hash: str | None = None) -> dict:
        block = self._state_block(block_hash)
        return runtime_metadata(self.chain.spec_version(block)).runtime_version()

    def _get_metadata(self, block_hash: str | None = None) -> str:
        block = self._state_block(block_hash)
        return "0x" + encoding.meta_for(self.chain, block).v14.hex()

    # ------------------------------------------------------------------ storage
    def _get_storage(self, key: str, block_hash: str | None = None) -> str | None:
        if not isinstance(key, str) or not key.startswith("0x"):
            raise RpcError(-32602, "Invalid params: storage key must be hex")
        return encoding.storage_value(self.chain, key, self._state_block(block_hash))

    def _get_storage_hash(self, key: str, block_hash: str | None = None) -> str | None:
        value = self._get_storage(key, block_hash)
        if value is None:
            return None
        return "0x" + hashlib.blake2b(bytes.fromhex(value[2:]), digest_size=32).hexdigest()

    def _get_storage_size(self, key: str, block_hash: str | None = None) -> int | None:
        value = self._get_storage(key, block_hash)
        return None if value is None else (len(value) - 2) // 2

    def _query_storage_at(self, keys: list[str], block_hash: str | None = None) -> list[dict]:
        block = self._block_of(block_hash)
        changes = [[k, encoding.storage_value(self.chain, k, block)] for k in keys]
        return [{"block": self._hash_of(block), "changes": changes}]

    def _get_keys(self, prefix: str, block_hash: str | None = None) -> list[str]:
        return encoding.storage_keys(self.chain, prefix, self._block_of(block_hash))

    def _get_keys_paged(
        self, prefix: str, count: int, start_key: str | None = None, block_hash: str | None = None
    ):
        if int(count) > KEYS_PAGED_MAX:
            raise RpcError(-32602, f"count exceeds maximum value. value: {int(count)}, max: {KEYS_PAGED_MAX}")
        keys = encoding.storage_keys(self.chain, prefix, self._block_of(block_hash))
        first = bisect.bisect_right(keys, start_key.lower()) if start_key else 0
        return keys[first : first + int(count)]

    # ------------------------------------------------------------------ runtime API
    def _state_call(self, method: str, data: str = "0x", block_hash: str | None = None) -> str:
        block = self._state_block(block_hash)
        raw = bytes.fromhex((data or "0x").removeprefix("0x"))
        try:
            return "0x" + encoding.state_call(self.chain, method, raw, block).hex()
        except encoding.RuntimeApiError as exc:
            raise RpcError(4003, str(exc)) from exc

    def _read_only(self, *_args: Any) -> None:
        raise RpcError(
            1010, "Invalid Transaction", "the devnet replays a simulated history and accepts no extrinsics"
        )

    # ------------------------------------------------------------------ JSON-RPC envelope
    def call(self, request: Any) -> dict | None:
        if not isinstance(request, dict) or request.get("jsonrpc") != "2.0" or "method" not in request:
            return _error(
                None if not isinstance(request, dict) else request.get("id"), -32600, "Invalid Request"
            )
        rid = request.get("id")
        handler = self.methods.get(request["method"])
        if handler is None:
            return _error(rid, -32601, "Method not found")
        params = request.get("params") or []
        try:
            result = handler(*params) if isinstance(params, list) else handler(**params)
        except RpcError as exc:
            return _error(rid, exc.code, exc.message, exc.data)
        except TypeError as exc:
            return _error(rid, -32602, f"Invalid params: {exc}")
        except Exception as exc:  # noqa: BLE001 - a node answers internal failures, it does not hang up
            return _error(rid, -32603, f"Internal error: {exc}")
        if "id" not in request:
            return None  # a notification
        return {"jsonrpc": "2.0", "id": rid, "result": result}

    def handle_text(self, text: str | bytes) -> str | None:
        """One HTTP body or WebSocket frame in, the serialised answer out (None: nothing to send)."""
        try:
            payload = json.loads(text)
        except (ValueError, UnicodeDecodeError):
            return json.dumps(_error(None, -32700, "Parse error"))
        if isinstance(payload, list):
            if not payload:
                return json.dumps(_error(None, -32600, "Invalid Request"))
            answers = [a for a in (self._answer_text(r) for r in payload) if a is not None]
            return f"[{','.join(answers)}]" if answers else None
        return self._answer_text(payload)

    def _answer_text(self, request: Any) -> str | None:
        """`call`'s answer as JSON text; the result of a call fixed at a block comes from `answers`."""
        fixed = self._fixed_block_call(request)
        if fixed is None:
            answer = self.call(request)
            return None if answer is None else json.dumps(answer, separators=(",", ":"))
        result = self.answers.get(fixed)
        if result is None:
            answer = self.call(request)
            if answer is None or "result" not in answer:
                return None if answer is None else json.dumps(answer, separators=(",", ":"))
            result = json.dumps(answer["result"], separators=(",", ":"))
            self.answers.put(fixed, result)
        return f'{{"jsonrpc":"2.0","id":{json.dumps(request["id"])},"result":{result}}}'

    def _fixed_block_call(self, request: Any) -> str | None:
        """The cache key of a call whose answer can never change: a method of `FIXED_AT_BLOCK` at a
        block hash that names a block up to the head whose state is kept. Anything else: None."""
        if not isinstance(request, dict) or request.get("jsonrpc") != "2.0" or "id" not in request:
            return None
        where = FIXED_AT_BLOCK.get(request.get("method"))
        params = request.get("params")
        if where is None or not isinstance(params, list) or len(params) <= where:
            return None
        if not isinstance(params[where], str):
            return None
        try:
            self._state_block(params[where])  # unknown, future or discarded: `call` answers as a node does
        except RpcError:
            return None
        return json.dumps([request["method"], params], separators=(",", ":"))


def _error(rid: Any, code: int, message: str, data: Any = None) -> dict:
    err: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        err["data"] = data
    return {"jsonrpc": "2.0", "id": rid, "error": err}


LEDGER_PER_BLOCK_MAX = 14_400
#: Ledger keys that are not token amounts (kept as JSON numbers; every other integer is a string).
_LEDGER_PLAIN = frozenset(
    {
        "block", "netuid", "first_block", "last_block", "start_block", "end_block", "blocks", "owner_cut_u16",
        "index", "nonce",
    }
)  # fmt: skip


def ledger_json(value: Any, key: str | None = None) -> Any:
    """A ledger record for JSON: token amounts as integer strings, block numbers and netuids as numbers."""
    if isinstance(value, dict):
        return {k: ledger_json(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [ledger_json(v, key) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and key not in _LEDGER_PLAIN:
        return str(value)
    return value


def _range_problem(rpc: SubtensorRpc, start: int, end: int) -> str | None:
    finalized = rpc.chain.finalized(rpc.now_fn())
    if start < 0 or end < start:
        return f"need 0 <= start_block <= end_block (got {start}..{end})"
    if end > finalized:
        return f"block {end} is past the finalized head {finalized}"
    return None


def subtensor_routes(rpc: SubtensorRpc) -> list:
    """The Starlette routes of the subtensor endpoint (HTTP POST and WebSocket)."""

    async def http_endpoint(request: Request) -> Response:
        body = await request.body()
        answer = await run_in_threadpool(rpc.handle_text, body)
        if answer is None:
            return Response(status_code=200)
        return Response(answer, media_type="application/json")

    async def ws_endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None:
                    text = (message.get("bytes") or b"").decode("utf-8", "replace")
                answer = await run_in_threadpool(rpc.handle_text, text)
                if answer is not None:
                    await websocket.send_text(answer)
        except WebSocketDisconnect:
            pass

    async def http_get(_request: Request) -> Response:
        return JSONResponse(_error(None, -32600, "Invalid Request: use POST"), 405)

    async def pruning(request: Request) -> Response:
        if request.method == "POST":
            value = (await request.json()).get("lowest_state_block")
            rpc.lowest_state_block = None if value is None else int(value)
        return JSONResponse({"lowest_state_block": rpc.lowest_state_block})

    async def ledger(request: Request) -> Response:
        try:
            start = int(request.query_params["start_block"])
            end = int(request.query_params["end_block"])
        except (KeyError, ValueError):
            return JSONResponse({"error": "give start_block and end_block as integers (inclusive)"}, 400)
        per_block = request.query_params.get("per_block", "0") not in ("0", "false", "")
        problem = _range_problem(rpc, start, end)
        if problem is None and per_block and end - start + 1 > LEDGER_PER_BLOCK_MAX:
            problem = f"per_block answers at most {LEDGER_PER_BLOCK_MAX} blocks; ask for a shorter range"
        if problem is not None:
            return JSONResponse({"error": problem}, 400)
        record = await run_in_threadpool(rpc.chain.ledger, start, end, per_block=per_block)
        return JSONResponse(ledger_json(record))

    async def ledger_stakes(request: Request) -> Response:
        try:
            block = int(request.query_params["block"])
        except (KeyError, ValueError):
            return JSONResponse({"error": "give block as an integer"}, 400)
        problem = _range_problem(rpc, block, block)
        if problem is not None:
            return JSONResponse({"error": problem}, 400)
        return JSONResponse(ledger_json(await run_in_threadpool(rpc.chain.ledger_stakes, block)))

    async def ledger_accounts(request: Request) -> Response:
        try:
            start = int(request.query_params["start_block"])
            end = int(request.query_params["end_block"])
        except (KeyError, ValueError):
            return JSONResponse({"error": "give start_block and end_block as integers (inclusive)"}, 400)
        problem = _range_problem(rpc, start, end)
        if problem is not None:
            return JSONResponse({"error": problem}, 400)
        return JSONResponse(ledger_json(await run_in_threadpool(rpc.chain.activity, start, end)))

    async def ledger_balances(request: Request) -> Response:
        try:
            block = int(request.query_params["block"])
        except (KeyError, ValueError):
            return JSONResponse({"error": "give block as an integer"}, 400)
        problem = _range_problem(rpc, block, block)
        if problem is not None:
            return JSONResponse({"error": problem}, 400)
        return JSONResponse(ledger_json(await run_in_threadpool(rpc.chain.balances, block)))

    return [
        Route("/_devnet/subtensor/pruning", pruning, methods=["GET", "POST"]),
        Route("/_devnet/subtensor/ledger/accounts", ledger_accounts, methods=["GET"]),
        Route("/_devnet/subtensor/ledger/balances", ledger_balances, methods=["GET"]),
        Route("/_devnet/subtensor/ledger", ledger, methods=["GET"]),
        Route("/_devnet/subtensor/ledger/stakes", ledger_stakes, methods=["GET"]),
        Route(HTTP_PATH, http_endpoint, methods=["POST"]),
        Route(HTTP_PATH, http_get, methods=["GET"]),
        WebSocketRoute(WS_PATH, ws_endpoint),
    ]
