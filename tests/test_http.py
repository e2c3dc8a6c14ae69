"""The one HTTP / JSON-RPC client (`etl/http.py`) against an in-process transport.

Waits are recorded instead of slept, so the tests see exactly how long the client would wait and the
values they expect are worked out by hand from what the server sent.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from etl.http import (
    HttpClient,
    HttpStatusError,
    RetriesExhausted,
    RetryPolicy,
    RpcError,
    TransientError,
    retry_after_seconds,
)

# A hosted node's URL: a password, a key in the path and one in the query. None may be shown.
PASSWORD = "pw-Secret-4711"
KEY = "k3yInThePath0123456789"
NODE = f"https://reader:{PASSWORD}@node.example:8443/v2/{KEY}?apikey={KEY}"
SHOWN = "https://node.example:8443"
NO_JITTER = RetryPolicy(attempts=5, backoff_initial=0.5, backoff_max=8.0, jitter=0.0, max_wait=300.0)


def _server(*answers):
    """A transport answering `answers` in turn (the last one for ever after): each an httpx.Response,
    or a callable building one from the request. Returns the transport and the requests it saw."""
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        return answer(request) if callable(answer) else answer

    return httpx.MockTransport(handle), seen


def _client(transport, *, retry=NO_JITTER, url=NODE, **kwargs):
    waits: list[float] = []
    client = HttpClient(url, retry=retry, transport=transport, sleep=waits.append, **kwargs)
    return client, waits


def _hidden(text: str) -> None:
    for secret in (PASSWORD, KEY, "/v2/", "apikey", "reader"):
        assert secret not in text, f"{secret!r} shown in {text!r}"


def test_retry_after_in_seconds_is_waited_and_the_log_names_scheme_and_host_only(caplog):
    transport, seen = _server(
        httpx.Response(429, headers={"Retry-After": "7"}, json={"status": "rate limited"}),
        httpx.Response(200, json={"prices": []}),
    )
    client, waits = _client(transport)
    caplog.set_level(logging.WARNING, logger="etl.http")
    assert client.get_json("/coins/x") == {"prices": []}
    # The first retry's own backoff is 0.5 s; the server asked for 7.
    assert waits == [7.0] and len(seen) == 2 and (client.requests, client.retries) == (2, 1)
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith(f"retrying GET /coins/x at {SHOWN} in 7.00s (attempt 1 of 5 failed): HTTP 429")
    _hidden(line)


def test_httpxs_own_request_log_shows_scheme_and_host_only(caplog):
    transport, _ = _server(httpx.Response(200, json={}))
    client, _ = _client(transport)
    caplog.set_level(logging.INFO, logger="httpx")
    client.get_json("/coins/x", params={"token": KEY})
    (line,) = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert line == f'HTTP Request: GET {SHOWN} "HTTP/1.1 200 OK"'


def test_retry_after_as_an_http_date_is_waited_until_that_time():
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=120)
    transport, _ = _server(
        httpx.Response(503, headers={"Retry-After": format_datetime(when, usegmt=True)}),
        httpx.Response(200, json={"ok": True}),
    )
    client, waits = _client(transport)
    assert client.get_json() == {"ok": True}
    (wait,) = waits
    assert 118.0 <= wait <= 120.0  # the date has whole seconds; a little time passed since


def test_a_retry_after_longer_than_the_longest_wait_is_cut_to_it():
    transport, _ = _server(httpx.Response(429, headers={"Retry-After": "3600"}), httpx.Response(200, json=[]))
    client, waits = _client(transport, retry=RetryPolicy(jitter=0.0, max_wait=30.0))
    client.get_json()
    assert waits == [30.0]


def test_retry_after_values():
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120.0
    assert retry_after_seconds("0.05", now) == 0.05  # the devnet's fault switch sends fractions
    assert retry_after_seconds("Fri, 02 Jan 2026 03:05:00 GMT", now) == 55.0
    assert retry_after_seconds("Fri, 02 Jan 2026 03:00:00 GMT", now) == 0.0  # already past
    assert retry_after_seconds("-3", now) == 0.0
    for unreadable in (None, "", "soon", "nan", "inf"):
        assert retry_after_seconds(unreadable, now) is None


def test_backoff_doubles_without_retry_after():
    transport, seen = _server(
        httpx.Response(502), httpx.Response(502), httpx.Response(502), httpx.Response(200, json=1)
    )
    client, waits = _client(transport)
    assert client.get_json() == 1
    assert waits == [0.5, 1.0, 2.0] and len(seen) == 4


def test_jitter_takes_off_at_most_its_share():
    policy = RetryPolicy(backoff_initial=1.0, backoff_max=100.0, jitter=0.5)
    assert policy.wait(3, None, draw=lambda: 0.0) == 4.0
    assert policy.wait(3, None, draw=lambda: 0.999999) == pytest.approx(2.0, abs=1e-5)
    assert policy.wait(3, 9.0, draw=lambda: 0.5) == 9.0  # Retry-After is a floor


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_a_4xx_is_not_retried(status):
    transport, seen = _server(httpx.Response(status, text="coin not found"))
    client, waits = _client(transport)
    with pytest.raises(HttpStatusError) as failed:
        client.get_json("/coins/nope")
    assert len(seen) == 1 and waits == [] and failed.value.status == status
    assert str(failed.value).startswith(f"GET /coins/nope at {SHOWN}: HTTP {status}")
    assert "coin not found" in str(failed.value)
    _hidden(str(failed.value))


def test_an_exhausted_budget_is_a_clear_error_naming_scheme_and_host_only(caplog):
    transport, seen = _server(httpx.Response(500, text="upstream exploded"))
    client, waits = _client(transport)
    caplog.set_level(logging.WARNING, logger="etl.http")
    with pytest.raises(RetriesExhausted) as failed:
        client.post_json("", {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"})
    error = failed.value
    assert len(seen) == 5 and waits == [0.5, 1.0, 2.0, 4.0] and error.attempts == 5
    assert str(error) == f"POST / at {SHOWN}: HTTP 500 Internal Server Error (gave up after 5 attempts)"
    assert isinstance(error, TransientError) and error.status == 500
    assert len(caplog.records) == 4  # one line per retry
    for text in [str(error), repr(error), caplog.text]:
        _hidden(text)


def test_a_time_budget_stops_before_the_wait_that_would_pass_it():
    transport, seen = _server(httpx.Response(503))
    policy = RetryPolicy(attempts=100, backoff_initial=1.0, backoff_max=60.0, jitter=0.0, budget_seconds=10.0)
    client, waits = _client(transport, retry=policy)
    with pytest.raises(RetriesExhausted, match=r"waiting 8.00s more would pass the retry budget of 10s"):
        client.get_json()
    assert waits == [1.0, 2.0, 4.0] and len(seen) == 4  # 1 + 2 + 4 = 7; 7 + 8 > 10


def test_connection_errors_are_retried_and_their_text_shows_no_url():
    attempts = []

    def refuse(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) < 3:
            raise httpx.ConnectError(f"cannot reach {request.url}", request=request)
        return httpx.Response(200, json={"ok": 1})

    client, waits = _client(httpx.MockTransport(refuse))
    assert client.get_json() == {"ok": 1} and len(waits) == 2
    transport = httpx.MockTransport(lambda r: (_ for _ in ()).throw(httpx.ReadTimeout(f"{r.url} timed out")))
    client, _ = _client(transport, retry=RetryPolicy(attempts=2, jitter=0.0))
    with pytest.raises(RetriesExhausted, match=f"ReadTimeout: {SHOWN} timed out") as failed:
        client.get_json()
    _hidden(str(failed.value))


def test_bodies_that_are_not_json_or_not_the_asked_shape_are_retried_and_kept():
    transport, seen = _server(
        httpx.Response(200, text='{"prices": [[1, 2'),  # truncated
        httpx.Response(200, json={"message": "upstream busy"}),  # a proxy's JSON, no JSON-RPC answer
        httpx.Response(200, json={"jsonrpc": "2.0", "id": 1, "result": "0x10"}),
    )
    client, waits = _client(transport)
    assert client.rpc("eth_blockNumber") == "0x10" and len(seen) == 3
    transport, _ = _server(httpx.Response(200, text="<html>502 Bad Gateway</html>"))
    client, _ = _client(transport, retry=RetryPolicy(attempts=2, jitter=0.0))
    with pytest.raises(RetriesExhausted, match="not valid JSON") as failed:
        client.get_json("/coins/x")
    assert failed.value.body == "<html>502 Bad Gateway</html>"  # for the quarantine


def test_a_json_rpc_error_is_the_nodes_answer_even_with_http_500():
    """CometBFT answers a failed URI call with HTTP 500 and the error object: not retried."""
    error = {
        "code": -32603,
        "message": "Internal error",
        "data": "height 3 is not available, lowest height is 100",
    }
    transport, seen = _server(httpx.Response(500, json={"jsonrpc": "2.0", "id": -1, "error": error}))
    client, waits = _client(transport)
    with pytest.raises(RpcError) as failed:
        client.rpc_uri("block", height=3, page=None)
    assert len(seen) == 1 and waits == []
    url = seen[0].url  # the method goes below the node's path; its key stays in the query
    assert (url.host, url.path, dict(url.params)) == (
        "node.example",
        f"/v2/{KEY}/block",
        {"apikey": KEY, "height": "3"},
    )
    assert (failed.value.code, failed.value.text) == (-32603, "Internal error " + error["data"])
    assert str(failed.value).startswith(f"block at {SHOWN}: answered error -32603")


def test_a_429_carrying_a_json_rpc_error_is_still_retried_and_another_calls_answer_is_not_taken():
    limited = {"jsonrpc": "2.0", "id": 1, "error": {"code": -32005, "message": "rate limited"}}
    transport, seen = _server(
        httpx.Response(429, json=limited),
        httpx.Response(200, json={"jsonrpc": "2.0", "id": 99, "result": "someone else's"}),
        httpx.Response(200, json={"jsonrpc": "2.0", "id": 1, "result": 5}),
    )
    client, waits = _client(transport)
    assert client.rpc("eth_chainId") == 5
    assert [json.loads(r.content)["id"] for r in seen] == [1, 1, 1] and len(waits) == 2


def test_batch_answers_are_matched_to_calls_by_id_and_errors_stay_per_call():
    def node(request: httpx.Request) -> httpx.Response:
        calls = json.loads(request.content)
        first, second, third, fourth = (c["id"] for c in calls)
        # Out of order; the second call fails on its own; the fourth gets no answer at all.
        return httpx.Response(
            200,
            json=[
                {"jsonrpc": "2.0", "id": third, "result": "three"},
                {"jsonrpc": "2.0", "id": first, "result": "one"},
                {"jsonrpc": "2.0", "id": second, "error": {"code": -32000, "message": "state discarded"}},
                {"jsonrpc": "2.0", "id": 999, "result": "not asked"},
            ],
        )

    transport, seen = _server(node)
    client, _ = _client(transport)
    answers = client.rpc_batch([("a", [1]), ("b", [2]), ("c", [3]), ("d", [4])])
    assert len(seen) == 1
    assert [a.method for a in answers] == ["a", "b", "c", "d"]
    assert [a.result for a in answers] == ["one", None, "three", None]
    assert answers[1].error.message == "state discarded" and answers[1].error.code == -32000
    assert "no answer to this call" in answers[3].error.message
    with pytest.raises(RpcError, match="state discarded"):
        answers[1].unwrap()
    assert answers[0].unwrap() == "one"


def test_a_batch_refused_as_a_whole_raises_and_a_malformed_one_is_retried():
    refused = {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "batches are disabled"}}
    transport, seen = _server(httpx.Response(200, json=[{"id": 1}]), httpx.Response(200, json=refused))
    client, waits = _client(transport)
    with pytest.raises(RpcError, match="batches are disabled"):
        client.rpc_batch([("eth_blockNumber", []), ("eth_chainId", [])])
    assert len(seen) == 2 and len(waits) == 1  # the list holding no envelope was retried once


def test_big_batches_split_and_keep_call_order():
    def node(request: httpx.Request) -> httpx.Response:
        calls = json.loads(request.content)
        return httpx.Response(
            200, json=[{"jsonrpc": "2.0", "id": c["id"], "result": c["params"][0]} for c in calls]
        )

    transport, seen = _server(node)
    client, _ = _client(transport)
    answers = client.rpc_batch([("chain_getBlockHash", [n]) for n in range(25)], batch_size=10)
    assert [a.result for a in answers] == list(range(25))
    assert sorted(len(json.loads(r.content)) for r in seen) == [5, 10, 10]
    client.close()


def test_a_batch_that_times_out_goes_again_in_halves_not_whole(caplog):
    """A node that cannot answer more than 4 calls within the read timeout: a batch of 10 is halved
    (5 and 5, then 2 + 3 twice) instead of being sent whole until the retries run out."""

    def busy(request: httpx.Request) -> httpx.Response:
        calls = json.loads(request.content)
        if len(calls) > 4:
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(
            200, json=[{"jsonrpc": "2.0", "id": c["id"], "result": c["params"][0] * 10} for c in calls]
        )

    transport, seen = _server(busy)
    client, waits = _client(transport)
    with caplog.at_level(logging.WARNING, logger="etl.http"):
        answers = client.rpc_batch([("state_queryStorageAt", [n]) for n in range(10)])
    assert [a.result for a in answers] == [n * 10 for n in range(10)]
    assert [len(json.loads(r.content)) for r in seen] == [10, 5, 2, 3, 5, 2, 3]
    assert waits == []  # halving is not a retry of the same request: no back-off
    assert "sending it again as batches of 5 and 5" in caplog.text
    # A single call that times out is retried as before, and gives up after the policy's attempts.
    lone, _ = _server(lambda request: (_ for _ in ()).throw(httpx.ReadTimeout("timed out", request=request)))
    client, waits = _client(lone)
    with pytest.raises(RetriesExhausted):
        client.rpc_batch([("state_queryStorageAt", [1])])
    assert len(waits) == NO_JITTER.attempts - 1


def test_no_more_requests_are_in_flight_than_the_bound():
    lock = threading.Lock()
    now = [0]
    peak = [0]

    def slow(request: httpx.Request) -> httpx.Response:
        with lock:
            now[0] += 1
            peak[0] = max(peak[0], now[0])
        time.sleep(0.02)
        with lock:
            now[0] -= 1
        calls = json.loads(request.content) if request.content else None
        if isinstance(calls, list):
            return httpx.Response(200, json=[{"jsonrpc": "2.0", "id": c["id"], "result": 0} for c in calls])
        return httpx.Response(200, json={"ok": True})

    client, _ = _client(httpx.MockTransport(slow), max_in_flight=3)
    threads = [threading.Thread(target=client.get_json) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == 3 and client.requests == 12
    # Batches go out in parallel up to the same bound.
    peak[0] = 0
    client.rpc_batch([("system_health", []) for _ in range(40)], batch_size=2)
    assert peak[0] == 3 and client.requests == 32
    client.close()


def test_a_rate_limit_spaces_requests_out():
    transport, _ = _server(httpx.Response(200, json={}))
    client, waits = _client(transport, rate_per_second=10.0)
    for _ in range(3):
        client.get_json()
    # The first goes at once; the next are due 0.1 s and 0.2 s after it (sleeps are recorded, not slept).
    assert len(waits) == 2
    assert waits[0] == pytest.approx(0.1, abs=0.01) and waits[1] == pytest.approx(0.2, abs=0.01)


def test_settings_that_cannot_work_are_refused():
    with pytest.raises(ValueError, match="at least one attempt"):
        RetryPolicy(attempts=0)
    with pytest.raises(ValueError, match="max_in_flight"):
        HttpClient("http://node.example", max_in_flight=0)
    with pytest.raises(ValueError, match="rate limit"):
        HttpClient("http://node.example", rate_per_second=0)


def _echo_batch(request: httpx.Request) -> httpx.Response:
    """A node answering each call of a batch with "<method>:<first parameter>"."""
    calls = json.loads(request.content)
    return httpx.Response(
        200,
        json=[{"jsonrpc": "2.0", "id": c["id"], "result": f"{c['method']}:{c['params'][0]}"} for c in calls],
    )


def test_prefetched_calls_are_answered_once_from_the_wire_and_in_order():
    """Calls sent ahead (`prefetch`) are not sent again when the connector asks for them: the answers
    come back in the order asked, mixed with calls that were never prefetched, each answer used once."""
    transport, seen = _server(_echo_batch)
    client, _ = _client(transport, max_in_flight=4)
    client.prefetch([("chain_getBlockHash", [n]) for n in range(10)], batch_size=4)
    answers = client.rpc_batch([("chain_getBlockHash", [n]) for n in (3, 11, 0, 9)])
    assert [a.result for a in answers] == [f"chain_getBlockHash:{n}" for n in (3, 11, 0, 9)]
    sent = [json.loads(r.content) for r in seen]
    # Three prefetched batches (4 + 4 + 2 calls), then one request holding only block 11.
    assert sorted(len(batch) for batch in sent) == [1, 2, 4, 4]
    assert [c["params"] for batch in sent if len(batch) == 1 for c in batch] == [[11]]
    assert client.prefetch_hits == 3
    # A prefetched answer serves one call only; asked again, block 3 goes on the wire.
    assert client.rpc_batch([("chain_getBlockHash", [3])])[0].result == "chain_getBlockHash:3"
    assert len(seen) == 5
    client.forget_prefetched()
    client.rpc_batch([("chain_getBlockHash", [5])])
    assert len(seen) == 6  # forgotten: sent again
    client.close()


def test_a_prefetched_batch_that_fails_fails_the_call_that_takes_it():
    transport, _ = _server(httpx.Response(404, text="no such node"))
    client, _ = _client(transport)
    client.prefetch([("chain_getHeader", ["0x01"])])
    with pytest.raises(HttpStatusError) as failure:
        client.rpc_batch([("chain_getHeader", ["0x01"])])
    _hidden(str(failure.value))
    client.close()
