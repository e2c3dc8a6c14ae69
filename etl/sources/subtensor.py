"""Bittensor's subtensor chain over Substrate JSON-RPC: finalized blocks in, canonical events out.

`SubtensorSource` is the `ChainSource` of the chain pipeline (`etl/pipeline/chain.py`). For blocks
[start, end) it reads, in JSON-RPC batches over HTTP with a few batches in flight:

- `chain_getBlockHash`, `chain_getBlock` (the header, whose parent hash the chain audit checks, and
  the block body),
- `state_getStorage` of `System.Events` and `Timestamp.Now` at each block,
- `state_getRuntimeVersion` at the range ends (and by bisection only where the spec changes),
- `state_getMetadata` once per runtime spec version (cached for the process).

Events of block n were written by the runtime of its parent (a runtime upgrade enacted in block n
takes effect from block n + 1), so block n is decoded with the metadata of spec_version(n - 1).
Every record becomes an `Event` (`Pallet.Event`, position "{extrinsic|i|f}.{index}") or, when it
cannot be decoded, a `QuarantinedRow` naming the block and the record.

Metagraph observations: at each subnet's epoch block inside the range (subtensor's rule
`(block + netuid + 1) % (tempo + 1) == 0`), `NeuronInfoRuntimeApi_get_neurons_lite` gives one
`SubtensorModule.NeuronObserved` per UID and `SubnetInfoRuntimeApi_get_dynamic_info` one
`SubtensorModule.SubnetObserved`; which subnets exist comes from `get_all_dynamic_info` at the range
ends. Scores stay raw u16 (divide by 65535); stake and emission are rao strings.

Emission observations: at every block b of the range (and its parent start - 1), one
`state_queryStorageAt` reads `TotalIssuance`, `BlockEmission`, `SubnetOwnerCut` and, for each subnet
known at the range ends, `SubnetTAO`, `SubnetAlphaIn`, `SubnetAlphaOut`, `SubnetTaoInEmission`,
`SubnetExcessTao`, `SubnetAlphaInEmission`, `SubnetAlphaOutEmission` (the emission items hold only
the latest block's value, so every block is read). Each block gives one
`SubtensorModule.EmissionObserved` (position `obs.emission`): total_issuance (at b),
total_issuance_before (at b - 1), minted (BlockEmission read at b - 1: what block b minted),
owner_cut (u16) and `subnets`, one entry per subnet existing at b (root included), sorted by netuid,
amounts as integer strings (rao, or alpha base units). A subnet whose items are all empty at b does
not exist there.

Extrinsics: every signed extrinsic of a block body (decoded with the metadata of the runtime that
applied it, as its events are) gives one `System.ExtrinsicObserved` (position `obs.xt.{index}`):
index, signer (SS58), nonce, tip (rao), the call's pallet and name, and the extrinsic's hash. Its fee
and outcome are its events, `TransactionPayment.TransactionFeePaid` and `System.ExtrinsicSuccess` /
`ExtrinsicFailed`, at phase `{index}`. An extrinsic that cannot be read is quarantined, named.

Extrinsic observations and account snapshots are read when `accounts` is on (by default, with the
observations); without it the block bodies are not read (`chain_getHeader` instead of `chain_getBlock`).

Accounts: at the first block of each UTC day in
the range, the state its parent left (the previous day's last block) is read: `System.Account`, paged
by key (`state_getKeysPaged`, ACCOUNT_PAGE keys at a time, then `state_queryStorageAt` for their
values). Each page is one `System.AccountsObserved` (position `obs.accounts.{page}`, on the first
block of the new day): `day` (the UTC day that ended), `at_block` (its last block), `page`, `pages`
and `accounts`, one {account (SS58), free, reserved, frozen (rao), nonce} per key, in key order. The
snapshot is a pure function of the chain at that block, so a re-read gives the same events.

A pruned node (state discarded for old blocks) raises `StatePrunedError`: use an archive endpoint.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import re
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from etl.decode import capture_record
from etl.events import BlockRef, ChainFetch, Event, QuarantinedRow
from etl.http import HttpClient, RetryPolicy, RpcAnswer, RpcError
from etl.settings import endpoint
from etl.sources.subtensor_codec import (
    DecodedEvent,
    DecodedExtrinsic,
    Runtime,
    UndecodedEvent,
    _account,
    _strip_envelope,
    amount_fields,
    decode_neurons_lite,
    is_decoder_failure,
    runtime_from_metadata,
    runtime_from_v15_option,
    ss58_encode,
    storage_bytes,
    storage_key,
    storage_uint,
    strict_hex_bytes,
)

log = logging.getLogger(__name__)

CHAIN = "bittensor"
SOURCE = "subtensor"
EVENTS_KEY = "0x26aa394eea5630e07c48ae0c9558cef780d41e5e16056765bc8461851072c9d7"
TIMESTAMP_NOW_KEY = "0xf0c365c3cf59d671eb72da0e7a4113c49f1f0515f462cdcf84e0f1d6045dfcbb"
ARCHIVE_ENDPOINT = "wss://archive.chain.opentensor.ai:443"
V15 = "0x0f000000"  # u32 15, the argument of Metadata_metadata_at_version
DEFAULT_TEMPO = 360
EMISSION_EVENT = "SubtensorModule.EmissionObserved"
#: Per-subnet storage maps read at every block, with their payload names (all u64).
EMISSION_MAPS = (
    ("SubnetTAO", "subnet_tao"),
    ("SubnetAlphaIn", "subnet_alpha_in"),
    ("SubnetAlphaOut", "subnet_alpha_out"),
    ("SubnetTaoInEmission", "tao_in_emission"),
    ("SubnetExcessTao", "excess_tao"),
    ("SubnetAlphaInEmission", "alpha_in_emission"),
    ("SubnetAlphaOutEmission", "alpha_out_emission"),
)
TOTAL_ISSUANCE_KEY = storage_key("SubtensorModule", "TotalIssuance")
BLOCK_EMISSION_KEY = storage_key("SubtensorModule", "BlockEmission")
OWNER_CUT_KEY = storage_key("SubtensorModule", "SubnetOwnerCut")
ACCOUNT_PREFIX = storage_key("System", "Account")
#: Keys per `state_getKeysPaged` call (the most a Substrate node answers).
ACCOUNT_PAGE = 1000
EXTRINSIC_EVENT = "System.ExtrinsicObserved"
ACCOUNTS_EVENT = "System.AccountsObserved"
ALL_DYNAMIC_INFO = "SubnetInfoRuntimeApi_get_all_dynamic_info"


class SubtensorRpcError(RuntimeError):
    """The node answered a JSON-RPC error."""

    def __init__(self, method: str, params: list, error: dict) -> None:
        self.method, self.params, self.error = method, params, error
        super().__init__(f"{method}{params}: node error {error.get('code')}: {error.get('message')}")


class StatePrunedError(RuntimeError):
    """The node no longer has the state of a block the range needs."""


#: Runtime calls (`state_call`) per JSON-RPC batch: each answer is a subnet's whole neuron list.
STATE_CALL_BATCH = 16


class JsonRpcHttp:
    """Substrate JSON-RPC over HTTP through the shared client (`etl/http.py`): batches of `batch_size`
    calls, `concurrency` batches in flight, transient failures retried (`attempts` in all); a call the
    node answers with an error raises `SubtensorRpcError`, or `StatePrunedError` for discarded state."""

    def __init__(
        self,
        url: str,
        *,
        batch_size: int = 150,
        concurrency: int = 8,
        timeout: float = 60.0,
        attempts: int = 6,
    ) -> None:
        self.url = url
        self.batch_size = batch_size
        self.http = HttpClient(
            url,
            retry=RetryPolicy(attempts=attempts, backoff_initial=0.2, backoff_max=10.0, max_wait=30.0),
            timeout=timeout,
            max_in_flight=concurrency,
        )

    @property
    def _client(self) -> httpx.Client:
        """The httpx client underneath (the benchmarks put one serving the devnet in process there)."""
        return self.http.client

    @_client.setter
    def _client(self, client: httpx.Client) -> None:
        self.http.client = client

    @property
    def requests(self) -> int:
        return self.http.requests

    def close(self) -> None:
        self.http.close()

    def _size(self, calls: list[tuple[str, list]]) -> int:
        # A runtime call makes the node work out a whole metagraph: a batch of 150 of them can outlast
        # a read timeout on a busy node, and its retry would ask for all of them again.
        if calls and all(method == "state_call" for method, _ in calls):
            return min(self.batch_size, STATE_CALL_BATCH)
        return self.batch_size

    def answers(self, calls: list[tuple[str, list]]) -> list[RpcAnswer]:
        """The answers (a result or the node's error for that call) to `calls`, in order."""
        return self.http.rpc_batch(calls, batch_size=self._size(calls))

    def results(self, calls: list[tuple[str, list]], blocks: list[int] | None = None) -> list[Any]:
        """The results of `calls`; an error raises (naming the block from `blocks` when given)."""
        try:
            answers = self.answers(calls)
        except RpcError as exc:  # the node refused a whole batch (one error object for it)
            raise SubtensorRpcError(exc.method, [], _error_object(exc)) from None
        out = []
        for i, answer in enumerate(answers):
            if answer.error is not None:
                method, params = calls[i]
                raise _classify(method, params, answer.error, blocks[i] if blocks else None)
            out.append(answer.result)
        return out

    def call(self, method: str, *params: Any) -> Any:
        return self.results([(method, list(params))])[0]

    def prefetch(self, calls: list[tuple[str, list]]) -> None:
        """Put `calls` on the wire now; `results` takes their answers when it asks for them."""
        self.http.prefetch(calls, batch_size=self._size(calls))

    def forget_prefetched(self) -> None:
        self.http.forget_prefetched()


_PRUNED = re.compile(r"state already discarded|state .* (is )?not available|pruned", re.IGNORECASE)


def _classify(method: str, params: list, error: RpcError, block: int | None) -> Exception:
    if _PRUNED.search(error.text):
        where = f"block {block}" if block is not None else f"the block of {params[-1] if params else '?'}"
        return StatePrunedError(
            f"subtensor: the node has discarded the state of {where} ({error.message}); it is a "
            f"pruned node. Point the `bittensor_rpc` connection at an archive node, e.g. "
            f"{ARCHIVE_ENDPOINT}, to read history this old."
        )
    return SubtensorRpcError(method, params, _error_object(error))


def _error_object(error: RpcError) -> dict:
    return {"code": error.code, "message": error.message, "data": error.data}


def _block_calls(numbers: Iterable[int], hashes: dict[int, str], bodies: bool) -> list[tuple[str, list]]:
    """Header (with `bodies`, the whole block), System.Events and Timestamp.Now of each block, in that order."""
    return [
        call
        for n in numbers
        for call in (
            ("chain_getBlock" if bodies else "chain_getHeader", [hashes[n]]),
            ("state_getStorage", [EVENTS_KEY, hashes[n]]),
            ("state_getStorage", [TIMESTAMP_NOW_KEY, hashes[n]]),
        )
    ]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "subtensor"


def _block_time(timestamp_hex: str | None, number: int) -> datetime:
    if not timestamp_hex:
        raise ValueError(f"block {number}: Timestamp.Now is empty; cannot date the block")
    millis = int.from_bytes(bytes.fromhex(timestamp_hex[2:]), "little")
    return datetime.fromtimestamp(millis / 1000, UTC)


@dataclass
class _Block:
    number: int
    hash: str
    parent_hash: str
    time: datetime
    events_raw: bytes
    extrinsics: list = None  # type: ignore[assignment]  # the body's hex strings


class SubtensorSource:
    """The subtensor connector (`ChainSource`): finalized blocks, decoded with their own runtime."""

    source = SOURCE
    chain = CHAIN
    family = "bittensor"
    _runtime_cache: dict[tuple[str, int, str], Runtime] = {}  # (genesis, spec, kind) -> runtime
    _cache_lock = threading.Lock()

    def __init__(
        self,
        url: str,
        *,
        stream: str | None = None,
        batch_size: int = 150,
        concurrency: int = 8,
        observations: bool = True,
        accounts: bool | None = None,
    ) -> None:
        self.url = url
        self.rpc = JsonRpcHttp(url, batch_size=batch_size, concurrency=concurrency)
        self.observations = observations
        self.accounts = observations if accounts is None else accounts
        self._stream = stream
        self._genesis: str | None = None

    def close(self) -> None:
        self.rpc.close()

    def __enter__(self) -> SubtensorSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ identity and head
    @property
    def genesis(self) -> str:
        if self._genesis is None:
            self._genesis = self.rpc.call("chain_getBlockHash", 0)
        return self._genesis

    @property
    def stream(self) -> str:
        """The network's name from `system_chain` plus its genesis hash, e.g. `bittensor-2f0555cc`."""
        if self._stream is None:
            name, genesis = self.rpc.results([("system_chain", []), ("chain_getBlockHash", [0])])
            self._genesis = genesis
            self._stream = f"{_slug(name)}-{genesis[2:10]}"
        return self._stream

    def finalized_head(self) -> int:
        head_hash = self.rpc.call("chain_getFinalizedHead")
        return int(self.rpc.call("chain_getHeader", head_hash)["number"], 16)

    def block_hashes(self, numbers: list[int]) -> list[str]:
        hashes = self.rpc.results([("chain_getBlockHash", [n]) for n in numbers], numbers)
        for n, h in zip(numbers, hashes, strict=True):
            if h is None:
                raise ValueError(f"subtensor: block {n} does not exist yet on {endpoint(self.url)}")
        return hashes

    def block_time(self, number: int) -> int:
        """Unix seconds of a block (its Timestamp.Now), for mapping times to blocks."""
        (block_hash,) = self.block_hashes([number])
        raw = self.rpc.results([("state_getStorage", [TIMESTAMP_NOW_KEY, block_hash])], [number])[0]
        return int(_block_time(raw, number).timestamp())

    # ------------------------------------------------------------------ runtimes
    def _spec_of(self, hashes: dict[int, str], lo: int, hi: int) -> dict[int, int]:
        """spec_version for every block in [lo, hi], asking only at the ends and where it changes."""
        known: dict[int, int] = {}

        def ask(numbers: list[int]) -> None:
            todo = [n for n in numbers if n not in known]
            if todo:
                answers = self.rpc.results([("state_getRuntimeVersion", [hashes[n]]) for n in todo], todo)
                known.update({n: a["specVersion"] for n, a in zip(todo, answers, strict=True)})

        ask([lo, hi])
        spans = [(lo, hi)]
        while spans:
            a, b = spans.pop()
            if known[a] == known[b] or b - a <= 1:
                continue
            mid = (a + b) // 2
            ask([mid])
            spans += [(a, mid), (mid, b)]
        # Between two neighbouring known points the spec is constant or they are adjacent blocks.
        points = sorted(known)
        out = {k: known[n] for n, nxt in zip(points, points[1:], strict=False) for k in range(n, nxt)}
        out[points[-1]] = known[points[-1]]
        return out

    def runtime(self, spec: int, block_hash: str, *, v15: bool = False) -> Runtime:
        """The metadata of runtime `spec` (read at a block of that spec), cached per process."""
        key = (self.genesis, spec, "v15" if v15 else "v14")
        with self._cache_lock:
            cached = self._runtime_cache.get(key)
        if cached is not None:
            return cached
        if v15:
            option = self.rpc.call("state_call", "Metadata_metadata_at_version", V15, block_hash)
            runtime = runtime_from_v15_option(bytes.fromhex(option[2:]), spec)
        else:
            runtime = runtime_from_metadata(self.rpc.call("state_getMetadata", block_hash), spec)
        log.info("subtensor: loaded %s metadata of spec %s", "V15" if v15 else "V14", spec)
        with self._cache_lock:
            self._runtime_cache[key] = runtime
        return runtime

    # ------------------------------------------------------------------ fetch
    def fetch(self, start: int, end: int) -> ChainFetch:
        """Blocks [start, end), which must be finalized: events, quarantined records, block refs."""
        if end <= start:
            return ChainFetch(start, end)
        first = max(0, start - 1)  # the parent of `start`, whose runtime wrote start's events
        numbers = list(range(first, end))
        # Pipelined: the hashes travel while the finalized head is read (two round trips, one
        # after the other), then every read that needs only the hashes (blocks, runtime versions and
        # subnets at the ends) travels while the head's second answer is awaited; nothing is decoded
        # before the head is known to cover the range.
        self.rpc.forget_prefetched()
        self.rpc.prefetch([("chain_getBlockHash", [n]) for n in numbers])
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="head") as pool:
            head = pool.submit(self.finalized_head)
            try:
                hashes = dict(zip(numbers, self.block_hashes(numbers), strict=True))
            except Exception:
                self._check_head(head.result(), end)  # past the head: say so rather than "no block"
                raise
            ahead = _block_calls(range(start, end), hashes, self.accounts)
            ahead += [("state_getRuntimeVersion", [hashes[n]]) for n in sorted({first, end - 1})]
            if self.observations:
                ahead += [
                    ("state_call", [ALL_DYNAMIC_INFO, "0x", hashes[n]]) for n in sorted({start, end - 1})
                ]
            self.rpc.prefetch(ahead)
            self._check_head(head.result(), end)
        blocks = self._read_blocks(start, end, hashes)
        specs = self._spec_of(hashes, first, end - 1)
        subnets: dict[int, int] | None = None
        held: list[QuarantinedRow] = []
        if self.observations:
            # The subnets at the range ends say which epochs to observe: those reads go out now and
            # travel while the blocks are decoded.
            subnets, held = self._subnets_at_ends(start, end, hashes, specs)
            if subnets is not None:
                self.rpc.prefetch(_observation_calls(start, end, hashes, subnets))
                self.rpc.prefetch(_emission_calls(start, end, hashes, sorted(subnets)))
        fetched = ChainFetch(start, end)
        by_spec: dict[int, list[_Block]] = {}
        for block in blocks:
            by_spec.setdefault(specs[max(0, block.number - 1)], []).append(block)
        for spec, group in sorted(by_spec.items()):
            parent = max(0, group[0].number - 1)
            decode_into(fetched, self.runtime(spec, hashes[parent]), spec, group)
        fetched.blocks.sort(key=lambda b: b.number)
        if self.accounts:
            self._observe_accounts(fetched, start, blocks, hashes, specs)
        if self.observations:
            fetched.quarantined.extend(held)
            if subnets is not None:
                times = {b.number: b.time for b in blocks}
                self._observe(fetched, start, end, hashes, specs, times, subnets)
                self._observe_emission(fetched, start, end, hashes, specs, times, sorted(subnets))
        return fetched

    def _check_head(self, head: int, end: int) -> None:
        if end - 1 > head:
            self.rpc.forget_prefetched()
            raise ValueError(
                f"subtensor: blocks up to {end - 1} requested but the finalized head is {head}; "
                "only finalized blocks are ingested"
            )

    def _read_blocks(self, start: int, end: int, hashes: dict[int, str]) -> list[_Block]:
        numbers = list(range(start, end))
        calls = _block_calls(numbers, hashes, self.accounts)
        owners = [n for n in numbers for _ in range(3)]
        results = self.rpc.results(calls, owners)
        blocks = []
        for i, n in enumerate(numbers):
            answer, events_hex, timestamp_hex = results[3 * i : 3 * i + 3]
            header, body = answer, None
            if self.accounts:  # chain_getBlock: the header and the body
                block = answer.get("block") if isinstance(answer, dict) else None
                header = block.get("header") if isinstance(block, dict) else None
                body = block.get("extrinsics") if isinstance(block, dict) else None
                if header is not None and not isinstance(body, list):
                    raise ValueError(f"subtensor: block {n} ({hashes[n]}) has no list of extrinsics")
            if header is None:
                raise ValueError(f"subtensor: the node has no header for block {n} ({hashes[n]})")
            if int(header["number"], 16) != n:
                raise ValueError(f"subtensor: block hash {hashes[n]} is block {header['number']}, not {n}")
            blocks.append(
                _Block(
                    n,
                    hashes[n],
                    header["parentHash"],
                    _block_time(timestamp_hex, n),
                    storage_bytes(events_hex),
                    body,
                )
            )
        return blocks

    # ------------------------------------------------------------------ accounts
    def _observe_accounts(
        self,
        fetched: ChainFetch,
        start: int,
        blocks: list[_Block],
        hashes: dict[int, str],
        specs: dict[int, int],
    ) -> None:
        """At the first block of each UTC day in the range: System.Account as the previous day left it."""
        if not blocks:
            return
        first = blocks[0].number
        times = {b.number: b.time for b in blocks}
        if first > 0 and first - 1 not in times:
            times[first - 1] = datetime.fromtimestamp(self.block_time(first - 1), UTC)
        for block in blocks:
            parent = block.number - 1
            if parent < 0 or times[parent].date() == block.time.date():
                continue
            runtime = self.runtime(specs[parent], hashes[parent])
            for row in self._account_pages(runtime, block, parent, hashes[parent], times[parent]):
                (fetched.events if isinstance(row, Event) else fetched.quarantined).append(row)

    def _account_pages(
        self, runtime: Runtime, block: _Block, parent: int, parent_hash: str, parent_time: datetime
    ) -> list[Event | QuarantinedRow]:
        pages: list[list[str]] = []
        last = None
        while True:
            params = [ACCOUNT_PREFIX, ACCOUNT_PAGE, last, parent_hash]
            keys = self.rpc.results([("state_getKeysPaged", params)], [parent])[0] or []
            if keys:
                pages.append(keys)
                last = keys[-1]
            if len(keys) < ACCOUNT_PAGE:
                break
        calls = [("state_queryStorageAt", [keys, parent_hash]) for keys in pages]
        answers = self.rpc.results(calls, [parent] * len(pages))
        rows: list[Event | QuarantinedRow] = []
        for page, (keys, answer) in enumerate(zip(pages, answers, strict=True)):
            values = _storage_changes(answer)
            position = f"obs.accounts.{page}"
            try:
                accounts = account_rows(runtime, keys, [values.get(k.lower()) for k in keys])
            except ValueError as exc:
                rows.append(
                    QuarantinedRow(
                        SOURCE, CHAIN, f"{block.number}:{position}", json.dumps(values, sort_keys=True)[:100_000],
                        f"block {parent} ({parent_hash}): System.Account page {page} cannot be read ({exc})",
                        "decode_error", block.number,
                    )
                )  # fmt: skip
                continue
            rows.append(
                Event(
                    chain=CHAIN,
                    source=SOURCE,
                    block_number=block.number,
                    position=position,
                    event_type=ACCOUNTS_EVENT,
                    block_time=block.time,
                    payload={
                        "day": parent_time.date().isoformat(),
                        "at_block": parent,
                        "page": page,
                        "pages": len(pages),
                        "accounts": accounts,
                    },
                    block_hash=block.hash,
                    spec_version=runtime.spec_version,
                )
            )
        return rows

    # ------------------------------------------------------------------ metagraph observations
    def _subnets_at_ends(
        self, start: int, end: int, hashes: dict[int, str], specs: dict[int, int]
    ) -> tuple[dict[int, int] | None, list[QuarantinedRow]]:
        """The subnets known at the range ends (netuid -> tempo), or None when the node could not say
        which exist (with the quarantined answer, if one could not be decoded)."""
        subnets: dict[int, int] = {}
        for n in sorted({start, end - 1}):
            try:
                runtime = self.runtime(specs[n], hashes[n], v15=True)
                raw = self.rpc.results([("state_call", [ALL_DYNAMIC_INFO, "0x", hashes[n]])], [n])[0]
            except SubtensorRpcError as exc:  # a runtime without these APIs: events still count
                log.warning("subtensor: no metagraph observations at block %s (%s)", n, exc)
                return None, []
            try:
                for info in runtime.decode_api(
                    "SubnetInfoRuntimeApi_get_all_dynamic_info", strict_hex_bytes(raw, "get_all_dynamic_info")
                ):
                    if info:
                        subnets[int(info["netuid"])] = int(info.get("tempo") or DEFAULT_TEMPO)
            except (ValueError, TypeError, KeyError) as exc:  # a malformed answer: quarantined, events count
                return None, [
                    QuarantinedRow(SOURCE, CHAIN, f"{n}:obs.subnets", _raw_text(raw),
                                   f"block {n} ({hashes[n]}): get_all_dynamic_info cannot be decoded "
                                   f"({type(exc).__name__}: {exc}); no metagraph observations in this chunk",
                                   "decode_error", n)
                ]  # fmt: skip
        return subnets, []

    def _observe(
        self,
        fetched: ChainFetch,
        start: int,
        end: int,
        hashes: dict[int, str],
        specs: dict[int, int],
        times: dict[int, datetime],
        subnets: dict[int, int],
    ) -> None:
        """Metagraph observations at the epochs in the range of the `subnets` (netuid -> tempo)."""
        targets = _epoch_targets(start, end, subnets)
        if not targets:
            return
        owners = [b for b, _ in targets for _ in range(2)]
        results = self.rpc.results(_observation_calls(start, end, hashes, subnets), owners)
        for i, (b, netuid) in enumerate(targets):
            spec = specs[b]
            runtime = self.runtime(spec, hashes[b], v15=True)
            neurons_hex, subnet_hex = results[2 * i], results[2 * i + 1]
            for row in observation_rows(
                neurons_hex,
                subnet_hex,
                runtime,
                netuid=netuid,
                block=b,
                block_hash=hashes[b],
                block_time=times[b],
                spec_version=spec,
            ):
                if isinstance(row, Event):
                    fetched.events.append(row)
                else:
                    fetched.quarantined.append(row)

    def _observe_emission(
        self,
        fetched: ChainFetch,
        start: int,
        end: int,
        hashes: dict[int, str],
        specs: dict[int, int],
        times: dict[int, datetime],
        netuids: list[int],
    ) -> None:
        """One EmissionObserved per block of [start, end), from one storage query per block."""
        numbers = list(range(max(0, start - 1), end))
        calls = _emission_calls(start, end, hashes, netuids)
        values: dict[int, dict[str, Any]] = {}
        for n, answer in zip(numbers, self.rpc.results(calls, numbers), strict=True):
            values[n] = _storage_changes(answer)
        for b in range(start, end):
            row = emission_row(
                values[b],
                values.get(b - 1),
                netuids,
                block=b,
                block_hash=hashes[b],
                block_time=times[b],
                spec_version=specs[b],
            )
            (fetched.events if isinstance(row, Event) else fetched.quarantined).append(row)


