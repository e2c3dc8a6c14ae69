"""Property-based fuzzing of every decoder: bad input never crashes a run, and nothing is lost.

For each decoder (subtensor's SCALE `System.Events`, CometBFT `/block_results`, EVM `eth_getLogs`
entries, CoinGecko `market_chart/range` bodies) hypothesis feeds random garbage and mutations of
valid payloads taken from the devnet. Two properties:

- no unexpected exception: only a `ValueError` (or the JSON-RPC error a capture of an error answer
  is) for input that is not the documented shape at all;
- every input event comes out exactly once, as an event or as a quarantine row.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from etl.events import Event, QuarantinedRow
from etl.sources.sahara_rpc import RpcError
from tests.conftest import DEVNET_NOW

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SLOW_FUZZ = settings(FUZZ, max_examples=25)  # decoders that run a Great Expectations suite per example

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


#: The devnet computes blocks on demand; a loaded machine can take more than httpx's default 5 s.
_http = httpx.Client(timeout=120)


class Samples(list):
    """Valid payloads for the mutation strategies, with a short repr for hypothesis' failure reports."""

    def __repr__(self) -> str:
        return f"<{len(self)} valid samples>"


def _paths(doc, prefix=()):
    """Every location in a JSON document, as a tuple of keys and indexes (the root is ())."""
    yield prefix
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from _paths(value, (*prefix, index))


def _replace(doc, path, value):
    if not path:
        return value
    copy = json.loads(json.dumps(doc))
    target = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return copy


@st.composite
def mutated(draw, documents: list, replacements=json_values, max_mutations: int = 3):
    """A valid document with 1..max_mutations values replaced, most of them deep inside."""
    doc = draw(st.sampled_from(documents))
    for _ in range(draw(st.integers(1, max_mutations))):
        paths = list(_paths(doc))
        # Prefer leaves and deep nodes: replacing the root only tests the "wrong shape" path.
        path = draw(st.sampled_from(paths[1:] or paths))
        doc = _replace(doc, path, draw(replacements))
    return doc


def _bytes_mutation(valid: list[bytes]):
    @st.composite
    def build(draw):
        raw = bytearray(draw(st.sampled_from(valid)))
        for _ in range(draw(st.integers(1, 4))):
            op = draw(st.sampled_from(["flip", "truncate", "insert", "delete"]))
            at = draw(st.integers(0, max(0, len(raw) - 1)))
            if op == "flip" and raw:
                raw[at] ^= 1 << draw(st.integers(0, 7))
            elif op == "truncate":
                del raw[at:]
            elif op == "insert":
                raw[at:at] = draw(st.binary(min_size=1, max_size=8))
            elif op == "delete":
                del raw[at : at + draw(st.integers(1, 8))]
        return bytes(raw)

    return build()


# ------------------------------------------------------------------------------------ subtensor
@pytest.fixture(scope="module")
def subtensor_samples():
    """Valid System.Events values with the metadata of their parent's runtime, from the devnet chain."""
    from devnet.subtensor import DEFAULT_SCALE, SubtensorChain, encoding
    from etl.sources.subtensor_codec import runtime_from_metadata

    chain = SubtensorChain(seed=7, scale=DEFAULT_SCALE)
    upgrade = chain.params.upgrade_block
    before = next(b for b in range(upgrade - 200, upgrade) if len(chain.events(b)) >= 3)
    after = [b for b in range(upgrade + 2, upgrade + 200) if len(chain.events(b)) >= 3][:2]
    samples = []
    for block in (before, *after):
        metadata = "0x" + encoding.meta_for(chain, block - 1).v14.hex()
        samples.append((block, metadata, runtime_from_metadata(metadata), chain._encoded_events(block)))
    return Samples(samples)


def _assert_every_record_once(fetched_count: int, records: list) -> None:
    from etl.sources.subtensor_codec import DecodedEvent, UndecodedEvent

    assert all(isinstance(r, DecodedEvent | UndecodedEvent) for r in records)
    assert sorted(r.index for r in records) == list(range(fetched_count))


def test_subtensor_samples_decode_cleanly(subtensor_samples):
    from etl.sources.subtensor_codec import DecodedEvent

    for _block, _metadata, runtime, raw in subtensor_samples:
        count, records = runtime.decode_events(raw)
        assert count >= 2 and all(isinstance(r, DecodedEvent) for r in records)


