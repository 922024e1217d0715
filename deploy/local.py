"""The local runner behind ``make up`` / ``make start`` / ``make stop``.

``up`` starts Kafka (unless CRM_KAFKA_BOOTSTRAP names a cluster), waits for it (not failing when it is slow), starts the
SMTP sink, every service that exists and the gateway, loads the demo data once, prints the URL and
the login, and stops everything on Ctrl-C. ``start`` does the same in the background and returns
when all are healthy; ``stop`` stops what ``start`` started.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from crm_kit import kafka
from crm_kit.ports import GATEWAY_PORT, SERVICE_PORTS

ROOT = Path(__file__).resolve().parents[1]
VAR = Path(os.environ.get("CRM_VAR", ROOT / "var"))
RUN = VAR / "run"
LOGS = VAR / "log"

SERVICES = {**SERVICE_PORTS, "gateway": GATEWAY_PORT}
"""Every service and its HTTP port (the gateway last: it routes to the others)."""
GATEWAY = f"http://127.0.0.1:{GATEWAY_PORT}"

SMTP_PORT = int(os.environ.get("CRM_SMTP_SINK_PORT", "2525"))


def available() -> list[str]:
    """The services whose code exists in this checkout."""
    return [
        s for s in SERVICES if (ROOT / "services" / s / "src" / f"crm_{s.replace('-', '_')}" / "bootstrap.py").exists()
    ]


def _spawn(name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    LOGS.mkdir(parents=True, exist_ok=True)
    RUN.mkdir(parents=True, exist_ok=True)
    log = (LOGS / f"{name}.log").open("ab")
    proc = subprocess.Popen(
        argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}, start_new_session=True
    )
    (RUN / f"{name}.pid").write_text(str(proc.pid))
    return proc


def start_all() -> list[subprocess.Popen[bytes]]:
    """Start Kafka, the topics, the SMTP sink, every service and the gateway; wait until healthy."""
    bootstrap = os.environ.get("CRM_KAFKA_BOOTSTRAP")
    if not bootstrap:
        subprocess.run([str(ROOT / "deploy/kafka/kafka.sh"), "start"], check=True)
        bootstrap = "127.0.0.1:9092"
    print(f"waiting for Kafka at {bootstrap} ...", flush=True)
    try:
        asyncio.run(kafka.probe(bootstrap, timeout=120))
    except TimeoutError as exc:
        # The services start without it: they take writes into their outboxes, create the topics and
        # publish once it answers (their /readyz says "degraded" until then).
        print(f"Kafka is not answering yet ({exc}); starting the services anyway", flush=True)
    procs = [
        _spawn(
            "smtp-sink",
            [sys.executable, "-m", "crm_kit.smtp_sink", "--port", str(SMTP_PORT), "--maildir", str(VAR / "sent-mail")],
        )
    ]
    for name in available():
        module = f"crm_{name.replace('-', '_')}"
        procs.append(_spawn(name, [sys.executable, "-m", module, "run"], {"CRM_KAFKA_BOOTSTRAP": bootstrap}))
    wait_healthy(available())
    return procs


def wait_healthy(names: list[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    pending = set(names)
    while pending and time.monotonic() < deadline:
        for name in list(pending):
            try:
                if httpx.get(f"http://127.0.0.1:{SERVICES[name]}/healthz", timeout=1).status_code == 200:
                    pending.discard(name)
            except httpx.HTTPError:
                pass
        time.sleep(0.5)
    if pending:
        raise SystemExit(f"not healthy after {timeout:.0f}s: {', '.join(sorted(pending))} (see var/log/)")


def stop_all() -> None:
    """Stop every process recorded under var/run (SIGTERM, then SIGKILL after 15 s)."""
    if not RUN.exists():
        return
    pids = {}
    for pidfile in RUN.glob("*.pid"):
        try:
            pids[pidfile] = int(pidfile.read_text())
            os.killpg(pids[pidfile], signal.SIGTERM)
        except (ValueError, ProcessLookupError, PermissionError):
            pidfile.unlink(missing_ok=True)
    deadline = time.monotonic() + 15
    for pidfile, pid in pids.items():
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        pidfile.unlink(missing_ok=True)


def banner() -> None:
    password = os.environ.get("CRM_ADMIN_PASSWORD", "admin")
    print(
        "\nCRM is running:\n"
        f"  web UI   {GATEWAY}/  (login: admin / " + password + ")\n"
        f"  API      {GATEWAY}/api/schema\n"
        f"  mail     SMTP sink 127.0.0.1:{SMTP_PORT}, messages in var/sent-mail/\n"
        "  import   drop exported emails into var/mail-inbox/\n"
        "  logs     var/log/\n",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.local", description=__doc__)
    parser.add_argument("command", choices=["up", "start", "stop"])
    parser.add_argument("--no-demo", action="store_true", help="do not load the demo data")
    args = parser.parse_args()
    if args.command == "stop":
        stop_all()
        print("stopped (Kafka keeps running: deploy/kafka/kafka.sh stop)")
        return
    stop_all()
    procs = start_all()
    if not args.no_demo:
        from deploy import demo

        demo.load(GATEWAY, os.environ.get("CRM_ADMIN_PASSWORD", "admin"))
    banner()
    if args.command == "start":
        return
    stop = False

    def on_signal(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print("Ctrl-C stops everything.", flush=True)
    while not stop:
        for proc in procs:
            if proc.poll() is not None:
                print(f"a process exited ({proc.args!r}); see var/log/", flush=True)
                procs.remove(proc)
        time.sleep(0.5)
    stop_all()
    subprocess.run([str(ROOT / "deploy/kafka/kafka.sh"), "stop"], check=False)
    print("stopped")


if __name__ == "__main__":
    main()