def _epoch_targets(start: int, end: int, subnets: dict[int, int]) -> list[tuple[int, int]]:
    """(block, netuid) of every subnet epoch in [start, end)."""
    return [
        (b, netuid)
        for netuid, tempo in sorted(subnets.items())
        for b in epoch_blocks(netuid, tempo, start, end)
    ]


def _observation_calls(
    start: int, end: int, hashes: dict[int, str], subnets: dict[int, int]
) -> list[tuple[str, list]]:
    """The neurons and the subnet of each epoch in [start, end), two calls per epoch."""
    calls: list[tuple[str, list]] = []
    for b, netuid in _epoch_targets(start, end, subnets):
        arg = "0x" + netuid.to_bytes(2, "little").hex()
        calls += [
            ("state_call", ["NeuronInfoRuntimeApi_get_neurons_lite", arg, hashes[b]]),
            ("state_call", ["SubnetInfoRuntimeApi_get_dynamic_info", arg, hashes[b]]),
        ]
    return calls


def _emission_calls(
    start: int, end: int, hashes: dict[int, str], netuids: list[int]
) -> list[tuple[str, list]]:
    """The storage query of each block of [start - 1, end) that its EmissionObserved reads."""
    plain = [TOTAL_ISSUANCE_KEY, BLOCK_EMISSION_KEY, OWNER_CUT_KEY]
    keys = plain + [storage_key("SubtensorModule", item, n) for n in netuids for item, _ in EMISSION_MAPS]
    return [
        ("state_queryStorageAt", [keys if n >= start else plain, hashes[n]])
        for n in range(max(0, start - 1), end)
    ]