@FUZZ
@given(data=st.data())
@example(data=b"\x03\xff\xff\xff\xff")  # claims 2**32 - 1 records: bt-decode aborted the process
@example(data=b"\xfc\xff\xff")  # claims 63 records in 2 bytes
@example(data=b"\x03")  # a count prefix cut short
def test_scale_events_never_crash_and_every_record_lands_once(subtensor_samples, data):
    from etl.events import ChainFetch
    from etl.sources.subtensor import _collect

    # Regression inputs are bytes; otherwise garbage or a mutation of a valid value is drawn.
    valid = [raw for *_rest, raw in subtensor_samples]
    raw = data if isinstance(data, bytes) else data.draw(st.binary(max_size=200) | _bytes_mutation(valid))
    for _block, _metadata, runtime, _valid in subtensor_samples:
        count, records = runtime.decode_events(raw)
        _assert_every_record_once(count, records)
        fetched = ChainFetch(9, 10)
        _collect(fetched, 9, "0x" + "ab" * 32, datetime(2026, 1, 1, tzinfo=UTC), 1, records)
        assert fetched.rows_in == count


@FUZZ
@given(data=st.data())
def test_scale_blocks_decoded_together_match_one_by_one(subtensor_samples, data):
    """The batched path (one bt-decode call for many blocks) isolates a bad block from good ones."""
    _block, _metadata, runtime, _raw = subtensor_samples[1]
    valid = [raw for *_rest, raw in subtensor_samples[1:]]
    raws = data.draw(st.lists(st.sampled_from(valid) | _bytes_mutation(valid), min_size=1, max_size=4))
    together = runtime.decode_blocks(raws)
    assert [count for count, _ in together] == [runtime.decode_events(raw)[0] for raw in raws]
    for count, records in together:
        _assert_every_record_once(count, records)


def test_decoding_a_chunk_leaves_the_garbage_collector_as_it_found_it(subtensor_samples):
    """The collector waits while a chunk decodes (also when the decode fails) and is back as it was."""
    import gc

    from etl.events import ChainFetch
    from etl.sources.subtensor import _Block, decode_into

    block, _metadata, runtime, raw = subtensor_samples[0]
    when = datetime(2026, 1, 1, tzinfo=UTC)
    was = gc.isenabled()
    try:
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            fetched = ChainFetch(block, block + 1)
            decode_into(fetched, runtime, 1, [_Block(block, "0x" + "ab" * 32, "0x" + "cd" * 32, when, raw)])
            assert gc.isenabled() is enabled
            assert fetched.blocks[0].event_count == len(fetched.events) >= 2
            with pytest.raises(AttributeError):
                decode_into(ChainFetch(block, block + 1), runtime, 1, [object()])
            assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


@FUZZ
@given(data=st.data())
def test_subtensor_decode_capture_never_crashes(subtensor_samples, data):
    from etl.sources.subtensor import decode_capture_events

    block, metadata, runtime, raw = subtensor_samples[data.draw(st.integers(0, len(subtensor_samples) - 1))]
    kind = data.draw(st.sampled_from(["garbage", "envelope", "mutated_envelope", "bare_hex"]))
    envelope = {"jsonrpc": "2.0", "id": 1, "result": "0x" + raw.hex()}
    if kind == "garbage":
        text = data.draw(st.text(max_size=80) | json_values.map(json.dumps))
    elif kind == "envelope":
        text = json.dumps({**envelope, "result": "0x" + data.draw(_bytes_mutation([raw])).hex()})
    elif kind == "mutated_envelope":
        text = json.dumps(data.draw(mutated([envelope])))
    else:
        text = data.draw(_bytes_mutation([raw])).hex()
    try:
        records = list(decode_capture_events(text, metadata=metadata, block=block))
    except ValueError:
        assert kind in ("garbage", "mutated_envelope"), "a well-formed capture of any bytes decodes"
        return
    value = json.loads(text).get("result") if text.lstrip().startswith("{") else text
    # The capture reader strips what str.strip() calls whitespace (\x1c-\x1f included); fromhex skips less.
    value = value.strip() if isinstance(value, str) else value
    expected = runtime.decode_events(
        bytes.fromhex(value[2:] if value.startswith("0x") else value) if value else b""
    )[0]
    assert len(records) == expected
    assert all(("event_id" in r) != bool(r.get("quarantined")) for r in records)


