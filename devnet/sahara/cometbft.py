"""CometBFT RPC of the Sahara devnet, in the three shapes a connector may meet.

Mounts (one per CometBFT release line, same chain content in each):

- `/cometbft`        CometBFT v0.38 (Cosmos SDK v0.50, Sahara's stack): `/block_results` has
                     `txs_results` and `finalize_block_events` (each event carries a `mode`
                     attribute, `BeginBlock` or `EndBlock`, as the SDK v0.50 adds), attribute keys
                     and values plain strings.
- `/cometbft-v0.37`  v0.37: `begin_block_events` / `end_block_events`, plain strings, no `mode`.
- `/cometbft-v0.34`  v0.34: like v0.37 with every attribute key and value base64-encoded.

Each mount answers URI requests (`GET /cometbft/block?height=5`, `{"jsonrpc":"2.0","id":-1,...}`)
and JSON-RPC POSTs to its root (single or batched, params by name or position), as CometBFT does.
int64 values are JSON strings; byte fields are base64 or upper-case hex where CometBFT uses them.
Errors are CometBFT's: an `Internal error` (-32603) whose `data` says e.g. `height 9 must be less
than or equal to the current blockchain height 8` or, below the pruning base, `height 3 is not
available, lowest height is 100`; URI errors come with HTTP 500, POST errors with HTTP 200.

Not modelled: `validator_updates` and `consensus_param_updates` are always null; tx bytes are opaque
deterministic bytes (not protobuf TxRaw), block hashes are seeded digests, not header Merkle roots.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from devnet.answers import AnswerCache, encode, envelope
from devnet.sahara.common import LRU, digest, rfc3339_nano
from devnet.sahara.economy import CosmosBlock, SaharaChain

FORMS = {"v0.38": "0.38.17", "v0.37": "0.37.15", "v0.34": "0.34.35"}
MOUNTS = {"/cometbft": "v0.38", "/cometbft-v0.37": "v0.37", "/cometbft-v0.34": "v0.34"}
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 30
BLOCKCHAIN_LIMIT = 20
#: Methods whose answer at a given height never changes once the chain has moved past it: their
#: results are kept encoded, so a client reading blocks again (a backfill's retry, a benchmark)
#: costs no simulation and no encoding.
FIXED_AT_HEIGHT = ("block", "block_results")
#: How much encoded `block` and `block_results` the node keeps (least recently used first out).
ANSWER_CACHE_BYTES = 128 * 2**20


class RPCError(Exception):
    def __init__(self, code: int, message: str, data: str = "") -> None:
        super().__init__(data or message)
        self.code, self.message, self.data = code, message, data


def internal(data: str) -> RPCError:
    return RPCError(-32603, "Internal error", data)


def invalid_params(data: str) -> RPCError:
    return RPCError(-32602, "Invalid params", data)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _b64s(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _hex(data: bytes) -> str:
    return data.hex().upper()


def merkle_hash(items: list[bytes]) -> bytes:
    """CometBFT's simple Merkle tree (RFC 6962: leaf prefix 0x00, inner prefix 0x01)."""
    if not items:
        return hashlib.sha256(b"").digest()
    if len(items) == 1:
        return hashlib.sha256(b"\x00" + items[0]).digest()
    split = 1 << ((len(items) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + merkle_hash(items[:split]) + merkle_hash(items[split:])).digest()


def _tx_data(tx) -> str:
    """The tx result `data`: a TxMsgData holding one Any whose type is the message's response type."""
    action = next((v for t, attrs in tx.events if t == "message" for k, v in attrs if k == "action"), "")
    type_url = (action + "Response").encode()
    any_msg = b"\x0a" + bytes([len(type_url)]) + type_url
    return b64(b"\x12" + bytes([len(any_msg)]) + any_msg)


class CometRPC:
    """Builds CometBFT results from the chain; one instance serves all three mounts."""

    def __init__(self, chain: SaharaChain) -> None:
        self.chain = chain
        self._cache = LRU(1024)
        self.answers = AnswerCache(ANSWER_CACHE_BYTES)

    # --- helpers -----------------------------------------------------------------------------------

    @property
    def base(self) -> int:
        return max(1, self.chain.config.lowest_height)

    def _height(self, raw, latest: int) -> int:
        """CometBFT's getHeight: None = latest; checks > 0, <= latest and >= the store base."""
        if raw is None or raw == "":
            return latest
        try:
            height = int(raw)
        except (TypeError, ValueError):
            raise invalid_params(
                f"error converting http params to arguments: invalid height {raw!r}"
            ) from None
        if height <= 0:
            raise internal(f"height must be greater than 0, but got {height}")
        if height > latest:
            raise internal(
                f"height {height} must be less than or equal to the current blockchain height {latest}"
            )
        if height < self.base:
            raise internal(f"height {height} is not available, lowest height is {self.base}")
        return height

    def _events(self, events, form: str, mode: str | None = None) -> list[dict] | None:
        out = []
        for typ, attrs in events:
            pairs = list(attrs)
            if mode is not None:
                pairs.append(("mode", mode))
            if form == "v0.34":
                rendered = [{"key": _b64s(k), "value": _b64s(v), "index": True} for k, v in pairs]
            else:
                rendered = [{"key": k, "value": v, "index": True} for k, v in pairs]
            out.append({"type": typ, "attributes": rendered})
        return out or None

    def _block_id(self, height: int) -> dict:
        if height < 1:
            return {"hash": "", "parts": {"total": 0, "hash": ""}}
        return {
            "hash": _hex(self.chain.block_hash(height)),
            "parts": {"total": 1, "hash": _hex(digest(self.chain.seed, "part-set", height))},
        }

    def _header(self, block: CosmosBlock) -> dict:
        chain, h = self.chain, block.height
        vals = chain.validator_set(h)
        vals_hash = merkle_hash([v.pubkey + p.to_bytes(8, "big") for v, p in vals])
        proposer = vals[digest(chain.seed, "proposer", h)[0] % len(vals)][0]
        return {
            "version": {"block": "11", "app": "0"},
            "chain_id": chain.config.chain_id,
            "height": str(h),
            "time": rfc3339_nano(chain.block_time_ns(h)),
            "last_block_id": self._block_id(h - 1),
            "last_commit_hash": _hex(digest(chain.seed, "last-commit", h)),
            "data_hash": _hex(merkle_hash([tx.hash for tx in block.txs])),
            "validators_hash": _hex(vals_hash),
            "next_validators_hash": _hex(vals_hash),
            "consensus_hash": _hex(digest(chain.seed, "consensus-params")),
            "app_hash": _hex(chain.app_hash(h - 1) if h > 1 else b""),
            "last_results_hash": _hex(digest(chain.seed, "last-results", h)),
            "evidence_hash": _hex(hashlib.sha256(b"").digest()),
            "proposer_address": _hex(proposer.cons_address),
        }

    # --- methods -----------------------------------------------------------------------------------

    def status(self, form: str) -> dict:
        chain = self.chain
        head = chain.head()
        node_id = digest(chain.seed, "node-id", size=20).hex()
        return {
            "node_info": {
                "protocol_version": {"p2p": "8", "block": "11", "app": "0"},
                "id": node_id,
                "listen_addr": "tcp://127.0.0.1:26656",
                "network": chain.config.chain_id,
                "version": FORMS[form],
                "channels": "40202122233038606100",
                "moniker": "sahara-devnet-rpc",
                "other": {"tx_index": "on", "rpc_address": "tcp://127.0.0.1:26657"},
            },
            "sync_info": {
                "latest_block_hash": _hex(chain.block_hash(head)),
                "latest_app_hash": _hex(chain.app_hash(head)),
                "latest_block_height": str(head),
                "latest_block_time": rfc3339_nano(chain.block_time_ns(head)),
                "earliest_block_hash": _hex(chain.block_hash(self.base)),
                "earliest_app_hash": _hex(chain.app_hash(self.base)),
                "earliest_block_height": str(self.base),
                "earliest_block_time": rfc3339_nano(chain.block_time_ns(self.base)),
                "catching_up": False,
            },
            "validator_info": {
                "address": _hex(digest(chain.seed, "node-key", size=20)),
                "pub_key": {"type": "tendermint/PubKeyEd25519", "value": b64(digest(chain.seed, "node-pub"))},
                "voting_power": "0",
            },
        }

    def block(self, form: str, height=None) -> dict:
        h = self._height(height, self.chain.head())
        return self._cache.get(("block", h), lambda: self._block(h))

    def _block(self, h: int) -> dict:
        chain = self.chain
        block = chain.cosmos_block(h)
        if h > 1:
            prev_time = chain.block_time_ns(h - 1)
            signatures = [
                {
                    "block_id_flag": 2,
                    "validator_address": _hex(v.cons_address),
                    "timestamp": rfc3339_nano(prev_time + 1_000_000 + v.index * 37_000),
                    "signature": b64(
                        digest(chain.seed, "sig", h - 1, v.index) + digest(chain.seed, "sig2", h - 1)
                    ),
                }
                for v, _ in chain.validator_set(h - 1)
            ]
        else:
            signatures = []
        return {
            "block_id": self._block_id(h),
            "block": {
                "header": self._header(block),
                "data": {"txs": [b64(tx.raw) for tx in block.txs]},
                "evidence": {"evidence": []},
                "last_commit": {
                    "height": str(h - 1),
                    "round": 0,
                    "block_id": self._block_id(h - 1),
                    "signatures": signatures,
                },
            },
        }

    def block_results(self, form: str, height=None) -> dict:
        h = self._height(height, self.chain.head())
        return self._cache.get(("results", form, h), lambda: self._block_results(form, h))

    def _block_results(self, form: str, h: int) -> dict:
        block = self.chain.cosmos_block(h)
        txs = [
            {
                "code": 0,
                "data": _tx_data(tx),
                "log": "",
                "info": "",
                "gas_wanted": str(tx.gas_wanted),
                "gas_used": str(tx.gas_used),
                "events": self._events(tx.events, form) or [],
                "codespace": "",
            }
            for tx in block.txs
        ]
        out: dict = {"height": str(h), "txs_results": txs or None}
        if form == "v0.38":
            events = (self._events(block.begin_events, form, "BeginBlock") or []) + (
                self._events(block.end_events, form, "EndBlock") or []
            )
            out["finalize_block_events"] = events or None
        else:
            out["begin_block_events"] = self._events(block.begin_events, form)
            out["end_block_events"] = self._events(block.end_events, form)
        out["validator_updates"] = None
        out["consensus_param_updates"] = None
        if form == "v0.38":
            out["app_hash"] = b64(self.chain.app_hash(h))
        return out

    def validators(self, form: str, height=None, page=None, per_page=None) -> dict:
        h = self._height(height, self.chain.head())
        vals = self.chain.validator_set(h)
        try:
            per = int(per_page) if per_page not in (None, "") else DEFAULT_PER_PAGE
            page_no = int(page) if page not in (None, "") else 1
        except (TypeError, ValueError):
            raise invalid_params(
                "error converting http params to arguments: page and per_page are integers"
            ) from None
        per = DEFAULT_PER_PAGE if per < 1 else min(per, MAX_PER_PAGE)
        pages = max(1, (len(vals) - 1) // per + 1)
        if page_no <= 0 or page_no > pages:
            raise internal(f"page should be within [1, {pages}] range, given {page_no}")
        chosen = vals[(page_no - 1) * per : page_no * per]
        return {
            "block_height": str(h),
            "validators": [
                {
                    "address": _hex(v.cons_address),
                    "pub_key": {"type": "tendermint/PubKeyEd25519", "value": b64(v.pubkey)},
                    "voting_power": str(power),
                    "proposer_priority": str(
                        (digest(self.chain.seed, "priority", h, v.index)[0] - 128) * max(1, power // 100)
                    ),
                }
                for v, power in chosen
            ],
            "count": str(len(chosen)),
            "total": str(len(vals)),
        }

    def blockchain(self, form: str, minHeight=None, maxHeight=None) -> dict:  # noqa: N803 (CometBFT's names)
        head = self.chain.head()
        try:
            lo = int(minHeight) if minHeight not in (None, "") else 0
            hi = int(maxHeight) if maxHeight not in (None, "") else 0
        except (TypeError, ValueError):
            raise invalid_params("error converting http params to arguments: heights are integers") from None
        if lo < 0 or hi < 0:
            raise internal("heights must be non-negative")
        lo = lo or 1
        hi = min(head, hi or head)
        lo = max(self.base, lo, hi - BLOCKCHAIN_LIMIT + 1)
        if lo > hi:
            raise internal(f"min height {lo} can't be greater than max height {hi}")
        metas = []
        for h in range(hi, lo - 1, -1):
            block = self.chain.cosmos_block(h)
            metas.append(
                {
                    "block_id": self._block_id(h),
                    "block_size": str(600 + sum(len(tx.raw) for tx in block.txs)),
                    "header": self._header(block),
                    "num_txs": str(len(block.txs)),
                }
            )
        return {"last_height": str(head), "block_metas": metas}

    def abci_info(self, form: str) -> dict:
        head = self.chain.head()
        return {
            "response": {
                "data": "sahara",
                "version": "v0.50-devnet",
                "last_block_height": str(head),
                "last_block_app_hash": b64(self.chain.app_hash(head)),
            }
        }

    def health(self, form: str) -> dict:
        return {}

    METHODS = {
        "status": ("status", ()),
        "block": ("block", ("height",)),
        "block_results": ("block_results", ("height",)),
        "validators": ("validators", ("height", "page", "per_page")),
        "blockchain": ("blockchain", ("minHeight", "maxHeight")),
        "abci_info": ("abci_info", ()),
        "health": ("health", ()),
    }

    def call(self, form: str, method: str, params) -> dict:
        if method not in self.METHODS:
            raise RPCError(-32601, "Method not found")
        attr, names = self.METHODS[method]
        if isinstance(params, list):
            params = dict(zip(names, params, strict=False))
        elif params is None:
            params = {}
        elif not isinstance(params, dict):
            raise invalid_params("params must be an object or an array")
        unknown = set(params) - set(names)
        if unknown:
            raise invalid_params(
                f"error converting json params to arguments: unknown params {sorted(unknown)}"
            )
        return getattr(self, attr)(form, **params)

    def fixed_result(self, form: str, method: str, params) -> bytes | None:
        """`encode(call(form, method, params))` when that can never change (`block` or `block_results`
        at a height given explicitly, below the head), from `answers` once encoded; None for any
        other call, which `call` answers. The height is checked on every request (a pruned node
        refuses it with the error `call` raises), the head and the latest block are never kept."""
        if method not in FIXED_AT_HEIGHT:
            return None
        if isinstance(params, list) and len(params) == 1:
            raw = params[0]
        elif isinstance(params, dict) and params.keys() == {"height"}:
            raw = params["height"]
        else:
            return None
        if raw is None or raw == "":
            return None  # the latest block
        head = self.chain.head()
        height = self._height(raw, head)
        if height >= head:
            return None
        key = (form, method, height)
        result = self.answers.get(key)
        if result is None:
            result = encode(self.call(form, method, {"height": raw}))
            self.answers.put(key, result)
        return result


# --- HTTP ------------------------------------------------------------------------------------------


def _json(body, status: int = 200) -> Response:
    return Response(json.dumps(body, separators=(",", ":")).encode(), status, media_type="application/json")


def _error_body(rpc_id, exc: RPCError) -> dict:
    error: dict = {"code": exc.code, "message": exc.message}
    if exc.data:
        error["data"] = exc.data
    return {"jsonrpc": "2.0", "id": rpc_id, "error": error}


def _uri_value(raw: str) -> str:
    """URI arguments may be quoted (`height="5"`) or bare (`height=5`)."""
    return raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] == '"' else raw


def make_routes(rpc: CometRPC) -> list[Route]:
    routes: list[Route] = []
    for prefix, form in MOUNTS.items():
        routes.append(Route(prefix + "/{method}", _uri_handler(rpc, form), methods=["GET"]))
        handler = _post_handler(rpc, form)
        routes.append(Route(prefix, handler, methods=["GET", "POST"]))
        routes.append(Route(prefix + "/", handler, methods=["GET", "POST"]))
    return routes


def _uri_handler(rpc: CometRPC, form: str) -> Callable:
    async def handle(request: Request) -> Response:
        method = request.path_params["method"]
        params = {k: _uri_value(v) for k, v in request.query_params.items()}
        try:
            fixed = rpc.fixed_result(form, method, params)
            if fixed is not None:
                return Response(envelope(-1, fixed), media_type="application/json")
            result = rpc.call(form, method, params)
        except RPCError as exc:
            status = {-32600: 400, -32601: 404}.get(exc.code, 500)
            return _json(_error_body(-1, exc), status)
        return _json({"jsonrpc": "2.0", "id": -1, "result": result})

    return handle


def _post_handler(rpc: CometRPC, form: str) -> Callable:
    async def handle(request: Request) -> Response:
        if request.method == "GET":
            names = "".join(f'<a href="/{m}">/{m}</a></br>' for m in CometRPC.METHODS)
            return Response(
                f"<html><body><br>Available endpoints:<br>{names}</body></html>", media_type="text/html"
            )
        try:
            payload = json.loads(await request.body())
        except ValueError:
            return _json(_error_body(None, RPCError(-32700, "Parse error. Invalid JSON")))

        def one(req) -> bytes:
            rpc_id = req.get("id") if isinstance(req, dict) else None
            if not isinstance(req, dict) or not isinstance(req.get("method"), str):
                return encode(_error_body(rpc_id, RPCError(-32600, "Invalid Request")))
            method, params = req["method"], req.get("params")
            try:
                result = rpc.fixed_result(form, method, params)
                if result is None:
                    result = encode(rpc.call(form, method, params))
            except RPCError as exc:
                return encode(_error_body(rpc_id, exc))
            return envelope(rpc_id, result)

        if isinstance(payload, list):
            if not payload:
                return _json(_error_body(None, RPCError(-32600, "Invalid Request", "empty batch")))
            body = b"[" + b",".join([one(r) for r in payload]) + b"]"
        else:
            body = one(payload)
        return Response(body, media_type="application/json")

    return handle
