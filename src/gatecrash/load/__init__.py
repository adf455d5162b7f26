"""Load phases: arrival schedules, the locust engine (a separate process), records, estimates, charts.

Nothing here imports locust: it runs in a child process from a generated locustfile (locust
monkey-patches the interpreter at import, style.md item 12).
"""