# ------------------------------------------------------------------------------------ CometBFT
@pytest.fixture(scope="module")
def cometbft_results(devnet):
    """`/block_results` results of a few busy blocks in all three node forms (v0.38, v0.37, v0.34)."""
    base = devnet.base_url
    head = int(_http.get(base + "/cometbft/status").json()["result"]["sync_info"]["latest_block_height"])
    busy: list[int] = []
    for height in range(head - 400, head - 100, 7):
        result = _http.get(base + "/cometbft/block_results", params={"height": height}).json()["result"]
        if result.get("txs_results"):
            busy.append(height)
        if len(busy) == 2:
            break
    assert busy, "the devnet has transactions in recent blocks"
    out = []
    for height in [*busy, head - 100]:
        for mount in ("/cometbft", "/cometbft-v0.37", "/cometbft-v0.34"):
            out.append(_http.get(base + mount + "/block_results", params={"height": height}).json())
    return Samples(out)


def _cometbft_event_lists(result) -> list | None:
    """The event lists of a result as the decoder documents them; None when the shape is wrong."""
    if not isinstance(result, dict):
        return None
    lists = []
    txs = result.get("txs_results")
    if txs is not None and not isinstance(txs, list):
        return None
    for tx in txs or []:
        if tx is None:
            continue
        if not isinstance(tx, dict) or not isinstance(tx.get("events") or [], list):
            return None
        lists.append(tx.get("events") or [])
    for name in ("finalize_block_events", "begin_block_events", "end_block_events"):
        if not isinstance(result.get(name) or [], list):
            return None
    if "finalize_block_events" in result:
        lists.append(result.get("finalize_block_events") or [])
    else:
        lists += [result.get("begin_block_events") or [], result.get("end_block_events") or []]
    return lists


def _decode_result(result):
    from etl.sources.cometbft import decode_block_results

    return decode_block_results(result, block_time=datetime(2026, 1, 1, tzinfo=UTC), height=5)


@FUZZ
@given(data=st.data())
@example(data={"txs_results": [{"code": "abc", "events": [{"type": "transfer", "attributes": []}]}]})
@example(data={"finalize_block_events": [{"type": "mint", "attributes": [{"key": 7, "value": None}]}]})
@example(data={"finalize_block_events": ["not an event", {"attributes": "nope"}]})
def test_block_results_never_crash_and_every_event_lands_once(cometbft_results, data):
    if isinstance(data, dict):  # a regression example
        result = data
    else:
        envelope = data.draw(mutated(cometbft_results), label="envelope")
        result = envelope.get("result") if isinstance(envelope, dict) else envelope
    lists = _cometbft_event_lists(result)
    try:
        events, quarantined = _decode_result(result)
    except ValueError as exc:
        assert lists is None or "height" in str(exc), f"a result of the documented shape raised {exc!r}"
        return
    assert lists is not None, "a result of the wrong shape decoded without complaint"
    assert len(events) + len(quarantined) == sum(len(events) for events in lists)
    positions = [e.position for e in events] + [q.position.split(":", 1)[1] for q in quarantined]
    assert len(set(positions)) == len(positions)
    assert all(isinstance(e, Event) for e in events) and all(
        isinstance(q, QuarantinedRow) for q in quarantined
    )


@FUZZ
@given(data=st.data())
def test_cometbft_decode_capture_never_crashes(cometbft_results, data):
    from etl.sources.cometbft import decode_capture

    garbage = data.draw(st.booleans(), label="garbage")
    if garbage:
        text = data.draw(st.text(max_size=60) | json_values.map(json.dumps))
    else:
        envelope = data.draw(mutated(cometbft_results), label="envelope")
        text = json.dumps(envelope)
    try:
        records = list(decode_capture(text))
    except (ValueError, RpcError):
        return
    body = json.loads(text)
    if not garbage and isinstance(body, dict) and "result" in body and not body.get("error"):
        lists = _cometbft_event_lists(body["result"])
        assert lists is not None
        assert len(records) == sum(len(events) for events in lists)


# ------------------------------------------------------------------------------------ EVM
@pytest.fixture(scope="module")
def evm_logs(devnet):
    """Logs of a busy stretch of the devnet's EVM, known contracts and unknown ones."""
    head = int(_http.post(devnet.endpoints["evm"], json=_rpc("eth_blockNumber", [])).json()["result"], 16)
    logs = _http.post(
        devnet.endpoints["evm"],
        json=_rpc("eth_getLogs", [{"fromBlock": hex(head - 1500), "toBlock": hex(head - 100)}]),
    ).json()["result"]
    assert len(logs) > 10
    return Samples(logs[:40])


