"""Reference facts: the versioned CSV reaches `reference_facts` on both engines, loads idempotently,
follows a changed file, and refuses a fact without a source, naming its line and fact_id."""

from datetime import date
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from etl.cli import app as cli
from warehouse import db, reference

runner = CliRunner()
HEADER = "fact_id,subject,fact,value,unit,as_of,source_title,source_url,note\n"
SOURCE = '"An article (Example)",https://example.org/article'


def _table(url: str) -> list[tuple]:
    frame = db.read_sql(
        "SELECT fact_id, subject, fact, value, value_number, unit, as_of, source_title, source_url, note "
        "FROM reference_facts ORDER BY fact_id",
        url=url,
    )
    return [tuple(None if v != v else v for v in row) for row in frame.itertuples(index=False)]


def _fact(url: str, fact_id: str) -> dict:
    frame = db.read_sql("SELECT * FROM v_reference_facts WHERE fact_id = :f", {"f": fact_id}, url=url)
    assert len(frame) == 1, fact_id
    return frame.iloc[0].to_dict()


def test_the_migrated_warehouse_holds_every_fact_of_the_file_with_its_source(warehouse_url):
    # The shipped file holds 36 facts (counted by hand from its rows).
    assert len(_table(warehouse_url)) == 36
    funding = _fact(warehouse_url, "sh_funding")
    assert funding["subject"] == "sahara" and funding["value"] == "49000000" and funding["unit"] == "USD"
    assert Decimal(str(funding["value_number"])) == Decimal("49000000")
    assert str(funding["as_of"])[:10] == "2026-01-16"
    assert funding["source_url"].startswith("https://blockeden.xyz/blog/2026/01/16/")
    assert "BlockEden" in funding["source_title"]
    ido = _fact(warehouse_url, "sh_ido_people")
    assert ido["value"] == "103000" and ido["note"] == "from 118 countries"
    split = _fact(warehouse_url, "bt_split")  # not a number: kept as text, no value_number
    assert split["value"] == "41/41/18" and split["value_number"] is None
    staked = _fact(warehouse_url, "bt_staked")
    assert Decimal(str(staked["value_number"])) == Decimal("0.73")


def test_loading_twice_changes_nothing_and_a_changed_file_updates_the_table(warehouse_url, tmp_path):
    before = _table(warehouse_url)
    again = reference.sync(warehouse_url)
    assert (again.inserted, again.updated, again.deleted, again.unchanged) == (0, 0, 0, 36)
    assert _table(warehouse_url) == before

    lines = reference.CSV_PATH.read_text(encoding="utf-8").splitlines(keepends=True)
    changed = [line.replace(",49000000,USD,", ",50000000,USD,") for line in lines]
    changed = [line for line in changed if not line.startswith("sector_openai,")]
    changed.append(f"sh_test_fact,sahara,a fact added for the test,7,things,2026-02-01,{SOURCE},\n")
    edited = tmp_path / "reference_facts.csv"
    edited.write_text("".join(changed), encoding="utf-8")

    result = reference.sync(warehouse_url, edited)
    assert (result.inserted, result.updated, result.deleted, result.unchanged) == (1, 1, 1, 34)
    assert _fact(warehouse_url, "sh_funding")["value"] == "50000000"
    added = _fact(warehouse_url, "sh_test_fact")
    assert added["source_url"] == "https://example.org/article" and str(added["as_of"])[:10] == "2026-02-01"
    assert "sector_openai" not in {row[0] for row in _table(warehouse_url)}
    assert len(_table(warehouse_url)) == 36

    # Back to the shipped file: the table is what it was.
    reference.sync(warehouse_url)
    assert _table(warehouse_url) == before


@pytest.mark.parametrize(
    ("row", "says"),
    [
        ("bt_nosource,bittensor,a fact,1,x,2026-01-01,,,", "no source_title and source_url"),
        ('bt_nourl,bittensor,a fact,1,x,2026-01-01,"A title",,', "no source_url"),
        ("bt_notitle,bittensor,a fact,1,x,2026-01-01,,https://example.org/a,", "no source_title"),
        ("bt_badurl,bittensor,a fact,1,x,2026-01-01,A title,example.org/a,", "is not an http(s) address"),
        ("bt_baddate,bittensor,a fact,1,x,January 2026,A title,https://example.org/a,", "is not a date"),
        # A value whose unit names a moment must be one: the charts draw it as a milestone.
        (
            "bt_day,bittensor,a launch,2025-02-30,date,2026-01-01,A title,https://example.org/a,",
            "value '2025-02-30' of unit date is not a date (YYYY-MM-DD)",
        ),
        (
            "bt_month,bittensor,a launch,2025-13,month,2026-01-01,A title,https://example.org/a,",
            "value '2025-13' of unit month is not a month (YYYY-MM)",
        ),
        (
            "bt_quarter,bittensor,a launch,Q3 2025,quarter,2026-01-01,A title,https://example.org/a,",
            "value 'Q3 2025' of unit quarter is not a quarter (YYYY-Qn, n from 1 to 4)",
        ),
    ],
)
def test_a_fact_without_a_source_is_refused_naming_its_line_and_id(duckdb_url, tmp_path, row, says):
    before = _table(duckdb_url)
    bad = tmp_path / "facts.csv"
    # A quoted note spanning two lines comes first, so the bad row starts on line 4 of the file.
    bad.write_text(
        HEADER + f'ok_fact,sahara,a fact,2,x,2026-01-01,{SOURCE},"a note\non two lines"\n' + row + "\n",
        encoding="utf-8",
    )
    fact_id = row.split(",", 1)[0]
    with pytest.raises(reference.ReferenceFactError) as refused:
        reference.sync(duckdb_url, bad)
    message = str(refused.value)
    assert f"facts.csv line 4 (fact_id {fact_id})" in message and says in message, message
    assert _table(duckdb_url) == before  # nothing loaded, not even the good row before it


