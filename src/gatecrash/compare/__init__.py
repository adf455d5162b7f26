"""`gatecrash compare`: the same probes against two targets, and where their answers differ.

- `sides.py` (pure): what `--target-a`/`--target-b` name: `emulator`, `aws`, `aws:INVOKE_URL`, a scenario file.
- `diff.py` (pure): two runs' answers, probe by probe: status, x-amzn-ErrorType, body, headers, cause.
- `runs.py` (I/O edge): opens each side's target in turn and runs the scenario's probes on it.

`--record DIR` writes side B's answers as parity cases: `gatecrash.parity.record`.
"""