def _rpc(method: str, params: list) -> dict:
    return {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}


@FUZZ
@given(data=st.data())
@example(data={"blockNumber": "0x5", "transactionIndex": "0x0", "logIndex": "0x0", "topics": "0xabc"})
def test_evm_logs_decode_or_fail_with_the_documented_errors(evm_logs, data):
    from etl.sources.evm import decode_log

    entry = data if isinstance(data, dict) else data.draw(mutated(evm_logs), label="entry")
    try:
        item = decode_log(entry)
    except (KeyError, TypeError, ValueError, AttributeError):
        return  # what `decode_capture` documents catching: the entry becomes a quarantine record
    assert isinstance(item, Event | QuarantinedRow)


@FUZZ
@given(data=st.data())
def test_evm_capture_gives_one_record_per_entry(evm_logs, data):
    from etl.sources.evm import decode_capture

    entries = data.draw(st.lists(mutated(evm_logs) | json_values, min_size=1, max_size=6), label="entries")
    entries = [e for e in entries if not (isinstance(e, dict) and ("result" in e or "error" in e))]
    records = list(decode_capture(json.dumps(entries)))
    assert len(records) == len(entries)
    assert all(("event_id" in r) != bool(r.get("quarantined")) for r in records)


@FUZZ
@given(text=st.text(max_size=60) | json_values.map(json.dumps))
def test_evm_capture_of_garbage_fails_clearly(text):
    from etl.sources.evm import decode_capture

    try:
        for record in decode_capture(text):
            assert "event_id" in record or record["quarantined"] is True
    except (ValueError, RpcError):
        pass


# ------------------------------------------------------------------------------------ CoinGecko
MARKET_START, MARKET_END = DEVNET_NOW - 2 * 86400, DEVNET_NOW


@pytest.fixture(scope="module")
def market_bodies():
    from devnet.market import MarketModel

    model = MarketModel(7)
    bodies = [
        model.market_chart_range(coin, MARKET_START, MARKET_END - 1, DEVNET_NOW)
        for coin in ("bittensor", "sahara-ai")
    ]
    # Short bodies keep a Great Expectations run per example cheap.
    return Samples({name: series[:6] for name, series in body.items()} for body in bodies)


@SLOW_FUZZ
@given(data=st.data())
@example(data={"prices": [[1e300, 1.0]], "market_caps": [], "total_volumes": []})
@example(data={"prices": [[float("nan"), 1.0]], "market_caps": [[2**70, 1]], "total_volumes": []})
def test_market_chart_rows_all_land_in_events_or_quarantine(market_bodies, data):
    from etl.events import FetchResult
    from etl.sources.coingecko import _rows_from_body
    from etl.validate.quotes import validate_quotes

    body = data if isinstance(data, dict) else data.draw(mutated(market_bodies), label="body")
    series_ok = isinstance(body, dict) and all(
        isinstance(body.get(n), list) for n in ("prices", "market_caps", "total_volumes")
    )
    try:
        quotes = _rows_from_body("bittensor", body)
    except (ValueError, AttributeError):
        assert not series_ok
        return
    assert series_ok
    points = sum(len(body[n]) for n in ("prices", "market_caps", "total_volumes"))
    assert max(len(body[n]) for n in ("prices", "market_caps", "total_volumes")) <= len(quotes) <= points
    checked = validate_quotes(FetchResult("bittensor", MARKET_START, MARKET_END, quotes=quotes))
    assert len(checked.events) + len(checked.quarantined) == len(quotes) == checked.rows_in
    assert all(MARKET_START <= e.block_number < MARKET_END for e in checked.events)


