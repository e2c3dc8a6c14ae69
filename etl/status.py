"""How fresh each ingested stream is: what `decai status` prints.

A stream is one (source, stream) pair of `ingest_checkpoints`: a chain (`subtensor`, `cometbft`,
`evm`) or a coin (`coingecko`). For each it reports
- freshness: the time of the newest stored block (`chain_blocks`) or quote (`events`), and its age;
- lag: how many blocks the checkpoint is behind the source's finalized head when the source answers
  (one short request, no retries), else how far the newest data is behind now;
- the last batch (`ingest_batches`): when, which range, rows in / new / quarantined, and its outcome
  (the `dq_results` row of that batch);
- failed checks: every `dq_results` suite run whose latest result for its range did not pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from warehouse import db

#: Where each source's finalized head is asked for (the connection the DAGs read).
HEAD_CONNECTIONS = {"subtensor": "bittensor_rpc", "cometbft": "sahara_cometbft", "evm": "sahara_evm"}
HEAD_TIMEOUT_SECONDS = 3.0


@dataclass
class StreamStatus:
    source: str
    stream: str
    position: int
    #: "block" or "quote"
    unit: str
    latest_time: datetime | None
    latest_number: int | None
    age_seconds: int | None
    head: int | None = None
    lag_blocks: int | None = None
    last_batch: dict | None = None
    failed_checks: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        out = dict(self.__dict__)
        out["latest_time"] = _iso(self.latest_time)
        if self.last_batch:
            out["last_batch"] = {**self.last_batch, "started_at": _iso(self.last_batch["started_at"])}
        out["failed_checks"] = [{**c, "validated_at": _iso(c["validated_at"])} for c in self.failed_checks]
        return out


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def _naive_utc(value) -> datetime | None:
    if value is None:
        return None
    value = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def chain_head(source: str) -> int | None:
    """The source's finalized head from its connection, or None when it does not answer in time."""
    from etl.connections import rpc_url

    conn_id = HEAD_CONNECTIONS.get(source)
    if conn_id is None:
        return None
    try:
        url = rpc_url(conn_id).rstrip("/")
        with httpx.Client(timeout=HEAD_TIMEOUT_SECONDS) as client:
            if source == "cometbft":
                answer = client.get(url + "/status").raise_for_status().json()
                return int(answer["result"]["sync_info"]["latest_block_height"])

            def call(method: str, params: list):
                body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
                return client.post(url, json=body).raise_for_status().json()["result"]

            if source == "evm":
                return int(call("eth_blockNumber", []), 16)
            head_hash = call("chain_getFinalizedHead", [])
            return int(call("chain_getHeader", [head_hash])["number"], 16)
    except (httpx.HTTPError, KeyError, TypeError, ValueError):
        return None


def failed_checks(url: str | None = None) -> list[dict]:
    """Suite runs whose latest result for their (suite, source, stream, range) did not pass."""
    frame = db.read_sql(
        "SELECT suite, source, stream, range_start, range_end, outcome, expectations_failed, "
        "rows_quarantined, validated_at FROM ("
        "  SELECT r.*, ROW_NUMBER() OVER (PARTITION BY suite, source, stream, range_start, range_end"
        "                                 ORDER BY validated_at DESC, result_id DESC) AS newest"
        "  FROM dq_results r) ranked "
        "WHERE newest = 1 AND NOT success ORDER BY validated_at DESC",
        url=url,
    )
    checks = []
    for row in frame.to_dict("records"):
        row["validated_at"] = _naive_utc(row["validated_at"])
        for key in ("range_start", "range_end", "expectations_failed", "rows_quarantined"):
            row[key] = int(row[key])
        checks.append(row)
    return checks


def stream_status(now: datetime, url: str | None = None, heads: bool = True) -> list[StreamStatus]:
    """One StreamStatus per checkpointed stream, ages counted from `now` (UTC)."""
    now = _naive_utc(now)
    checkpoints = db.read_sql(
        "SELECT source, stream, position FROM ingest_checkpoints ORDER BY source, stream", url=url
    )
    quotes = db.read_sql(
        "SELECT payload->>'coin_id' AS stream, MAX(block_time) AS latest_time, MAX(block_number) AS latest "
        "FROM events WHERE source = 'coingecko' GROUP BY payload->>'coin_id'",
        url=url,
    )
    quote_of = {r["stream"]: r for r in quotes.to_dict("records")}
    batches = db.read_sql(
        "SELECT b.batch_id, b.source, b.stream, b.range_unit, b.range_start, b.range_end, b.rows_in, "
        "b.rows_new, b.rows_quarantined, b.started_at, "
        "(SELECT MIN(d.outcome) FROM dq_results d WHERE d.batch_id = b.batch_id) AS outcome "
        "FROM ingest_batches b WHERE b.started_at = (SELECT MAX(started_at) FROM ingest_batches l "
        "  WHERE l.source = b.source AND l.stream = b.stream)",
        url=url,
    )
    batch_of = {(r["source"], r["stream"]): r for r in batches.to_dict("records")}
    checks = failed_checks(url)
    head_cache: dict[str, int | None] = {}
    out = []
    for cp in checkpoints.to_dict("records"):
        source, stream, position = cp["source"], cp["stream"], int(cp["position"])
        if source == "coingecko":
            quote = quote_of.get(stream) or {}
            unit, latest_time, number = "quote", _naive_utc(quote.get("latest_time")), None
        else:
            block = db.read_sql(
                "SELECT block_number, block_time FROM chain_blocks WHERE source = :source "
                "AND stream = :stream ORDER BY block_number DESC LIMIT 1",
                {"source": source, "stream": stream},
                url=url,
            )
            unit = "block"
            latest_time = _naive_utc(block["block_time"].iloc[0]) if len(block) else None
            number = int(block["block_number"].iloc[0]) if len(block) else None
        status = StreamStatus(
            source=source,
            stream=stream,
            position=position,
            unit=unit,
            latest_time=latest_time,
            latest_number=number,
            age_seconds=None if latest_time is None else int((now - latest_time).total_seconds()),
        )
        if heads and unit == "block":
            if source not in head_cache:
                head_cache[source] = chain_head(source)
            status.head = head_cache[source]
            if status.head is not None:
                status.lag_blocks = max(0, status.head - position)
        batch = batch_of.get((source, stream))
        if batch is not None:
            status.last_batch = {
                "started_at": _naive_utc(batch["started_at"]),
                "range_unit": batch["range_unit"],
                "range_start": int(batch["range_start"]),
                "range_end": int(batch["range_end"]),
                "rows_in": int(batch["rows_in"]),
                "rows_new": int(batch["rows_new"]),
                "rows_quarantined": int(batch["rows_quarantined"]),
                "outcome": batch["outcome"] if isinstance(batch["outcome"], str) else "loaded",
            }
        status.failed_checks = [c for c in checks if (c["source"], c["stream"]) == (source, stream)]
        out.append(status)
    return out


def human_age(seconds: int | None) -> str:
    """`3d 4h`, `2h 05m`, `4m 12s`, `12s`; negative ages (data newer than `now`) read `in the future`."""
    if seconds is None:
        return "–"
    if seconds < 0:
        return "in the future"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"
