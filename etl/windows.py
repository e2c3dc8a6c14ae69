"""The time window a DAG run covers: run configuration first, then the data interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def _as_unix(value: object, name: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an ISO timestamp or unix seconds, not {value!r}")
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp())
    raise ValueError(f"{name} must be an ISO timestamp or unix seconds, not {value!r}")


def resolve_window(
    params: dict | None,
    interval_start: datetime | None,
    interval_end: datetime | None,
    run_after: datetime | None = None,
) -> tuple[int, int]:
    """[start, end) in unix seconds.

    `params` with `start` and `end` (a backfill or a manual run with configuration) wins; otherwise the
    run's data interval; a manual run with an empty interval covers the last full hour before it.
    """
    params = params or {}
    if params.get("start") is not None or params.get("end") is not None:
        if params.get("start") is None or params.get("end") is None:
            raise ValueError("run configuration needs both `start` and `end`")
        start, end = _as_unix(params["start"], "start"), _as_unix(params["end"], "end")
    elif interval_start is not None and interval_end is not None and interval_end > interval_start:
        start, end = int(interval_start.timestamp()), int(interval_end.timestamp())
    else:
        anchor = run_after or interval_end or datetime.now(UTC)
        end_dt = anchor.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        start, end = int((end_dt - timedelta(hours=1)).timestamp()), int(end_dt.timestamp())
    if end <= start:
        raise ValueError(f"window start {start} must be before end {end}")
    return start, end
