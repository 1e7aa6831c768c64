"""The batch port: run one pure function over many inputs, here or on a Ray cluster.

Work that outgrows a request (re-screening every customer when a list changes) is cut
into chunks and mapped over them. Embedded, the chunks run one after another in this
process; with ``AEGIS_RAY_ADDRESS`` set they run as Ray tasks, in parallel, on the
cluster at that address (``local`` starts a Ray instance on this machine). The function
and its inputs must be picklable and free of I/O: the caller reads and writes the
database, the engine only computes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import structlog

T = TypeVar("T")
R = TypeVar("R")

log = structlog.get_logger(__name__)


class BatchEngine(Protocol):
    name: str

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``[fn(x) for x in items]``, in order, wherever the engine runs it."""
        ...


class LocalEngine:
    name = "local"

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        return [fn(item) for item in items]


class RayEngine:
    """Ray tasks, one per item. Connects on first use; ``local`` starts a local instance."""

    name = "ray"

    def __init__(self, address: str, *, num_cpus: int | None = None) -> None:
        self.address = address
        self.num_cpus = num_cpus

    def _connect(self) -> Any:
        import ray

        if not ray.is_initialized():
            options: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "ignore_reinit_error": True,
            }
            if self.address == "local":
                options["num_cpus"] = self.num_cpus
            else:
                options["address"] = self.address
            ray.init(**options)
            log.info("ray_connected", address=self.address)
        return ray

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        if not items:
            return []
        ray = self._connect()
        remote = ray.remote(fn)
        results: list[R] = ray.get([remote.remote(item) for item in items])
        return results


def engine_for(ray_address: str | None) -> BatchEngine:
    return RayEngine(ray_address) if ray_address else LocalEngine()
