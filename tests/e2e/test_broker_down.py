"""A service restarted while the broker is down serves at once, takes writes, and delivers them when it is back."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx

from crm_kit.smtp_sink import SmtpSink
from crm_kit.testing import eventually
from crm_kit.testing.plugin import KafkaNode
from crm_kit.testing.stack import start_stack


def _process_env(prefix: str, settings: Any) -> dict[str, str]:
    """The environment that gives a ``python -m crm_<service> run`` process the same settings."""
    env = dict(os.environ)
    for key, value in settings.model_dump().items():
        if value is None or isinstance(value, dict | list):
            continue
        env[f"{prefix}{key.upper()}"] = str(value)
    for shared in ("kafka_bootstrap", "topic_prefix", "topic_partitions", "identity_secret", "blob_dir"):
        env[f"CRM_{shared.upper()}"] = str(getattr(settings, shared))
    env["CRM_LOG_LEVEL"] = "WARNING"
    return env


def _tasks_process(settings: Any) -> subprocess.Popen[bytes]:
    """``python -m crm_tasks run``, the way ops start it."""
    return subprocess.Popen(
        [sys.executable, "-m", "crm_tasks", "run"],
        env=_process_env("CRM_TASKS_", settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def test_a_service_restarted_while_the_broker_is_down_serves_and_its_task_reaches_the_notifier_later(
    private_kafka: KafkaNode, service_env: Callable[..., dict[str, Any]], smtp_sink: SmtpSink
) -> None:
    def on_private_broker(service: str, **overrides: Any) -> dict[str, Any]:
        return service_env(service, **{"kafka_bootstrap": private_kafka.bootstrap, **overrides})

    async with start_stack(
        on_private_broker,
        ["partners", "tasks", "notifier"],
        overrides={"notifier": {"smtp_port": smtp_sink.port, "send_backoff_seconds": 0.2}},
    ) as stack:
        api = stack.client
        response = await api.post(
            "/api/staff",
            json={"name": "Ion Țurcanu", "email": "ion@example.ro", "hours_per_day": "8", "categories": []},
        )
        assert response.status_code == 201, response.text
        ion = response.json()["id"]

        async def tasks_know_ion() -> bool:
            r = await api.get("/api/tasks/staff")
            return any(p["id"] == ion for p in r.json()["items"])

        await eventually(tasks_know_ion, timeout=60)

        tasks = stack.running["tasks"]
        settings = tasks.service.settings
        private_kafka.stop()
        await tasks.stop()

        started = time.monotonic()
        process = _tasks_process(settings)
        try:
            base = f"http://127.0.0.1:{settings.port}"

            async def healthy() -> bool:
                async with httpx.AsyncClient(timeout=1.0) as client:
                    try:
                        return (await client.get(f"{base}/healthz")).status_code == 200
                    except httpx.HTTPError:
                        return False

            try:
                await eventually(healthy, timeout=10, interval=0.1)
            except AssertionError:
                process.kill()
                raise AssertionError(f"no /healthz within 10 s: {process.communicate()[1].decode()[-3000:]}") from None
            print(f"\ntasks /healthz answered {time.monotonic() - started:.1f} s after start, broker down")
            async with httpx.AsyncClient(timeout=5.0) as client:
                ready = (await client.get(f"{base}/readyz")).json()
            assert ready["status"] == "degraded", ready
            assert "broker unreachable" in ready["reason"]

            created = await api.post("/api/tasks", json={"title": "Verificare instalare", "responsible_staff_id": ion})
            assert created.status_code == 201, created.text

            await private_kafka.start()

            async def emailed() -> list[Any]:
                return [m for m in smtp_sink.messages() if "ion@example.ro" in str(m["To"])]

            (mail,) = await eventually(emailed, timeout=120)
            assert "Verificare instalare" in str(mail["Subject"])

            async def ready_again() -> bool:
                async with httpx.AsyncClient(timeout=5.0) as client:
                    return bool((await client.get(f"{base}/readyz")).json()["status"] == "ready")

            await eventually(ready_again, timeout=30)
        finally:
            process.terminate()
            _, err = process.communicate(timeout=30)
            assert process.returncode == 0, err.decode()[-2000:]
