"""Prometheus metrics of the service, at ``/services/livegraphs/metrics``.

Request latency and uploads are counted as they happen; datasets, bytes stored
and active users are read from the catalog at each scrape.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ..store import GuardedStore

#: Periods of the active-users gauge, as label value → length.
ACTIVE_PERIODS = {"1h": dt.timedelta(hours=1), "24h": dt.timedelta(days=1), "7d": dt.timedelta(days=7),
                  "30d": dt.timedelta(days=30)}  # fmt: skip


class _CatalogCollector(Collector):
    def __init__(self, guarded: GuardedStore):
        self.guarded = guarded

    def collect(self) -> Iterator[GaugeMetricFamily]:
        totals = self.guarded.totals()
        yield GaugeMetricFamily("livegraphs_datasets", "Datasets in the store", value=totals["datasets"])
        yield GaugeMetricFamily(
            "livegraphs_stored_bytes",
            "Bytes of Parquet stored, each version file once",
            value=totals["bytes"],
        )
        active = GaugeMetricFamily(
            "livegraphs_active_users", "Distinct users with any activity in the period", labels=["period"]
        )
        now = dt.datetime.now(dt.timezone.utc)
        for label, length in ACTIVE_PERIODS.items():
            active.add_metric([label], self.guarded.events.active_users(now - length))
        yield active


class ServiceMetrics:
    """The service's own registry (never the process-global one, so several apps can coexist)."""

    def __init__(self, guarded: GuardedStore):
        self.registry = CollectorRegistry()
        self.requests = Histogram(
            "livegraphs_request_duration_seconds",
            "Time to answer an API request",
            ["method", "handler", "code"],
            registry=self.registry,
        )
        self.uploads = Counter("livegraphs_uploads", "Datasets uploaded", registry=self.registry)
        self.upload_bytes = Counter(
            "livegraphs_upload_bytes", "Bytes received in accepted uploads", registry=self.registry
        )
        self.registry.register(_CatalogCollector(guarded))

    def observe_request(self, handler: Any) -> None:
        self.requests.labels(
            handler.request.method, type(handler).__name__, str(handler.get_status())
        ).observe(handler.request.request_time())

    def upload(self, size: int) -> None:
        self.uploads.inc()
        self.upload_bytes.inc(size)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