@SLOW_FUZZ
@given(data=st.data())
@example(data='{"prices": [[NaN, 1.0]], "market_caps": [], "total_volumes": []}')
@example(data='{"prices": [[1e300, 1.0]], "market_caps": [[1e300, 2.0]], "total_volumes": [[1e300, 3.0]]}')
def test_coingecko_capture_never_crashes(market_bodies, data):
    from etl.pipeline.market import decode_capture

    if isinstance(data, str):
        text = data
    else:
        garbage = data.draw(st.booleans(), label="garbage")
        text = (
            data.draw(st.text(max_size=60) | json_values.map(json.dumps))
            if garbage
            else json.dumps(data.draw(mutated(market_bodies), label="body"))
        )
    records = list(decode_capture(text))
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    series = ("prices", "market_caps", "total_volumes")
    if isinstance(body, dict) and all(isinstance(body.get(n), list) for n in series):
        assert max(len(body[n]) for n in series) <= len(records) <= sum(len(body[n]) for n in series)
    else:
        assert len(records) == 1 and records[0]["quarantined"] is True
    for record in records:
        if not record.get("quarantined"):
            assert math.isfinite(float(record["payload"]["price_usd"]))


# ------------------------------------------------------------------------------------ runtime APIs
@pytest.fixture(scope="module")
def runtime_api_samples():
    """get_neurons_lite and get_dynamic_info answers of a few subnets at an epoch block, with the V15
    runtime of their block and the devnet's own record of how many UIDs each subnet has."""
    from devnet.subtensor import DEFAULT_SCALE, SubtensorChain, encoding
    from etl.sources.subtensor_codec import runtime_from_v15_option

    chain = SubtensorChain(seed=7, scale=DEFAULT_SCALE)
    block = chain.params.upgrade_block + 1000
    option = encoding.state_call(chain, "Metadata_metadata_at_version", (15).to_bytes(4, "little"), block)
    runtime = runtime_from_v15_option(option, 343)
    state = chain.state_at(block)
    samples = []
    for netuid in sorted(state.subnets):
        arg = netuid.to_bytes(2, "little")
        uids = len(encoding.neurons_lite(chain, state, netuid, block) or [])
        if not uids or len(samples) == 3:  # the root subnet has no UIDs
            continue
        neurons = encoding.state_call(chain, "NeuronInfoRuntimeApi_get_neurons_lite", arg, block)
        subnet = encoding.state_call(chain, "SubnetInfoRuntimeApi_get_dynamic_info", arg, block)
        samples.append((netuid, uids, neurons, subnet))
    return runtime, Samples(samples)


def _observe(runtime, neurons: bytes | str | None, subnet: bytes | str | None, netuid: int = 1) -> list:
    from etl.sources.subtensor import observation_rows

    def hexed(value):
        return "0x" + value.hex() if isinstance(value, bytes) else value

    return list(
        observation_rows(
            hexed(neurons), hexed(subnet), runtime, netuid=netuid, block=9, block_hash="0x" + "ab" * 32,
            block_time=datetime(2026, 1, 1, tzinfo=UTC), spec_version=343,
        )
    )  # fmt: skip


def test_runtime_api_samples_decode_with_nothing_quarantined(runtime_api_samples):
    runtime, samples = runtime_api_samples
    for netuid, uids, neurons, subnet in samples:
        rows = _observe(runtime, neurons, subnet, netuid)
        assert all(isinstance(r, Event) for r in rows), [r.reason for r in rows if not isinstance(r, Event)]
        types = [r.event_type for r in rows]
        assert types.count("SubtensorModule.NeuronObserved") == uids > 0
        assert types.count("SubtensorModule.SubnetObserved") == 1
        assert {r.payload["netuid"] for r in rows} == {netuid}


@settings(FUZZ, suppress_health_check=[*FUZZ.suppress_health_check, HealthCheck.function_scoped_fixture])
@given(data=st.data())
@example(data=b"")  # an empty answer
@example(data=b"\x04")  # claims one neuron, has none
@example(data=b"\x03\xff\xff\xff\xff")  # claims 2**32 - 1 neurons
def test_runtime_api_answers_never_panic_and_land_once(runtime_api_samples, data, capfd):
    """A truncated or garbled answer is one quarantine row per call, and no Rust panic reaches stderr."""
    runtime, samples = runtime_api_samples
    if isinstance(data, bytes):
        neurons = subnet = data
    else:
        neurons = data.draw(st.binary(max_size=120) | _bytes_mutation([n for _u, _c, n, _s in samples]))
        subnet = data.draw(st.binary(max_size=60) | _bytes_mutation([s for _u, _c, _n, s in samples]))
    rows = _observe(runtime, neurons, subnet)
    neuron_rows = [r for r in rows if r.position.split(":")[-1].startswith(("obs.neuron.", "obs.neurons."))]
    quarantined = [r for r in rows if isinstance(r, QuarantinedRow)]
    assert all(r.rule == "decode_error" and "cannot be decoded" in r.reason for r in quarantined)
    assert len(quarantined) <= 2 and len(rows) - len(neuron_rows) <= 1
    assert not any(isinstance(r, QuarantinedRow) for r in neuron_rows) or len(neuron_rows) == 1
    assert "panicked" not in capfd.readouterr().err