def test_a_repeated_fact_id_is_refused(duckdb_url, tmp_path):
    bad = tmp_path / "facts.csv"
    bad.write_text(
        HEADER + f"dup,sahara,a,1,x,2026-01-01,{SOURCE},\n" + f"dup,sahara,b,2,x,2026-01-01,{SOURCE},\n",
        encoding="utf-8",
    )
    with pytest.raises(reference.ReferenceFactError, match=r"line 3 \(fact_id dup\).*already used on line 2"):
        reference.sync(duckdb_url, bad)


def test_decai_migrate_loads_the_file_and_refuses_a_sourceless_row(duckdb_url, tmp_path, monkeypatch):
    ok = runner.invoke(cli, ["migrate"])
    assert ok.exit_code == 0, ok.output
    bad = tmp_path / "reference_facts.csv"
    bad.write_text(HEADER + "sh_x,sahara,a fact,1,x,2026-01-01,A title,,\n", encoding="utf-8")
    monkeypatch.setattr(reference, "CSV_PATH", bad)
    refused = runner.invoke(cli, ["migrate"])
    assert refused.exit_code == 2
    assert "reference_facts.csv line 2 (fact_id sh_x): no source_url" in " ".join(refused.output.split())
    assert len(_table(duckdb_url)) == 36  # the table keeps the facts it had
    assert date(2026, 1, 16) in {row[6] if isinstance(row[6], date) else None for row in _table(duckdb_url)}


# ---------------------------------------------------------------------------------- head to head

BLOCKEDEN = "https://blockeden.xyz/blog/2026/01/16/sahara-ai-vs-bittensor-decentralized-ai-visions"


def _head_to_head(url: str):
    from dashboards import queries
    from dashboards.pages import overview
    from dashboards.state import View

    view = View(date(2026, 1, 1), date(2026, 1, 14), None)
    with queries.session(url):
        frame = overview.head_to_head_frame(url, view)
    return frame.set_index("aspect"), overview.head_to_head_table(frame, view)


def test_the_head_to_head_shows_each_facts_value_date_and_source_from_the_table(warehouse_url):
    rows, (_title, table) = _head_to_head(warehouse_url)
    # Values as the CSV states them (sh_funding: 49000000 USD; sh_ido_*: 74000000 USD, 103000 people).
    funding = rows.loc["Funding"]
    assert funding["sahara"] == "$49M (founded by researchers from MIT and USC)"
    assert funding["bittensor"] is None or funding["bittensor"] != funding["bittensor"]
    assert (funding["sahara_as_of"], funding["sahara_source_url"]) == ("2026-01-16", BLOCKEDEN)
    assert funding["sahara_source"].endswith("(BlockEden.xyz)")
    assert rows.loc["IDO", "sahara"] == (
        "IDO raised (Buidlpad): $74M (more than $74M in 2025); IDO participants: 103,000 people (from 118 countries)"
    )
    assert rows.loc["Token supply", "bittensor"] == "21,000,000 TAO (hard cap, no pre-mine, no ICO)"
    assert rows.loc["Token supply", "sahara"] == "10,000,000,000 SAHARA"
    assert rows.loc["Token generation event", "sahara"] == "2025-06"
    assert rows.loc["Mainnet", "sahara"] == "2025-Q3"
    assert rows.loc["ETF filing", "bittensor"] == "2025-12 (a possible TAO ETF)"
    # Each side of a row has its own source: the consensus rows cite two.
    consensus = rows.loc["Consensus"]
    assert consensus["sahara"] == "CometBFT proof of stake" and consensus["sahara_source_url"] == BLOCKEDEN
    assert consensus["bittensor_source_url"] == "https://docs.learnbittensor.org/yuma-consensus"
    assert consensus["bittensor_as_of"] == "2025-06-18"
    # The table shows the value, then the date and the source's title linked to its address.
    shown = {row["aspect"]: row for row in table.data}
    cell = shown["Consensus"]["bittensor"]
    assert cell.startswith("Yuma Consensus over validators' rankings of miners")
    assert "_as of 2025\\-06\\-18 · [Yuma Consensus \\(Bittensor documentation\\)]" in cell
    assert cell.endswith("](https://docs.learnbittensor.org/yuma-consensus)_")
    assert [c.get("presentation") for c in table.columns] == [None, "markdown", "markdown"]
    assert shown["Funding"]["bittensor"] == "–"


def test_the_head_to_head_follows_the_file_and_keeps_no_text_of_its_own(duckdb_url, tmp_path):
    lines = reference.CSV_PATH.read_text(encoding="utf-8").splitlines(keepends=True)
    edited = [line.replace(",49000000,USD,", ",52500000,USD,") for line in lines]
    edited = [line for line in edited if not line.startswith(("sh_consensus,", "bt_consensus,"))]
    changed = tmp_path / "reference_facts.csv"
    changed.write_text("".join(edited), encoding="utf-8")
    reference.sync(duckdb_url, changed)
    rows, _table_shown = _head_to_head(duckdb_url)
    assert rows.loc["Funding", "sahara"] == "$52.5M (founded by researchers from MIT and USC)"
    # Without its facts the consensus row is empty on both sides, with no source.
    consensus = rows.loc["Consensus"]
    assert consensus[["bittensor", "sahara", "bittensor_source", "sahara_source"]].isna().all()
