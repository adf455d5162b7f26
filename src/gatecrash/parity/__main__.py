"""`python -m gatecrash.parity`: replay the parity suite, print the table, write docs/PARITY.md.

Exit 0 when every case reproduces AWS's answer or differs for the reason its file gives; 1 when a
case differs without one (or a reason has gone stale) or the inventory and the cases disagree; 2 when
a case file or the inventory cannot be read. Like cli.py, this entry point is the one place here that
writes to the terminal and exits.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gatecrash.errors import ConfigError, GatecrashError
from gatecrash.parity.cases import all_cases, load_cases
from gatecrash.parity.inventory import check, load_inventory
from gatecrash.parity.report import markdown, summarize, table
from gatecrash.parity.runner import run_cases

ROOT = Path("tests/parity")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gatecrash.parity", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=ROOT / "cases", help="folder of case files")
    parser.add_argument("--inventory", type=Path, default=ROOT / "inventory.yaml")
    parser.add_argument("--out", type=Path, default=Path("docs/PARITY.md"), help="where to write the report")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    options = parser.parse_args(argv)
    try:
        files = load_cases(options.cases)
        entries = load_inventory(options.inventory)
        problems = check(entries, all_cases(files), str(options.inventory))
        results = run_cases(files)
    except ConfigError as error:
        sys.stderr.write(f"{error}\n")
        return 2
    except GatecrashError as error:
        sys.stderr.write(f"{error}\n")
        return 3
    summary = summarize(results)
    sys.stdout.write(table(summary, entries))
    if not options.no_write:
        options.out.parent.mkdir(parents=True, exist_ok=True)
        options.out.write_text(markdown(summary, results, entries), encoding="utf-8")
        sys.stdout.write(f"wrote {options.out}\n")
    for line in [*map(str, problems), *summary.failures]:
        sys.stdout.write(f"FAIL {line}\n")
    return 1 if problems or summary.failures else 0


if __name__ == "__main__":
    sys.exit(main())
