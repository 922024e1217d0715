"""Container health check: GET /healthz of the service this container runs (found from its command line)."""

from __future__ import annotations

import os
import socket
import sys
import urllib.request
from pathlib import Path


def command() -> list[str]:
    """The command line of PID 1, the process the container runs."""
    return [a.decode() for a in Path("/proc/1/cmdline").read_bytes().split(b"\0") if a]


def service_port(argv: list[str]) -> int:
    """The HTTP port of the service ``python -m crm_<name> ...`` in ``argv``, env overrides first."""
    from crm_kit.ports import GATEWAY_PORT, SERVICE_PORTS

    module = next((a for a in argv if a.startswith("crm_")), "crm_gateway")
    name = module.removeprefix("crm_").replace("_", "-")
    default = GATEWAY_PORT if name == "gateway" else SERVICE_PORTS.get(name, GATEWAY_PORT)
    return int(os.environ.get(f"CRM_{name.upper().replace('-', '_')}_PORT", default))


def main() -> int:
    """0 when /healthz answers 200 (the SMTP sink: accepts a connection), 1 otherwise."""
    argv = command()
    if "crm_kit.smtp_sink" in argv:
        port = int(argv[argv.index("--port") + 1]) if "--port" in argv else 2525
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        except OSError as exc:
            print(f"smtp sink on {port}: {exc}", file=sys.stderr)
            return 1
        return 0
    url = f"http://127.0.0.1:{service_port(argv)}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"{url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
