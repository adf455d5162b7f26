"""Correlation: the gateway's own log events for each request, and the cause they prove."""