def _storage_changes(answer: Any) -> dict[str, Any]:
    """key -> value of a `state_queryStorageAt` answer (a list of change sets); anything else is {}."""
    out: dict[str, Any] = {}
    if isinstance(answer, list):
        for change_set in answer:
            changes = change_set.get("changes") if isinstance(change_set, dict) else None
            for change in changes if isinstance(changes, list) else []:
                if isinstance(change, list | tuple) and len(change) == 2 and isinstance(change[0], str):
                    out[change[0].lower()] = change[1]
    return out


def emission_row(
    at: dict[str, Any],
    parent: dict[str, Any] | None,
    netuids: list[int],
    *,
    block: int,
    block_hash: str | None,
    block_time: datetime,
    spec_version: int | None,
) -> Event | QuarantinedRow:
    """The EmissionObserved of `block` from the storage read at it and at its parent (None at genesis:
    nothing minted, issuance before = after). A value that is not a SCALE u64 / u16 is quarantined."""
    try:
        issuance = storage_uint(at.get(TOTAL_ISSUANCE_KEY), 8, "TotalIssuance")
        if issuance is None:
            raise ValueError("TotalIssuance is empty")
        if parent is None:
            before, minted = issuance, 0
        else:
            before = storage_uint(parent.get(TOTAL_ISSUANCE_KEY), 8, "TotalIssuance at the parent")
            minted = storage_uint(parent.get(BLOCK_EMISSION_KEY), 8, "BlockEmission at the parent")
            if before is None or minted is None:
                raise ValueError("TotalIssuance or BlockEmission is empty at the parent block")
        owner_cut = storage_uint(at.get(OWNER_CUT_KEY), 2, "SubnetOwnerCut")
        subnets = []
        for netuid in netuids:
            amounts = [
                storage_uint(at.get(storage_key("SubtensorModule", item, netuid)), 8, f"{item}({netuid})")
                for item, _name in EMISSION_MAPS
            ]
            if all(a is None for a in amounts):
                continue  # the subnet does not exist at this block
            fields = {name: str(a or 0) for (_item, name), a in zip(EMISSION_MAPS, amounts, strict=True)}
            subnets.append({"netuid": netuid, **fields})
    except ValueError as exc:
        return QuarantinedRow(
            SOURCE,
            CHAIN,
            f"{block}:obs.emission",
            json.dumps({"at": at, "parent": parent}, sort_keys=True, default=str),
            f"block {block}{f' ({block_hash})' if block_hash else ''}: the emission storage cannot be "
            f"read ({exc})",
            "decode_error",
            block,
        )
    return Event(
        chain=CHAIN,
        source=SOURCE,
        block_number=block,
        position="obs.emission",
        event_type=EMISSION_EVENT,
        block_time=block_time,
        payload={
            "total_issuance": str(issuance),
            "total_issuance_before": str(before),
            "minted": str(minted),
            "owner_cut": owner_cut if owner_cut is not None else 0,
            "subnets": subnets,
        },
        block_hash=block_hash,
        spec_version=spec_version,
    )


