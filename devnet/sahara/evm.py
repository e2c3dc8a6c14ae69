"""EVM JSON-RPC of the Sahara devnet (POST at `/evm`, single requests and batches).

Methods: eth_chainId, eth_blockNumber, eth_getBlockByNumber, eth_getLogs, eth_syncing, net_version,
web3_clientVersion. Quantities are hex without leading zeros (`0x0`, `0x1b4`), data is `0x`-hex,
addresses lower case, as go-ethereum-style nodes answer. EVM block numbers are the CometBFT heights
and block hashes are the CometBFT block hashes, as on Cosmos EVM chains.

eth_getLogs limits, with the errors real providers give so connectors learn to shrink ranges:
more than `max_block_range` blocks -> -32005 `block range too large: ...`; more than `max_logs`
matching logs -> -32005 `query returned more than 10000 results`; toBlock beyond the head -> -32602
`block range extends beyond current head block`; fromBlock > toBlock -> -32602 `invalid block range`;
a block below the pruning base -> -32000 `height X is not available, lowest height is Y`.
`blockHash` filters are not supported (answered with -32602). The `address` filter (one address or a
list) and the `topics` filter are honoured as go-ethereum does: a log of another contract is not sent.
"""

from __future__ import annotations

import json
import re

from eth_hash.auto import keccak
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from devnet.answers import AnswerCache, encode, envelope
from devnet.sahara.common import LRU, digest, hexd, hexq
from devnet.sahara.contracts import ADDRESSES, event_specs
from devnet.sahara.economy import EvmTx, SaharaChain

CLIENT_VERSION = "sahara-devnet/v0.1.0/cosmos-evm"
EMPTY_UNCLES = "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347"
EMPTY_TRIE = "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"
GAS_LIMIT = 40_000_000
BASE_FEE = 10_000_000_000
_HEX = re.compile(r"^0x[0-9a-fA-F]*$")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
#: How much encoded `eth_getBlockByNumber` the node keeps (least recently used first out).
ANSWER_CACHE_BYTES = 64 * 2**20


