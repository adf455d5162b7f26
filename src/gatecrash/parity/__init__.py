"""The parity suite: answers recorded from real API Gateway, replayed against the emulator.

Each case file under `tests/parity/cases/` is one small API (a definition fragment and side-file
settings) with the requests a recording sent to it and the answers AWS gave: status, body (exact
or a subset), headers present or absent, and execution/access log lines where they were recorded.
Every case names its source (a LocalStack snapshot file, test and key recorded against AWS; an AWS
document and section; or a public capture) and its category.

- `cases.py` (pure): reads case files into frozen values, every problem at once.
- `inventory.py` (pure): the list of every snapshot entry, each a case or out of scope with a reason.
- `compare.py` (pure): an emulator answer against AWS's.
- `report.py` (pure): the table by category and `docs/PARITY.md`.
- `runner.py` (I/O): serves each case file's API on a real emulator over loopback and sends the requests.
- `backends.py`: the HTTP echo backends the recordings' APIs called (their Lambda functions are
  `tests/parity/cases/parity_handlers.py`).
- `__main__.py`: `python -m gatecrash.parity` (what `make parity` runs).
"""
