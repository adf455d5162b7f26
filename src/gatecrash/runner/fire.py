"""Firing a scenario: the only place that sends HTTP.

Probes run concurrently up to the scenario's `concurrency`, each on a client of its own from a
small pool (one httpx.AsyncClient's throughput collapses as requests in flight rise,
encode/httpx#3215; clients sharing one SSLContext do not). A burst waits for the probes before
it, runs alone, and holds back the probes after it. Safety rails: no request is sent past the
run's `Budget` (the scenario's `max-requests` and `max-duration`, shared with the run's load phases
and a canary's retries); such requests are recorded as not sent.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx

from gatecrash.credentials import Secrets
from gatecrash.runner import redact
from gatecrash.runner.budget import Budget
from gatecrash.runner.build import WireRequest, build
from gatecrash.runner.burst import BurstAnswer, release
from gatecrash.runner.record import BODY_EXCERPT, Observation, SentRequest, kept_headers
from gatecrash.scenario.model import Burst, Probe, Scenario, Step
from gatecrash.target import LiveTarget

Progress = Callable[[Step, int], None]  # a step finished, with the number of requests it sent


@dataclass(frozen=True, slots=True)
class StepRecord:
    step: Step
    observations: tuple[Observation, ...]
    release_spread_ms: float | None = None  # bursts: first to last request leaving


class Runner:
    def __init__(
        self,
        scenario: Scenario,
        target: LiveTarget,
        secrets: Secrets,
        progress: Progress | None = None,
        run_id: str | None = None,
        budget: Budget | None = None,
        ledger: redact.Ledger | None = None,
    ) -> None:
        self.scenario = scenario
        self.target = target
        self.secrets = secrets
        self.progress = progress
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self._tls = ssl.create_default_context()
        # The run's (shared with its other batches, load phases and retries), else the scenario's own.
        self._budget = budget if budget is not None else Budget.of(scenario.limits)
        # Every secret the run resolved or mints, shared with the run so that it scrubs its evidence too.
        self.ledger = ledger if ledger is not None else redact.Ledger(secrets.values())

    async def run(self) -> list[StepRecord]:
        timeout = httpx.Timeout(self.scenario.timeout_s)
        clients = [
            httpx.AsyncClient(verify=self._tls, timeout=timeout, follow_redirects=False)
            for _ in range(self.scenario.concurrency)
        ]
        pool: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
        for client in clients:
            pool.put_nowait(client)
        records: dict[int, StepRecord] = {}
        pending: list[asyncio.Task[None]] = []
        try:
            for position, step in enumerate(self.scenario.steps):
                if isinstance(step, Burst):
                    await asyncio.gather(*pending)
                    pending.clear()
                    records[position] = await self._burst(step)
                    self._report(step, records[position])
                elif isinstance(step, Probe):  # load phases run on locust (gatecrash.load), never here
                    pending.append(asyncio.create_task(self._probe_into(step, position, pool, records)))
            await asyncio.gather(*pending)
        finally:
            await asyncio.gather(*(client.aclose() for client in clients))
        return [records[position] for position in sorted(records)]

    def _report(self, step: Step, record: StepRecord) -> None:
        if self.progress is not None:
            self.progress(step, sum(o.error is None or not o.error.startswith("not sent") for o in record.observations))

    async def _probe_into(
        self, probe: Probe, position: int, pool: asyncio.Queue[httpx.AsyncClient], records: dict[int, StepRecord]
    ) -> None:
        client = await pool.get()
        try:
            observations = [await self._send(client, probe, index) for index in range(probe.repeat)]
        finally:
            pool.put_nowait(client)
        records[position] = StepRecord(probe, tuple(observations))
        self._report(probe, records[position])

    def _wire(self, step: Probe | Burst, index: int) -> WireRequest:
        tag = f"{self.run_id}/{step.name}/{index}"
        wire = build(step.request, self.target.base_url, self.secrets, self.target.region, tag)
        self.ledger.add(*wire.secrets)
        return wire

    def _sent(self, wire: WireRequest) -> SentRequest:
        # Without a query there is nothing to redact in a URL, and parsing one costs about 10 µs a request.
        shown = wire.url if "?" not in wire.url else self._redacted_url(wire.url)
        body = self.ledger.excerpt(wire.body, BODY_EXCERPT)
        return SentRequest(wire.method, shown, self._headers(wire.headers), body, len(wire.body))

    @staticmethod
    def _redacted_url(sent: str) -> str:
        url = httpx.URL(sent)
        query = redact.query(url.params.multi_items())
        return str(url.copy_with(params=query)) if query else sent

    def _headers(self, pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
        """Headers as a report may show them: secret ones masked by name, any secret value scrubbed."""
        return tuple((name, self.ledger.scrub(value)) for name, value in redact.headers(pairs))

    async def _send(self, client: httpx.AsyncClient, probe: Probe, index: int) -> Observation:
        wire = self._wire(probe, index)
        sent = self._sent(wire)
        refusal = self._budget.take()
        started = time.time()
        if refusal is not None:
            return Observation(probe.name, index, sent, started, None, None, error=refusal)
        try:
            response = await client.request(wire.method, wire.url, headers=list(wire.headers), content=wire.body)
        except httpx.HTTPError as exc:
            error = self.ledger.scrub(_transport_error(exc))
            return Observation(probe.name, index, sent, started, None, None, error=error)
        return Observation(
            probe.name,
            index,
            sent,
            started,
            time.time(),
            response.status_code,
            kept_headers(list(response.headers.multi_items())),
            self.ledger.excerpt(response.content, BODY_EXCERPT),
            all_headers=self._headers(response.headers.multi_items()),
        )

    async def _burst(self, burst: Burst) -> StepRecord:
        wires = [self._wire(burst, index) for index in range(burst.requests)]
        refusal = self._budget.take(len(wires))
        now = time.time()
        if refusal is not None:
            return StepRecord(
                burst,
                tuple(
                    Observation(burst.name, i, self._sent(w), now, None, None, error=refusal)
                    for i, w in enumerate(wires)
                ),
            )
        answers = await release(wires, self._tls, self.scenario.timeout_s)
        observations = tuple(
            self._from_answer(burst, i, w, a) for i, (w, a) in enumerate(zip(wires, answers, strict=True))
        )
        spread = (max(a.sent_at for a in answers) - min(a.sent_at for a in answers)) * 1000
        return StepRecord(burst, observations, spread)

    def _from_answer(self, burst: Burst, index: int, wire: WireRequest, answer: BurstAnswer) -> Observation:
        return Observation(
            burst.name,
            index,
            self._sent(wire),
            answer.sent_at,
            answer.received_at,
            answer.status,
            kept_headers(list(answer.headers)),
            self.ledger.excerpt(answer.body, BODY_EXCERPT),
            self.ledger.scrub(answer.error) if answer.error is not None else None,
            all_headers=self._headers(answer.headers),
        )


def _transport_error(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timeout ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        return f"connection failed: {exc}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"connection closed by the server: {exc}"
    return f"{type(exc).__name__}: {exc}"