class EvmError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _bloom_add(bloom: bytearray, item: bytes) -> None:
    h = keccak(item)
    for i in (0, 2, 4):
        bit = ((h[i] << 8) | h[i + 1]) & 2047
        bloom[255 - bit // 8] |= 1 << (bit % 8)


class EvmRPC:
    def __init__(self, chain: SaharaChain) -> None:
        self.chain = chain
        self.specs = event_specs()
        self._logs = LRU(8192)
        self.answers = AnswerCache(ANSWER_CACHE_BYTES)

    # --- parameters ----------------------------------------------------------------------------------

    def _block_number(self, tag, *, allow_pruned: bool = False) -> int:
        head = self.chain.head()
        if tag is None or tag in ("latest", "pending", "safe", "finalized"):
            return head
        if tag == "earliest":
            return max(1, self.chain.config.lowest_height)
        if not isinstance(tag, str) or not _HEX.match(tag) or len(tag) < 3:
            raise EvmError(
                -32602, f"invalid argument 0: hex string without 0x prefix or invalid block tag {tag!r}"
            )
        return int(tag, 16)

    def _check_available(self, height: int) -> None:
        base = max(1, self.chain.config.lowest_height)
        if height < base:
            raise EvmError(-32000, f"height {height} is not available, lowest height is {base}")

    # --- rendering -------------------------------------------------------------------------------------

    def block_logs(self, height: int) -> list[dict]:
        """Every log of a block, rendered as eth_getLogs returns them (block-wide log indexes)."""
        return self._logs.get(height, lambda: self._render_logs(height))

    def _render_logs(self, height: int) -> list[dict]:
        block_hash = hexd(self.chain.block_hash(height))
        out: list[dict] = []
        for tx_index, tx in enumerate(self.chain.evm_txs(height)):
            for log in tx.logs:
                if log.event:
                    spec = self.specs[log.event]
                    address = ADDRESSES[spec.contract]
                    topics = spec.topics(log.indexed)
                    data = spec.encode_data(log.data)
                else:
                    address, topics, data = log.address, list(log.raw_topics), log.raw_data
                out.append(
                    {
                        "address": hexd(address),
                        "topics": [hexd(t) for t in topics],
                        "data": hexd(data),
                        "blockNumber": hexq(height),
                        "transactionHash": hexd(tx.hash),
                        "transactionIndex": hexq(tx_index),
                        "blockHash": block_hash,
                        "logIndex": hexq(len(out)),
                        "removed": False,
                    }
                )
        return out

    def _tx_object(self, tx: EvmTx, index: int, height: int) -> dict:
        r = digest(self.chain.seed, "sig-r", tx.key)
        s = digest(self.chain.seed, "sig-s", tx.key)
        return {
            "blockHash": hexd(self.chain.block_hash(height)),
            "blockNumber": hexq(height),
            "from": hexd(tx.sender),
            "gas": hexq(tx.gas_used + 20_000),
            "gasPrice": hexq(BASE_FEE),
            "maxFeePerGas": hexq(2 * BASE_FEE),
            "maxPriorityFeePerGas": hexq(0),
            "hash": hexd(tx.hash),
            "input": hexd(digest(self.chain.seed, "input", tx.key, size=4) + b"\x00" * 32),
            "nonce": hexq(int.from_bytes(digest(self.chain.seed, "nonce", tx.key, size=2), "big")),
            "to": hexd(tx.to),
            "transactionIndex": hexq(index),
            "value": "0x0",
            "type": "0x2",
            "accessList": [],
            "chainId": hexq(self.chain.config.evm_chain_id),
            "v": "0x0",
            "yParity": "0x0",
            "r": hexq(int.from_bytes(r, "big")),
            "s": hexq(int.from_bytes(s, "big") >> 1),
        }

    def get_block(self, height: int, full: bool) -> dict:
        chain = self.chain
        txs = chain.evm_txs(height)
        bloom = bytearray(256)
        for log in self.block_logs(height):
            _bloom_add(bloom, bytes.fromhex(log["address"][2:]))
            for topic in log["topics"]:
                _bloom_add(bloom, bytes.fromhex(topic[2:]))
        vals = chain.validator_set(height)
        miner = vals[digest(chain.seed, "proposer", height)[0] % len(vals)][0].operator
        return {
            "baseFeePerGas": hexq(BASE_FEE),
            "difficulty": "0x0",
            "extraData": "0x",
            "gasLimit": hexq(GAS_LIMIT),
            "gasUsed": hexq(sum(tx.gas_used for tx in txs)),
            "hash": hexd(chain.block_hash(height)),
            "logsBloom": hexd(bytes(bloom)),
            "miner": hexd(miner),
            "mixHash": hexd(b"\x00" * 32),
            "nonce": "0x0000000000000000",
            "number": hexq(height),
            "parentHash": hexd(chain.block_hash(height - 1)),
            "receiptsRoot": hexd(digest(chain.seed, "receipts", height)) if txs else EMPTY_TRIE,
            "sha3Uncles": EMPTY_UNCLES,
            "size": hexq(540 + 120 * len(txs)),
            "stateRoot": hexd(chain.app_hash(height)),
            "timestamp": hexq(chain.block_time(height)),
            "totalDifficulty": "0x0",
            "transactions": [
                self._tx_object(tx, i, height) if full else hexd(tx.hash) for i, tx in enumerate(txs)
            ],
            "transactionsRoot": hexd(digest(chain.seed, "txroot", height)) if txs else EMPTY_TRIE,
            "uncles": [],
        }

    # --- methods -----------------------------------------------------------------------------------

    def eth_getBlockByNumber(self, tag=None, full=False, *rest):  # noqa: N802 (JSON-RPC names)
        height = self._block_number(tag)
        if height < 1 or height > self.chain.head():
            return None
        self._check_available(height)
        return self.get_block(height, bool(full))

    def eth_getLogs(self, flt=None, *rest):  # noqa: N802
        flt = flt or {}
        if not isinstance(flt, dict):
            raise EvmError(-32602, "invalid argument 0: filter must be an object")
        if flt.get("blockHash") is not None:
            raise EvmError(-32602, "blockHash filters are not supported by this node; use fromBlock/toBlock")
        head = self.chain.head()
        first = max(1, self._block_number(flt.get("fromBlock")))  # no block 0 on CometBFT chains
        last = self._block_number(flt.get("toBlock"))
        if first > last:
            raise EvmError(-32602, "invalid block range")
        if last > head:
            raise EvmError(-32602, "block range extends beyond current head block")
        self._check_available(first)
        limit = self.chain.config.max_block_range
        if last - first + 1 > limit:
            raise EvmError(
                -32005,
                f"block range too large: at most {limit} blocks per eth_getLogs query, got {last - first + 1}",
            )
        addresses = flt.get("address")
        if isinstance(addresses, str):
            addresses = [addresses]
        if addresses is not None and (
            not isinstance(addresses, list)
            or not all(isinstance(a, str) and _ADDRESS.match(a) for a in addresses)
        ):
            raise EvmError(
                -32602, "invalid argument 0: address must be a 20-byte hex address or a list of them"
            )
        wanted_addresses = {a.lower() for a in addresses} if addresses else None
        topics = flt.get("topics") or []
        if not isinstance(topics, list) or len(topics) > 4:
            raise EvmError(-32602, "invalid argument 0: topics must be a list of at most 4 entries")
        wanted_topics = []
        for entry in topics:
            if entry is None:
                wanted_topics.append(None)
            elif isinstance(entry, str):
                wanted_topics.append({entry.lower()})
            elif isinstance(entry, list):
                wanted_topics.append({t.lower() for t in entry if t is not None} or None)
            else:
                raise EvmError(-32602, "invalid argument 0: bad topic")
        out: list[dict] = []
        max_logs = self.chain.config.max_logs
        for height in self.chain.evm_blocks_with_txs(first, last):
            for log in self.block_logs(height):
                if wanted_addresses is not None and log["address"] not in wanted_addresses:
                    continue
                if any(
                    want is not None and (i >= len(log["topics"]) or log["topics"][i] not in want)
                    for i, want in enumerate(wanted_topics)
                ):
                    continue
                out.append(log)
                if len(out) > max_logs:
                    raise EvmError(-32005, f"query returned more than {max_logs} results")
        return out

    def eth_chainId(self, *rest):  # noqa: N802
        return hexq(self.chain.config.evm_chain_id)

    def eth_blockNumber(self, *rest):  # noqa: N802
        return hexq(self.chain.head())

    def eth_syncing(self, *rest):
        return False

    def net_version(self, *rest):
        return str(self.chain.config.evm_chain_id)

    def web3_clientVersion(self, *rest):  # noqa: N802
        return CLIENT_VERSION

    METHODS = (
        "eth_chainId",
        "eth_blockNumber",
        "eth_getBlockByNumber",
        "eth_getLogs",
        "eth_syncing",
        "net_version",
        "web3_clientVersion",
    )

    def handle(self, req) -> dict:
        rpc_id = req.get("id") if isinstance(req, dict) else None
        if not isinstance(req, dict) or req.get("jsonrpc") != "2.0" or not isinstance(req.get("method"), str):
            return {"jsonrpc": "2.0", "id": rpc_id, "error": {"code": -32600, "message": "invalid request"}}
        method = req["method"]
        if method not in self.METHODS:
            return {
                "jsonrpc": "2.0",
                "id": rpc_id,
                "error": {"code": -32601, "message": f"the method {method} does not exist/is not available"},
            }
        params = req.get("params") or []
        if not isinstance(params, list):
            return {"jsonrpc": "2.0", "id": rpc_id, "error": {"code": -32602, "message": "non-array args"}}
        try:
            result = getattr(self, method)(*params)
        except EvmError as exc:
            return {"jsonrpc": "2.0", "id": rpc_id, "error": {"code": exc.code, "message": exc.message}}
        except TypeError as exc:
            return {
                "jsonrpc": "2.0",
                "id": rpc_id,
                "error": {"code": -32602, "message": f"invalid params: {exc}"},
            }
        return {"jsonrpc": "2.0", "id": rpc_id, "result": result}

    def handle_bytes(self, req) -> bytes:
        """`encode(handle(req))`, with a block below the head from `answers` once encoded."""
        fixed = self._fixed_block(req)
        if fixed is not None:
            return envelope(req.get("id"), fixed)
        return encode(self.handle(req))

    def _fixed_block(self, req) -> bytes | None:
        """The encoded result of `eth_getBlockByNumber` at a block number (not a tag) below the head
        and not pruned, which can never change; None for any other call, which `handle` answers."""
        if (
            not isinstance(req, dict)
            or req.get("jsonrpc") != "2.0"
            or req.get("method") != "eth_getBlockByNumber"
        ):
            return None
        params = req.get("params")
        if not isinstance(params, list) or not params:
            return None
        tag = params[0]
        if not isinstance(tag, str) or len(tag) < 3 or not _HEX.match(tag):
            return None
        height = int(tag, 16)
        if height < max(1, self.chain.config.lowest_height) or height >= self.chain.head():
            return None
        full = bool(params[1]) if len(params) > 1 else False
        result = self.answers.get((height, full))
        if result is None:
            result = encode(self.get_block(height, full))
            self.answers.put((height, full), result)
        return result


def make_routes(rpc: EvmRPC) -> list[Route]:
    async def handle(request: Request) -> Response:
        try:
            payload = json.loads(await request.body())
        except ValueError:
            body = {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}}
            return _json(body)
        if isinstance(payload, list):
            if not payload:
                return _json(
                    {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "empty batch"}}
                )
            body = b"[" + b",".join([rpc.handle_bytes(r) for r in payload]) + b"]"
        else:
            body = rpc.handle_bytes(payload)
        return Response(body, 200, media_type="application/json")

    return [Route("/evm", handle, methods=["POST"]), Route("/evm/", handle, methods=["POST"])]


def _json(body) -> Response:
    return Response(json.dumps(body, separators=(",", ":")).encode(), 200, media_type="application/json")