@pytest.mark.parametrize("answer", ["0xzz", "0x123", "not hex", 42, ["0x00"], {"a": 1}])
def test_a_runtime_api_answer_that_is_not_hex_is_quarantined(runtime_api_samples, answer):
    runtime, _samples = runtime_api_samples
    rows = _observe(runtime, answer, answer)
    assert [r.position for r in rows] == ["9:obs.neurons.1", "9:obs.subnet.1"]
    assert all(isinstance(r, QuarantinedRow) and "hex" in r.reason for r in rows)


def test_malformed_runtime_api_answers_from_the_node_are_quarantined_and_the_run_goes_on(devnet, faults):
    """Through the connector's real fetch path: the devnet truncates a get_neurons_lite answer and
    garbles a get_dynamic_info one in every batch, and sends a System.Events value that is not hex."""
    from etl.sources.subtensor import EVENTS_KEY, SubtensorSource

    with SubtensorSource(devnet.endpoints["subtensor"]) as source:
        head = source.finalized_head()
        boundary = (head - 4000) // 361 * 361
        start, end = boundary - 20, boundary + 20
        clean = source.fetch(start, end)
        assert not clean.quarantined
        mutate = {"kind": "mutate", "path": "/subtensor", "probability": 1.0, "rpc_method": "state_call"}
        faults(
            mutate | {"rpc_params": ["NeuronInfoRuntimeApi_get_neurons_lite"], "pointer": "/result",
                      "value": "0x0c" + "11" * 70},
            mutate | {"rpc_params": ["SubnetInfoRuntimeApi_get_dynamic_info"], "pointer": "/result",
                      "value": "0x01ff"},
            {"kind": "mutate", "path": "/subtensor", "count": 1, "rpc_method": "state_getStorage",
             "rpc_params": [EVENTS_KEY], "pointer": "/result", "value": "0xnot-hex"},
        )  # fmt: skip
        faulty = source.fetch(start, end)
        applied = {r["rpc_params"][0]: r["applied"] for r in devnet.state.faults.describe()}
    assert all(count >= 1 for count in applied.values()), applied
    by_position = {q.position: q for q in faulty.quarantined}
    neurons_q = [q for q in faulty.quarantined if ":obs.neurons." in q.position]
    subnet_q = [q for q in faulty.quarantined if ":obs.subnet." in q.position]
    assert len(neurons_q) == applied["NeuronInfoRuntimeApi_get_neurons_lite"]
    assert len(subnet_q) == applied["SubnetInfoRuntimeApi_get_dynamic_info"]
    assert all("get_neurons_lite cannot be decoded" in q.reason and "truncated or corrupt" in q.reason
               for q in neurons_q)  # fmt: skip
    assert all(q.rule == "decode_error" and q.raw == "0x01ff" for q in subnet_q)
    (events_q,) = [q for q in faulty.quarantined if "System.Events" in q.reason]
    assert (events_q.raw, events_q.block_number, events_q.rule) == ("0xnot-hex", start, "decode_error")

    # Nothing is lost: every observation of the clean run is an event or inside a quarantined answer.
    faulty_ids = {e.event_id for e in faulty.events}
    for event in clean.events:
        if event.event_type == "SubtensorModule.NeuronObserved":
            netuid = event.payload["netuid"]
            assert event.event_id in faulty_ids or f"{event.block_number}:obs.neurons.{netuid}" in by_position
        elif event.event_type == "SubtensorModule.SubnetObserved":
            assert event.event_id in faulty_ids or f"{event.block_number}:{event.position}" in by_position
        else:
            assert event.event_id in faulty_ids or event.block_number == start


