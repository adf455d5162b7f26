"""What gatecrash's self-contained pages share: the base stylesheet and CSP hashes of inline code."""

from __future__ import annotations

import base64
import hashlib

# The report and the canary page add their own rules after these.
BASE_CSS = """
:root { --fg: #1d232a; --muted: #5b6670; --line: #d8dee4; --bg: #f6f8fa; --ok: #1a7f37; --bad: #b42318;
  --warn: #9a6700; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); }
header { padding: 18px 28px; background: #22303c; color: #fff; }
header h1 { margin: 0 0 6px; font-size: 22px; }
header p { margin: 0; }
main { padding: 8px 28px 40px; max-width: 1600px; }
h2 { margin: 28px 0 10px; font-size: 18px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
code, pre, .mono { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { white-space: pre-wrap; word-break: break-all; margin: 4px 0; background: var(--bg); padding: 6px 8px; }
table { border-collapse: collapse; width: 100%; }
"""


def csp_hash(text: str) -> str:
    """A Content-Security-Policy source allowing exactly this inline style or script."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"
