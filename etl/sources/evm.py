"""Sahara's contract events from EVM JSON-RPC (`eth_getLogs`, `eth_getBlockByNumber`).

**Logs, in adaptive ranges.** `eth_getLogs` starts at `range_blocks` (2,000) blocks a query. When a
node refuses a range (`block range too large`, `query returned more than 10000 results`, response
size limits; code -32005 or these words), the range shrinks (to the limit the error names, else by
half) and the query is retried; after `grow_after` successes in a row it doubles again, up to
`max_range_blocks`. A single block that still answers "too many" is an error, not a loop.

**Blocks.** Every block of the range is read with `eth_getBlockByNumber` in JSON-RPC batches (hash,
parentHash, timestamp), blocks without logs included, for the pipeline's contiguity and parent-hash
audit; a log whose `blockHash` differs from its block's hash stops the fetch (the chain moved between
the two reads).

**Which logs.** The connector reads the contracts of the contract registry (`etl.contracts`,
`etl/contracts.toml`): it takes the registry's network whose chain id the node reports
(`eth_chainId`) and asks `eth_getLogs` for those contracts' addresses only (the ones deployed before
the range's end), never for every log of the chain.

**Decoding.** A log decodes when its address, topic 0 and number of topics match an event of its
contract's ABI sets (`Network.match`) to `Contract.Event` (`DataServices.AnnotationSubmitted`,
`Marketplace.LicensePurchased`, `Reputation.ReputationMinted`, `ERC20.Transfer`, ...) with the ABI's
argument names (value conventions in `etl.contracts`) plus `contract` (the emitting address) and
`tx_hash`; a token's events (a contract with a symbol) also carry `network`, `chain_id`,
`token_symbol` and `token_decimals`. A log that no registered ABI matches (an ERC-721 `Transfer`: ERC-20's topic 0 with
four topics; an event the ABIs lack; a contract not registered) is data the product does not model,
not bad data: it is kept as `evm.RawLog` (`address`, `topics`, `data`, `network`), never quarantined.
Quarantine is for malformed logs: a matching log that does not decode, a log marked `removed`, an
entry that is not a log. Positions are `"{transactionIndex}.{logIndex}"`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from etl.contracts import LogDecodeError, Network, Registry, load_registry
from etl.decode import capture_record
from etl.events import BlockRef, ChainAuditError, ChainFetch, Event, QuarantinedRow, payload_json
from etl.http import RpcError, rpc_result
from etl.sources.sahara_rpc import PrunedNodeError, node_client, pruned_error

log = logging.getLogger(__name__)

CONNECTION = "sahara_evm"
RAW_LOG = "evm.RawLog"
_RANGE_WORDS = re.compile(
    r"block range|range too (large|wide)|more than \d+ results|too many (results|logs|blocks)|"
    r"response size|limit exceeded|query timeout|exceed",
    re.IGNORECASE,
)
_LIMIT_HINT = re.compile(
    r"at most (\d+) blocks|maximum[^0-9]{0,20}(\d+) blocks|limited to (\d+) blocks", re.I
)
_SUGGESTED = re.compile(r"\[(0x[0-9a-fA-F]+),\s*(0x[0-9a-fA-F]+)\]")


def _is_range_error(exc: RpcError) -> bool:
    return exc.code == -32005 or bool(_RANGE_WORDS.search(exc.text))


def decode_log(entry: dict, network: Network | None = None) -> Event | QuarantinedRow:
    """One `eth_getLogs` entry of `network` (default: any network of the registry) as a canonical event
    (block time from `entry['_block_time']`) or quarantine."""
    number = int(entry["blockNumber"], 16)
    position = f"{int(entry['transactionIndex'], 16)}.{int(entry['logIndex'], 16)}"
    listed = entry.get("topics") or []
    if not isinstance(listed, list) or not all(isinstance(t, str) for t in listed):
        raise TypeError("`topics` is not a list of hex strings")
    topics = [t.lower() for t in listed]
    address = str(entry.get("address", "")).lower()
    block_time = entry.get("_block_time") or datetime(1970, 1, 1, tzinfo=UTC)
    known = network if network is not None else load_registry().every_network
    matched = known.match(address, topics)
    base = {"contract": address, "tx_hash": entry.get("transactionHash")}
    if entry.get("removed"):
        problem = "the node marks the log `removed` (a reorganised block)"
    elif matched is None:
        registered = known.contract(address)
        where = network.name if network is not None else (registered.network if registered else None)
        data = entry.get("data", "0x")
        if not isinstance(data, str):
            raise TypeError("`data` is not a hex string")
        return Event(
            chain="sahara",
            source="evm",
            block_number=number,
            position=position,
            event_type=RAW_LOG,
            block_time=block_time,
            block_hash=entry.get("blockHash"),
            payload={"address": address, "topics": topics, "data": data, "network": where, **base},
        )
    else:
        spec, contract = matched
        if contract.is_token:
            base |= {
                "network": contract.network,
                "chain_id": contract.chain_id,
                "token_symbol": contract.symbol,
                "token_decimals": contract.decimals,
            }
        try:
            payload = spec.decode(topics, entry.get("data") or "0x")
        except LogDecodeError as exc:
            problem = f"log matches {spec.event_type} by topic 0 but does not decode: {exc}"
        else:
            return Event(
                chain="sahara",
                source="evm",
                block_number=number,
                position=position,
                event_type=spec.event_type,
                block_time=block_time,
                block_hash=entry.get("blockHash"),
                payload={**base, **payload},
            )
    raw = {k: v for k, v in entry.items() if not k.startswith("_")}
    return QuarantinedRow(
        source="evm",
        chain="sahara",
        position=f"{number}:{position}",
        raw=payload_json(raw),
        reason=f"block {number} from {CONNECTION}: {problem}",
        rule="evm_log_decode",
        block_number=number,
    )


@dataclass
class EvmSource:
    """ChainSource for Sahara's EVM (family `sahara_contracts`)."""

    url: str
    range_blocks: int = 2_000
    max_range_blocks: int = 2_000
    grow_after: int = 3
    header_batch: int = 100
    concurrency: int = 8
    timeout: float = 30.0
    #: The contract registry (default: `etl.contracts.load_registry()`).
    registry: Registry | None = None
    source: str = field(default="evm", init=False)
    chain: str = field(default="sahara", init=False)
    family: str = field(default="sahara_contracts", init=False)

    def __post_init__(self) -> None:
        self.http = node_client(self.url, timeout=self.timeout, concurrency=self.concurrency)
        self._stream: str | None = None
        self._network: Network | None = None
        self.shrinks = 0
        self.grows = 0
        self.log_queries = 0

    @classmethod
    def from_connection(cls, **kwargs) -> EvmSource:
        from etl.connections import rpc_url

        return cls(rpc_url(CONNECTION), **kwargs)

    def close(self) -> None:
        self.http.close()

    # --- RPC -----------------------------------------------------------------------------------------

    def call(self, method: str, params: list, *, block: int | None = None) -> Any:
        try:
            return self.http.rpc(method, params)
        except RpcError as exc:
            raise self._translate(exc, block) from None

    def batch(self, method: str, params_list: list[list], *, first_block: int | None = None) -> list:
        """Results of one JSON-RPC batch, in request order; the first call the node failed raises."""
        out = []
        for offset, answer in enumerate(self.http.rpc_batch([(method, p) for p in params_list])):
            if answer.error is not None:
                raise self._translate(answer.error, None if first_block is None else first_block + offset)
            out.append(answer.result)
        return out

    def _translate(self, exc: RpcError, block: int | None) -> Exception:
        pruned = pruned_error(exc, CONNECTION, block)
        if pruned:
            return pruned
        return exc

    @property
    def stream(self) -> str:
        if self._stream is None:
            self._stream = str(int(self.call("eth_chainId", []), 16))
        return self._stream

    @property
    def network(self) -> Network:
        """The registry's network of the node's chain id, whose contracts this connector reads."""
        if self._network is None:
            registry = self.registry if self.registry is not None else load_registry()
            self._network = registry.network(int(self.stream))
        return self._network

    def finalized_head(self) -> int:
        # Sahara's EVM blocks are CometBFT blocks: final once committed.
        return int(self.call("eth_blockNumber", []), 16)

    def block_time(self, number: int) -> int:
        block = self.call("eth_getBlockByNumber", [hex(number), False], block=number)
        if block is None:
            raise RuntimeError(f"block {number} from {CONNECTION}: the node does not have it")
        return int(block["timestamp"], 16)

    # --- reading -------------------------------------------------------------------------------------

    def get_logs(self, start: int, end: int) -> list[dict]:
        """Every log of the registered contracts in blocks [start, end), in adaptive ranges."""
        out: list[dict] = []
        addresses = self.network.addresses(start, end)
        if not addresses:
            return out
        lo, streak = start, 0
        while lo < end:
            hi = min(end, lo + self.range_blocks)
            self.log_queries += 1
            query = {"fromBlock": hex(lo), "toBlock": hex(hi - 1), "address": addresses}
            try:
                logs = self.call("eth_getLogs", [query], block=lo)
            except RpcError as exc:
                if not _is_range_error(exc):
                    raise
                if hi - lo <= 1:
                    raise RuntimeError(
                        f"block {lo} from {CONNECTION}: eth_getLogs refuses even a single block ({exc.text})"
                    ) from None
                self.range_blocks = self._shrunk(exc, hi - lo)
                self.shrinks += 1
                streak = 0
                log.info(
                    "eth_getLogs [%s, %s) refused (%s); range now %s", lo, hi, exc.text, self.range_blocks
                )
                continue
            out.extend(logs)
            lo = hi
            streak += 1
            if streak >= self.grow_after and self.range_blocks < self.max_range_blocks:
                self.range_blocks = min(self.max_range_blocks, self.range_blocks * 2)
                self.grows += 1
                streak = 0
        return out

    @staticmethod
    def _shrunk(exc: RpcError, tried: int) -> int:
        limit = _LIMIT_HINT.search(exc.text)
        if limit:
            named = int(next(g for g in limit.groups() if g))
            if 0 < named < tried:
                return named
        suggested = _SUGGESTED.search(exc.text)
        if suggested:
            width = int(suggested.group(2), 16) - int(suggested.group(1), 16) + 1
            if 0 < width < tried:
                return width
        return max(1, tried // 2)

    def get_blocks(self, start: int, end: int) -> list[dict]:
        """Headers of blocks [start, end) through batched eth_getBlockByNumber, with bounded concurrency."""
        batches = [
            list(range(lo, min(end, lo + self.header_batch))) for lo in range(start, end, self.header_batch)
        ]

        def read(numbers: list[int]) -> list[dict]:
            blocks = self.batch(
                "eth_getBlockByNumber", [[hex(n), False] for n in numbers], first_block=numbers[0]
            )
            for number, block in zip(numbers, blocks, strict=True):
                if block is None:
                    raise RuntimeError(
                        f"block {number} from {CONNECTION}: the node does not have it (beyond its head?)"
                    )
            return blocks

        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return [block for blocks in pool.map(read, batches) for block in blocks]

    def fetch(self, start: int, end: int) -> ChainFetch:
        fetched = ChainFetch(start, end)
        if start >= end:
            return fetched
        with ThreadPoolExecutor(max_workers=1) as pool:  # the headers travel while the logs are read
            blocks = pool.submit(self.get_blocks, start, end)
            logs = self.get_logs(start, end)
            headers = {int(b["number"], 16): b for b in blocks.result()}
        times = {n: datetime.fromtimestamp(int(b["timestamp"], 16), UTC) for n, b in headers.items()}
        counts: dict[int, int] = {}
        for index, entry in enumerate(logs):
            number = _block_number(entry)
            if number is None:  # a log that names no block cannot be placed: kept whole, named by range
                fetched.quarantined.append(_malformed_log(f"{start}-{end}:entry {index}", None, entry,
                                                          "it names no block (`blockNumber` is not a hex quantity)"))  # fmt: skip
                continue
            block = headers.get(number)
            if block is None:
                raise ChainAuditError(
                    f"{CONNECTION}: eth_getLogs returned a log of block {number}, outside [{start}, {end})"
                )
            stated_hash = entry.get("blockHash")
            if isinstance(stated_hash, str) and stated_hash and stated_hash.lower() != block["hash"].lower():
                raise ChainAuditError(
                    f"block {number} from {CONNECTION}: a log names block hash {stated_hash} but the block "
                    f"is {block['hash']}; the chain changed between reads, nothing was written"
                )
            try:
                item = decode_log({**entry, "_block_time": times[number]}, self.network)
            except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as exc:
                item = _malformed_log(
                    f"{number}:entry {index}", number, entry, f"{type(exc).__name__}: {exc}"
                )
            (fetched.events if isinstance(item, Event) else fetched.quarantined).append(item)
            counts[number] = counts.get(number, 0) + 1
        for number in range(start, end):
            block = headers[number]
            fetched.blocks.append(
                BlockRef(
                    number=number,
                    hash=block["hash"],
                    parent_hash=block.get("parentHash"),
                    time=times[number],
                    event_count=counts.get(number, 0),
                )
            )
        return fetched


def _block_number(entry: Any) -> int | None:
    value = entry.get("blockNumber") if isinstance(entry, dict) else None
    if not isinstance(value, str) or not _HEX_QUANTITY.fullmatch(value):
        return None
    return int(value, 16)


def _malformed_log(position: str, number: int | None, entry: Any, why: str) -> QuarantinedRow:
    """A node's log entry that is not an eth_getLogs log at all, kept whole with the reason."""
    try:
        raw = json.dumps(entry, sort_keys=True, default=str)
    except (ValueError, RecursionError):
        raw = repr(type(entry))
    where = f"block {number}" if number is not None else f"entry {position}"
    return QuarantinedRow(
        source="evm",
        chain="sahara",
        position=position,
        raw=raw[:100_000],
        reason=f"{where} from {CONNECTION}: the eth_getLogs entry is not a log ({why})",
        rule="evm_log_shape",
        block_number=number,
    )


_HEX_QUANTITY = re.compile(r"0x[0-9a-fA-F]{1,64}")


# --- `decai decode evm-logs` -----------------------------------------------------------------------------


def _logs_of(body: Any) -> Iterator[dict]:
    if isinstance(body, list):
        for item in body:
            if isinstance(item, dict) and ("result" in item or "error" in item):
                yield from _logs_of(item)
            else:
                yield item
        return
    if isinstance(body, dict) and ("result" in body or "error" in body):
        yield from _logs_of(rpc_result(body, "capture", "eth_getLogs") or [])
        return
    raise ValueError("an eth_getLogs capture is the JSON-RPC envelope, a batch of them, or the list of logs")


def decode_capture(text: str, **_) -> Iterator[dict]:
    """`decai decode evm-logs FILE`: one JSON object per log of a captured `eth_getLogs` response.

    Logs carry no block time, so `block_time` is null.
    """
    try:
        body = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"the capture is not JSON that a node sends: {exc}") from None
    for index, entry in enumerate(_logs_of(body)):
        try:
            item = decode_log(entry)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            yield {
                "quarantined": True,
                "source": "evm",
                "position": f"entry {index}",
                "rule": "evm_log_shape",
                "reason": f"entry {index} of the capture is not an eth_getLogs log ({type(exc).__name__}: {exc})",
                "raw": json.dumps(entry, sort_keys=True, default=str),
            }
            continue
        yield capture_record(item, with_time=False)


__all__ = ["EvmSource", "PrunedNodeError", "decode_capture", "decode_log"]