@pytest.mark.parametrize("garbage", ["not an object", [1, 2], {"txs_results": "nope"}, {"height": "x1"}])
def test_a_block_results_answer_that_is_not_the_documented_shape_is_quarantined(devnet, faults, garbage):
    """Through CometBFTSource.fetch: one height's /block_results answer is replaced; that block becomes
    one quarantine row holding the answer, and every other block decodes as in a clean read."""
    from etl.sources.cometbft import CometBFTSource

    head = int(
        _http.get(devnet.base_url + "/cometbft/status").json()["result"]["sync_info"]["latest_block_height"]
    )
    start, end = head - 300, head - 290
    source = CometBFTSource(devnet.endpoints["cometbft"], concurrency=1)
    try:
        clean = source.fetch(start, end)
        faults(
            {
                "kind": "mutate",
                "path": "/cometbft",
                "rpc_method": "block_results",
                "pointer": "/result",
                "value": garbage,
            }
        )
        faulty = source.fetch(start, end)
    finally:
        source.close()
    assert not clean.quarantined
    (row,) = faulty.quarantined  # count 1: the first height read, `start`, with concurrency 1
    assert (row.block_number, row.rule, row.position) == (
        start,
        "cometbft_result_shape",
        f"{start}:block_results",
    )
    assert json.loads(row.raw) == garbage and f"block {start} from " in row.reason
    assert {e.event_id for e in faulty.events} == {
        e.event_id for e in clean.events if e.block_number != start
    }
    assert [b.number for b in faulty.blocks] == list(range(start, end))


def test_evm_log_entries_that_are_not_logs_are_quarantined_through_the_fetch_path(devnet, faults, evm_logs):
    """Through EvmSource.fetch: log entries with a missing index, a non-hex block number, data of the
    wrong type or topics that are no list are quarantined one by one; the run goes on."""
    from etl.sources.evm import EvmSource

    first = int(evm_logs[0]["blockNumber"], 16)
    start, end = first, first + 50
    source = EvmSource(devnet.endpoints["evm"])
    try:
        clean = source.fetch(start, end)
        assert len(clean.events) >= 4 and not clean.quarantined
        mutate = {"kind": "mutate", "path": "/evm", "rpc_method": "eth_getLogs", "count": 1}
        faults(
            mutate | {"pointer": "/result/0/transactionIndex", "value": None},
            mutate | {"pointer": "/result/1/blockNumber", "value": "0xzz"},
            mutate | {"pointer": "/result/2/data", "value": [1, 2, 3]},
            mutate | {"pointer": "/result/3/topics", "value": {"a": 1}},
        )
        faulty = source.fetch(start, end)
    finally:
        source.close()
    assert len(faulty.quarantined) == 4
    assert {q.rule for q in faulty.quarantined} <= {"evm_log_shape", "evm_log_decode"}
    assert len(faulty.events) + len(faulty.quarantined) == len(clean.events)
    assert {e.event_id for e in faulty.events} < {e.event_id for e in clean.events}
    names_no_block = [q for q in faulty.quarantined if q.block_number is None]
    assert len(names_no_block) == 1 and '"0xzz"' in names_no_block[0].raw


# ------------------------------------------------------------------------------------ good inputs
def test_every_decoder_decodes_its_good_inputs_with_nothing_quarantined(
    subtensor_samples, cometbft_results, evm_logs, market_bodies
):
    """A decoder that raises on, or quarantines, a well-formed answer fails here."""
    from etl.pipeline import market
    from etl.sources import cometbft, evm
    from etl.sources.subtensor import decode_capture_events

    for block, metadata, _runtime, raw in subtensor_samples:
        text = json.dumps({"jsonrpc": "2.0", "id": 1, "result": "0x" + raw.hex()})
        records = list(decode_capture_events(text, metadata=metadata, block=block))
        assert len(records) >= 2 and not any(r.get("quarantined") for r in records)
    decoded_cometbft = 0
    for envelope in cometbft_results:
        records = list(cometbft.decode_capture(json.dumps(envelope)))
        lists = _cometbft_event_lists(envelope["result"])
        assert len(records) == sum(len(events) for events in lists)
        assert not any(r.get("quarantined") for r in records)
        decoded_cometbft += len(records)
    assert decoded_cometbft > 0
    records = list(evm.decode_capture(json.dumps(list(evm_logs))))
    assert len(records) == len(evm_logs) and not any(r.get("quarantined") for r in records)
    for body in market_bodies:
        records = list(market.decode_capture(json.dumps(body)))
        assert len(records) == 6 and not any(r.get("quarantined") for r in records)


