"""The corpus suite: gatecrash against real API Gateway definitions kept outside the repository."""
