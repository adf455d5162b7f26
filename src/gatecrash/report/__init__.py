"""Reports: each renders one immutable RunResult; the caller writes the text where it belongs."""