# ------------------------------------------------------------------------------------ `decai decode`
KINDS = [
    "subtensor-events",
    "subtensor-neurons-lite",
    "cometbft-block-results",
    "evm-logs",
    "coingecko-market-chart",
]
NOT_ANSWERS = {
    "empty": b"",
    "blank": b"  \n",
    "truncated": b'{"jsonrpc": "2.0", "id": 1, "result": {"txs_results": [{"events": [',
    "binary": bytes(range(256)) * 3,
    "deeply nested": b"[" * 50_000 + b"]" * 50_000,
    "nested objects": b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
    "json-rpc error": b'{"jsonrpc": "2.0", "id": 1, "error": {"code": -32602, "message": "Invalid params"}}',
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", sorted(NOT_ANSWERS))
def test_decode_command_refuses_what_is_no_answer_in_one_line(tmp_path, kind, name):
    from typer.testing import CliRunner

    from etl.cli import app

    capture = tmp_path / "capture.json"
    capture.write_bytes(NOT_ANSWERS[name])
    metadata = tmp_path / "metadata.json"
    metadata.write_text('"0x00"')
    result = CliRunner().invoke(app, ["decode", kind, str(capture), "--metadata", str(metadata)])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("decai decode: capture.json "), result.stderr
    assert "Traceback" not in result.stderr


@SLOW_FUZZ
@given(
    kind=st.sampled_from(KINDS),
    raw=st.binary(max_size=300)
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.integers(1, 3000).map(lambda n: b'{"result": ' + b"[" * n + b"]" * n + b"}"),
)
def test_every_kind_gives_records_or_one_value_error_at_the_command_line_edge(subtensor_samples, kind, raw):
    """Whatever the file holds, `etl.decode` answers records or a ValueError: nothing else escapes."""
    from etl.decode import capture_text, decode

    metadata = subtensor_samples[0][1]
    options = {"metadata": metadata} if kind == "subtensor-events" else {}
    try:
        records = list(decode(kind, capture_text(raw), **options))
    except ValueError as exc:
        assert str(exc).strip(), "a refusal says why"
        return
    assert all(("event_id" in r) != bool(r.get("quarantined")) for r in records)


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("cometbft-block-results", {}),
        ("cometbft-block-results", {"jsonrpc": "2.0", "id": 1, "result": {"height": "5", "txs_results": []}}),
        ("evm-logs", {"jsonrpc": "2.0", "id": 1, "result": []}),
        ("evm-logs", []),
        ("subtensor-neurons-lite", {}),
        ("subtensor-neurons-lite", {"jsonrpc": "2.0", "id": 1, "result": None}),
        ("coingecko-market-chart", {"prices": [], "market_caps": [], "total_volumes": []}),
    ],
)
def test_decode_command_says_no_events_on_an_empty_answer(tmp_path, kind, body):
    from typer.testing import CliRunner

    from etl.cli import app

    capture = tmp_path / "capture.json"
    capture.write_text(json.dumps(body))
    result = CliRunner().invoke(app, ["decode", kind, str(capture)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"decai decode: no events in capture.json ({kind})\n"


def test_decode_command_quarantines_a_truncated_neurons_lite_answer_without_a_panic(
    runtime_api_samples, tmp_path, capfd
):
    from typer.testing import CliRunner

    from etl.cli import app

    _runtime, samples = runtime_api_samples
    _netuid, uids, neurons, _subnet = samples[0]
    capture = tmp_path / "neurons.json"
    runner = CliRunner()
    capture.write_text(json.dumps({"jsonrpc": "2.0", "id": 1, "result": "0x" + neurons.hex()}))
    whole = runner.invoke(app, ["decode", "subtensor-neurons-lite", str(capture), "--block", "9"])
    assert whole.exit_code == 0 and len(whole.stdout.splitlines()) == uids
    capture.write_text(
        json.dumps({"jsonrpc": "2.0", "id": 1, "result": "0x" + neurons[: len(neurons) // 2].hex()})
    )
    cut = runner.invoke(app, ["decode", "subtensor-neurons-lite", str(capture), "--block", "9"])
    assert cut.exit_code == 0, cut.output
    (record,) = [json.loads(line) for line in cut.stdout.splitlines()]
    assert record["quarantined"] is True and record["rule"] == "decode_error"
    assert "get_neurons_lite" in record["reason"] and "truncated or corrupt" in record["reason"]
    assert "panicked" not in capfd.readouterr().err + cut.stderr