def epoch_blocks(netuid: int, tempo: int, start: int, end: int) -> list[int]:
    """Blocks in [start, end) where subnet `netuid` runs its epoch: (block + netuid + 1) % (tempo + 1) == 0."""
    period = tempo + 1
    first = start + (-(start + netuid + 1)) % period
    return list(range(first, end, period))


def _hex_bytes(value: str | None) -> bytes:
    return bytes.fromhex(value[2:]) if value else b""


def decode_into(fetched: ChainFetch, runtime: Runtime, spec: int, blocks: list[_Block]) -> None:
    """Blocks whose events one runtime wrote, from their System.Events bytes to what the store appends:
    a `BlockRef` per block and an `Event` per record (a `QuarantinedRow` where a record cannot be read).

    The cyclic garbage collector waits while it runs (see `_collector_paused`)."""
    with _collector_paused():
        decoded = runtime.decode_blocks([b.events_raw for b in blocks])
        has_bodies = blocks[0].extrinsics is not None
        bodies = runtime.decode_extrinsics([b.extrinsics for b in blocks]) if has_bodies else None
        refs, new, set_fields = fetched.blocks, object.__new__, object.__setattr__
        for i, (block, (count, records)) in enumerate(zip(blocks, decoded, strict=True)):
            ref = new(BlockRef)  # what BlockRef(...) gives, without a checked setattr per field
            set_fields(ref, "__dict__", {
                "number": block.number, "hash": block.hash, "parent_hash": block.parent_hash,
                "time": block.time, "spec_version": spec, "event_count": count,
            })  # fmt: skip
            refs.append(ref)
            _collect(fetched, block.number, block.hash, block.time, spec, records)
            if bodies is not None:
                _collect_extrinsics(fetched, block, spec, bodies[i])


