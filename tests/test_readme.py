"""The README's "How data flows" diagram names modules that exist: a move or a rename that leaves the
diagram behind fails here, naming the path the README still shows."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: A path in the diagram: `etl/events.py`, `warehouse/projections/`, `etl/sources/{subtensor,evm}.py`.
PATH = re.compile(r"\b((?:dags|etl|warehouse|dashboards|devnet|bench|tests)/[\w/{},.*]*)")


def _diagram() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## How data flows", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```\n(.*?)```", section, flags=re.S)
    assert blocks, "README's How data flows has no diagram"
    return blocks[0]


def _expand(path: str) -> list[str]:
    """`etl/sources/{a,b}.py` -> `etl/sources/a.py`, `etl/sources/b.py` (one brace group at a time)."""
    match = re.search(r"\{([^{}]*)\}", path)
    if not match:
        return [path]
    return [
        expanded
        for option in match.group(1).split(",")
        for expanded in _expand(path[: match.start()] + option.strip() + path[match.end() :])
    ]


def named_paths() -> list[str]:
    found = []
    for raw in PATH.findall(_diagram()):
        for path in _expand(raw.rstrip(".,")):
            found.append(path)
    return found


def test_the_diagram_names_a_dozen_modules_and_braces_expand():
    paths = named_paths()
    assert len(paths) >= 12
    assert "etl/sources/subtensor.py" in paths and "etl/pipeline/sahara.py" in paths
    assert _expand("a/{b,c}/{d,e}.py") == ["a/b/d.py", "a/b/e.py", "a/c/d.py", "a/c/e.py"]


def test_every_module_the_data_flow_diagram_names_exists():
    missing = []
    for path in named_paths():
        if "*" in path:
            if not list(ROOT.glob(path)):
                missing.append(path)
        elif not (ROOT / path).exists():
            missing.append(path)
    assert not missing, f"README's How data flows names what the repository does not hold: {missing}"
