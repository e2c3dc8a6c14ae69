"""No command prints a password, API key or token given in configuration: `decai migrate`, `decai sql`,
an unsupported WAREHOUSE_URL, and RPC clients retrying against a failing node; Airflow's masker hides
them in task logs, raw and URL-encoded."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, quote_plus

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from etl.cli import app as cli

runner = CliRunner()
#: 12+ characters with the three characters that URL encoding changes.
PASSWORD = "Pw@1%2/3xYz-warehouse"
READER_PASSWORD = "Rd@9%8/7qWe-reader"
API_KEY = "Key@5%4/3abcDEF-api"


def _forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote_plus(secret), quote(secret)}


def _assert_hidden(text: str, *secrets: str) -> None:
    flat = text.replace("\n", "")  # the console wraps long lines
    for secret in secrets:
        for form in _forms(secret):
            assert form not in flat, f"{form!r} printed:\n{text}"


def _with_password(url: str, password: str, user: str | None = None) -> str:
    parsed = sa.engine.make_url(url)
    return parsed.set(password=password, username=user or parsed.username).render_as_string(
        hide_password=False
    )


@pytest.fixture()
def postgres_url(tmp_path, monkeypatch):
    from tests.conftest import fresh_warehouse

    with fresh_warehouse("postgresql", tmp_path) as url:
        yield url


def test_migrate_and_sql_never_print_the_warehouse_passwords(postgres_url, monkeypatch, caplog):
    # The test server trusts local logins, so any password connects; what matters is what gets printed.
    monkeypatch.setenv("WAREHOUSE_URL", _with_password(postgres_url, PASSWORD))
    monkeypatch.setenv(
        "WAREHOUSE_READ_URL", _with_password(postgres_url, READER_PASSWORD, user="decai_reader")
    )
    caplog.set_level(logging.DEBUG)
    migrated = runner.invoke(cli, ["migrate"])
    assert migrated.exit_code == 0, migrated.output
    assert "up to date" in migrated.output and "***" in migrated.output
    answered = runner.invoke(cli, ["sql", "-f", "json", "SELECT session_user AS who"])
    assert json.loads(answered.stdout) == [{"who": "decai_reader"}]
    failed = runner.invoke(cli, ["sql", "SELECT * FROM no_such_table"])
    refused = runner.invoke(cli, ["sql", "DELETE FROM events"])
    endpoints = runner.invoke(cli, ["endpoints"])
    assert failed.exit_code == refused.exit_code == 2
    for result in (migrated, answered, failed, refused, endpoints):
        _assert_hidden(result.output, PASSWORD, READER_PASSWORD)
    _assert_hidden(caplog.text, PASSWORD, READER_PASSWORD)


def test_an_unsupported_or_broken_warehouse_url_is_named_without_its_password(monkeypatch):
    for url in (
        f"mysql+pymysql://analyst:{quote(PASSWORD, safe='')}@db.example:3306/warehouse",
        f"postgresql+psycopg://analyst:{quote(PASSWORD, safe='')}@127.0.0.1:1/warehouse",
    ):
        monkeypatch.setenv("WAREHOUSE_URL", url)
        monkeypatch.delenv("WAREHOUSE_READ_URL", raising=False)
        for args in (["migrate"], ["sql", "SELECT 1"]):
            result = runner.invoke(cli, args)
            assert result.exit_code != 0
            _assert_hidden(result.output + repr(result.exception), PASSWORD)


class _Failing(BaseHTTPRequestHandler):
    """A node that answers every request with HTTP 503."""

    def do_POST(self):  # noqa: N802 - http.server's naming
        self.send_response(503)
        self.end_headers()

    do_GET = do_POST  # noqa: N815

    def log_message(self, *args):
        pass


@pytest.fixture()
def failing_node():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # A hosted node's URL: credentials, a key in the path and one in the query.
    yield (
        f"http://user:{quote(PASSWORD, safe='')}@127.0.0.1:{server.server_port}"
        f"/v2/{quote(API_KEY, safe='')}?apikey={quote(API_KEY, safe='')}"
    )
    server.shutdown()


def test_rpc_retry_warnings_and_errors_show_scheme_and_host_only(failing_node, caplog, monkeypatch):
    from etl.http import RetryPolicy
    from etl.sources.cometbft import CometBFTSource
    from etl.sources.evm import EvmSource
    from etl.sources.subtensor import JsonRpcHttp

    # The connectors' own retry budgets, without the waiting.
    monkeypatch.setattr(RetryPolicy, "backoff", lambda self, retry: 0.0)
    caplog.set_level(logging.DEBUG)
    evm, comet, subtensor = EvmSource(failing_node), CometBFTSource(failing_node), JsonRpcHttp(failing_node)
    failures = []
    for read in (
        lambda: evm.call("eth_blockNumber", []),
        lambda: comet.status(),
        lambda: subtensor.answers([("chain_getFinalizedHead", [])]),
    ):
        with pytest.raises(Exception) as failed:
            read()
        failures.append(failed.value)
    for client in (evm, comet, subtensor):
        client.close()
    assert "retrying" in caplog.text  # the retry path ran and logged
    host = failing_node.split("@", 1)[1].split("/", 1)[0]
    for error in failures:
        assert f"http://{host}" in str(error) and "HTTP 503" in str(error)
    for text in [str(e) for e in failures] + [repr(e) for e in failures] + [caplog.text]:
        _assert_hidden(text, PASSWORD, API_KEY)


def test_connection_secrets_are_registered_with_airflows_masker(monkeypatch, failing_node):
    from airflow.sdk._shared.secrets_masker import redact

    from etl.connections import coingecko_connection, rpc_url

    monkeypatch.setenv(
        "AIRFLOW_CONN_COINGECKO",
        json.dumps({"conn_type": "http", "host": "https://pro-api.example/api/v3", "password": API_KEY}),
    )
    monkeypatch.setenv("AIRFLOW_CONN_SAHARA_EVM", json.dumps({"conn_type": "http", "host": failing_node}))
    assert coingecko_connection().api_key == API_KEY
    rpc_url("sahara_evm")
    from warehouse import db

    db.make_engine(f"postgresql+psycopg://owner:{quote(PASSWORD, safe='')}@db.example/warehouse").dispose()
    line = " ".join(f"key={f} url={failing_node} pw={p}" for f in _forms(API_KEY) for p in _forms(PASSWORD))
    _assert_hidden(str(redact(line)), PASSWORD, API_KEY)
    assert "***" in str(redact(line))