_collector_lock = threading.Lock()
_collector_pausers = 0
_collector_was_enabled = False


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a chunk of blocks is decoded, then back as it was.

    Decoding makes many containers and frees them by reference counting (bt-decode's records, payloads,
    events), none of them in a cycle; with the collector on, their number alone sets off collections
    that walk every object of the process, a full one per few thousand blocks. Nested and concurrent
    decodes share one pause: the collector comes back when the last of them ends, if it was on."""
    global _collector_pausers, _collector_was_enabled
    with _collector_lock:
        if _collector_pausers == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _collector_pausers += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector_pausers -= 1
            if _collector_pausers == 0 and _collector_was_enabled:
                gc.enable()


def _collect(
    fetched: ChainFetch,
    number: int,
    block_hash: str,
    block_time: datetime,
    spec: int,
    records: Iterable[DecodedEvent | UndecodedEvent],
) -> None:
    make = None  # the block's Event factory, once it has a readable record
    events = fetched.events
    for record in records:
        if type(record) is DecodedEvent:
            if make is None:
                make = Event.block_factory(CHAIN, SOURCE, number, block_time, block_hash, spec)
            events.append(
                make(f"{record.phase}.{record.index}", f"{record.pallet}.{record.name}", record.payload)
            )
        else:
            fetched.quarantined.append(
                QuarantinedRow(
                    source=SOURCE,
                    chain=CHAIN,
                    position=f"{number}:{record.index}",
                    raw=record.raw,
                    reason=f"block {number}{f' ({block_hash})' if block_hash else ''}: {record.reason}",
                    rule="decode_error",
                    block_number=number,
                )
            )


def _collect_extrinsics(fetched: ChainFetch, block: _Block, spec: int, extrinsics: list) -> None:
    """One ExtrinsicObserved per signed extrinsic of the body; an unreadable one is quarantined."""
    for x in extrinsics:
        if isinstance(x, DecodedExtrinsic):
            if x.signer is None:
                continue  # an inherent (the timestamp): nobody signed it
            fetched.events.append(
                Event(
                    chain=CHAIN,
                    source=SOURCE,
                    block_number=block.number,
                    position=f"obs.xt.{x.index}",
                    event_type=EXTRINSIC_EVENT,
                    block_time=block.time,
                    payload={
                        "index": x.index,
                        "signer": x.signer,
                        "nonce": x.nonce,
                        "tip": None if x.tip is None else str(x.tip),
                        "pallet": x.pallet,
                        "call": x.call,
                        "hash": x.hash,
                    },
                    block_hash=block.hash,
                    spec_version=spec,
                )
            )
        else:
            fetched.quarantined.append(
                QuarantinedRow(
                    source=SOURCE,
                    chain=CHAIN,
                    position=f"{block.number}:obs.xt.{x.index}",
                    raw=x.raw,
                    reason=f"block {block.number} ({block.hash}): {x.reason}",
                    rule="decode_error",
                    block_number=block.number,
                )
            )


def account_rows(runtime: Runtime, keys: list[str], values: list[Any]) -> list[dict]:
    """The accounts of one System.Account page: the account id is the key's last 32 bytes (after the
    Blake2_128Concat hash, which is checked); amounts as integer strings (rao)."""
    ids, raws = [], []
    for key, value in zip(keys, values, strict=True):
        raw_key = strict_hex_bytes(key, "System.Account key")
        prefix = bytes.fromhex(ACCOUNT_PREFIX[2:])
        if len(raw_key) != len(prefix) + 48 or not raw_key.startswith(prefix):
            raise ValueError(f"{key[:80]} is not a System.Account key")
        account = raw_key[-32:]
        if hashlib.blake2b(account, digest_size=16).digest() != raw_key[len(prefix) : len(prefix) + 16]:
            raise ValueError(f"{key[:80]}: its Blake2_128 hash does not match its account id")
        if value is None:
            raise ValueError(f"{key[:80]} has no value at this block")
        ids.append(ss58_encode(account))
        raws.append(strict_hex_bytes(value, "System.Account value"))
    infos = runtime.decode_account_infos(raws)
    return [
        {
            "account": account,
            "free": str(info["data"]["free"]),
            "reserved": str(info["data"]["reserved"]),
            "frozen": str(info["data"]["frozen"]),
            "nonce": int(info["nonce"]),
        }
        for account, info in zip(ids, infos, strict=True)
    ]


# ---------------------------------------------------------------------------- observations
def neuron_payload(neuron: Any) -> dict[str, Any]:
    """One NeuronInfoLite (bt-decode's compiled layout) as an observation payload."""
    return amount_fields(
        {
            "uid": int(neuron.uid),
            "netuid": int(neuron.netuid),
            "hotkey": _account(neuron.hotkey),
            "coldkey": _account(neuron.coldkey),
            "stake": sum(int(amount) for _cold, amount in neuron.stake),
            "coldkey_stakes": {_account(c): str(int(a)) for c, a in neuron.stake},
            "rank": int(neuron.rank),
            "incentive": int(neuron.incentive),
            "dividends": int(neuron.dividends),
            "consensus": int(neuron.consensus),
            "trust": int(neuron.trust),
            "validator_trust": int(neuron.validator_trust),
            "emission": int(neuron.emission),
            "validator_permit": bool(neuron.validator_permit),
            "active": bool(neuron.active),
            "last_update": int(neuron.last_update),
            "pruning_score": int(neuron.pruning_score),
            "axon_block": int(neuron.axon_info.block),
        }
    )


def subnet_payload(info: dict[str, Any]) -> dict[str, Any]:
    """One DynamicInfo as an observation payload: every field the runtime reports, flattened."""
    payload = dict(info)
    for key in ("subnet_name", "token_symbol"):
        if isinstance(payload.get(key), list):
            payload[key] = bytes(payload[key]).decode("utf-8", "replace")
    moving = payload.pop("moving_price", None)
    if isinstance(moving, dict) and "bits" in moving:
        bits = int(moving["bits"])  # I96F32: value = bits / 2**32; not an amount, kept as text as ever
        payload["moving_price_bits"] = str(bits) if bits >= 0 else bits
    payload.pop("subnet_identity", None)
    payload["owner"] = payload.get("owner_coldkey")
    tao_in, alpha_in = payload.get("tao_in"), payload.get("alpha_in")
    if isinstance(tao_in, int) and isinstance(alpha_in, int) and alpha_in > 0:
        payload["price_rao_per_alpha"] = tao_in * 10**9 // alpha_in  # the pool price, tao_in / alpha_in
    return amount_fields(payload)


def observation_rows(
    neurons_hex: str | None,
    subnet_hex: str | None,
    runtime: Runtime | None,
    *,
    netuid: int,
    block: int,
    block_hash: str | None,
    block_time: datetime,
    spec_version: int | None,
) -> Iterator[Event | QuarantinedRow]:
    """NeuronObserved per UID and one SubnetObserved from the two runtime-API answers at an epoch.

    A malformed answer (truncated, not hex, a bt-decode panic) is one quarantine row naming it.
    """

    def event(position: str, event_type: str, payload: dict) -> Event:
        return Event(
            chain=CHAIN,
            source=SOURCE,
            block_number=block,
            position=position,
            event_type=event_type,
            block_time=block_time,
            payload=payload,
            block_hash=block_hash,
            spec_version=spec_version,
        )

    def quarantined(position: str, raw: str, what: str, exc: BaseException) -> QuarantinedRow:
        return QuarantinedRow(
            SOURCE,
            CHAIN,
            f"{block}:{position}",
            raw,
            f"block {block} subnet {netuid}: {what} cannot be decoded ({type(exc).__name__}: {exc})",
            "decode_error",
            block,
        )

    if neurons_hex is not None:
        try:
            neurons = decode_neurons_lite(strict_hex_bytes(neurons_hex, "get_neurons_lite"))
            payloads = [neuron_payload(neuron) for neuron in neurons]
        except BaseException as exc:  # a bt-decode panic too: kept in quarantine, named
            if not is_decoder_failure(exc):
                raise
            yield quarantined(f"obs.neurons.{netuid}", _raw_text(neurons_hex), "get_neurons_lite", exc)
        else:
            for payload in payloads:
                yield event(
                    f"obs.neuron.{payload['netuid']}.{payload['uid']}",
                    "SubtensorModule.NeuronObserved",
                    payload,
                )
    if subnet_hex is not None and runtime is not None:
        try:
            info = runtime.decode_api(
                "SubnetInfoRuntimeApi_get_dynamic_info", strict_hex_bytes(subnet_hex, "get_dynamic_info")
            )
            payload = subnet_payload(info) if info else None
        except BaseException as exc:  # a bt-decode panic too: kept in quarantine, named
            if not is_decoder_failure(exc):
                raise
            yield quarantined(f"obs.subnet.{netuid}", _raw_text(subnet_hex), "get_dynamic_info", exc)
        else:
            if payload is not None:
                yield event(f"obs.subnet.{netuid}", "SubtensorModule.SubnetObserved", payload)


def _raw_text(value: Any) -> str:
    """A node's answer as quarantine keeps it: the text itself, or its JSON for anything else."""
    return value if isinstance(value, str) else json.dumps(value, default=str)[:100_000]


# ---------------------------------------------------------------------------- `decai decode`
_UNKNOWN_TIME = datetime.fromtimestamp(0, UTC)


def _capture_value(text: str) -> tuple[str | None, dict]:
    """(hex result, envelope) of a captured JSON-RPC answer (or bare hex)."""
    stripped = text.strip()
    envelope: dict = {}
    if stripped.startswith("{"):
        envelope = json.loads(stripped)
        if not isinstance(envelope, dict):
            raise ValueError("the capture is JSON but not a JSON-RPC answer object")
        if "error" in envelope:
            raise ValueError(f"the capture is a JSON-RPC error answer: {envelope['error']}")
        result = envelope.get("result")
        if result is not None and not isinstance(result, str):
            raise ValueError(f"the capture's result is {type(result).__name__}, not a hex string")
        return result, envelope
    return _strip_envelope(stripped), envelope


def decode_capture_events(text: str, metadata: str | None = None, block: int | None = None) -> Iterator[dict]:
    """`decai decode subtensor-events FILE --metadata META`: a `state_getStorage(System.Events)`
    answer decoded with a `state_getMetadata` answer; one record per event, decoded or quarantined."""
    if metadata is None:
        raise ValueError(
            "subtensor-events needs --metadata (a state_getMetadata answer of the block's parent)"
        )
    runtime = runtime_from_metadata(metadata)
    value, _envelope = _capture_value(text)
    number = block if block is not None else 0
    fetched = ChainFetch(number, number + 1)
    count, records = runtime.decode_events(_hex_bytes(value))
    _collect(fetched, number, None, _UNKNOWN_TIME, runtime.spec_version, records)
    for event in fetched.events:
        yield capture_record(event)
    for row in fetched.quarantined:
        yield capture_record(row)


def decode_capture_neurons_lite(
    text: str, metadata: str | None = None, block: int | None = None
) -> Iterator[dict]:
    """`decai decode subtensor-neurons-lite FILE --block N`: a `state_call
    NeuronInfoRuntimeApi_get_neurons_lite` answer; one NeuronObserved per UID (or one quarantine)."""
    value, _envelope = _capture_value(text)
    number = block if block is not None else 0
    for row in observation_rows(
        value,
        None,
        None,
        netuid=-1,
        block=number,
        block_hash=None,
        block_time=_UNKNOWN_TIME,
        spec_version=None,
    ):
        yield capture_record(row)
