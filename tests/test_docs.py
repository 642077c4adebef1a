"""The README stays short, docs/ holds the reference, links between pages work on a forge,
and the example file the docs run on is what its generator writes."""

import re
import subprocess
import sys

from tests.conftest import ROOT
from tests.doc_examples import pages

EXAMPLES = ROOT / "examples"


def anchors(text: str) -> set[str]:
    """The anchors a forge (GitHub, GitLab, Forgejo) gives the headings of a Markdown page."""
    found = set()
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    for heading in re.findall(r"^#{1,6} (.+)$", text, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


def test_the_readme_is_short():
    assert len((ROOT / "README.md").read_text(encoding="utf-8").split("\n")) < 250


def test_docs_hold_the_reference():
    names = {page.name for page in (ROOT / "docs").glob("*.md")}
    assert {"README.md", "balance.md", "analyses.md", "products.md", "fetch.md",
            "input-layouts.md", "dane-files.md", "exit-codes.md", "speed.md",
            "development.md", "flows-and-country.md"} <= names


def test_relative_links_and_anchors_resolve():
    for page in [*pages(), EXAMPLES / "README.md"]:
        text = page.read_text(encoding="utf-8")
        prose = re.sub(r"```.*?```", "", text, flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", prose):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            assert linked.exists(), f"{page.name}: {target}"
            if anchor:
                assert anchor in anchors(linked.read_text(encoding="utf-8")), \
                    f"{page.name}: {target}"


def test_the_example_file_is_what_its_generator_writes(tmp_path):
    out = tmp_path / "again.csv"
    subprocess.run([sys.executable, str(EXAMPLES / "make_examples.py"), str(out)], check=True,
                   capture_output=True)
    assert out.read_bytes() == (EXAMPLES / "pa_trade_2000_2020.csv").read_bytes()


def test_the_example_file_says_its_figures_are_made_up():
    lines = (EXAMPLES / "pa_trade_2000_2020.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "reporter,partner,year,flow,value_usd,valuation,source"
    assert all(line.endswith(",pa-trade example data (made-up figures)") for line in lines[1:])
