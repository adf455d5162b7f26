"""`gatecrash canary`: a scenario run once or on a schedule, its verdicts kept as a history,
published as CloudWatch metrics and rendered as a page."""
