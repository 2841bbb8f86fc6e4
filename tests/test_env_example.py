import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_env_example_lists_exactly_the_variables_the_app_reads():
    source = (ROOT / "bot" / "config.py").read_text()
    read = set(re.findall(r'"((?:SLACK|HEYNOW|DATABASE|HOST|PORT|LOG)[A-Z_]*)"', source))
    listed = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert read == listed


def test_every_listed_variable_has_a_comment():
    lines = (ROOT / ".env.example").read_text().splitlines()
    for n, line in enumerate(lines):
        if re.match(r"^[A-Z_]+=", line):
            assert lines[n - 1].startswith("#") or re.match(r"^[A-Z_]+=", lines[n - 1]), line
