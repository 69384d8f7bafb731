"""Real DNS servers for tests, all on 127.0.0.1, no network.

`BindServer`: a BIND 9 `named` in the foreground in a fresh temp dir, on a free port, with a
random TSIG key; zones given as text; records changed mid-test with RFC 2136 updates.
`SilentServer` (never answers) and `RcodeServer` (answers every query with one rcode, e.g.
SERVFAIL) stand in for broken nameservers.

    with BindServer() as ns:
        ns.add_zone("example.com", ns.zone_text("example.com", ["www 300 IN A 192.0.2.1"]))
        ns.add_records("example.com", [("mbo1.example.com", 300, "TXT", '"v"')])
        ns.address  # ("127.0.0.1", port); ns.spec == "127.0.0.1:port"
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterable, Sequence

import dns.message
import dns.query
import dns.rcode
import dns.tsig
import dns.tsigkeyring
import dns.update

NAMED = shutil.which("named") or ("/usr/sbin/named" if os.path.exists("/usr/sbin/named") else None)
NAMED_CHECKZONE = shutil.which("named-checkzone") or (
    "/usr/sbin/named-checkzone" if os.path.exists("/usr/sbin/named-checkzone") else None
)

# A record given as (owner fqdn, ttl, type, rdata text), e.g. ("a.example.com", 60, "TXT", '"x"').
Record = tuple[str, int, str, str]


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (DNS needs both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                    udp.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port on 127.0.0.1")


def zone_text(
    origin: str,
    records: Iterable[str] = (),
    *,
    soa_ttl: int = 300,
    negative_ttl: int = 60,
    nameservers: Sequence[tuple[str, str]] = (),
) -> str:
    """A zone file: SOA (MINIMUM = negative_ttl), NS records and the given lines.

    nameservers: (ns fqdn, IPv4) pairs; glue A records are added for names inside the zone.
    Default: one NS `ns1.<origin>` at 127.0.0.1.
    """
    origin = origin.rstrip(".") + "."
    ns = list(nameservers) or [(f"ns1.{origin}", "127.0.0.1")]
    lines = [
        f"$ORIGIN {origin}",
        f"$TTL {soa_ttl}",
        f"@ {soa_ttl} IN SOA {ns[0][0].rstrip('.')}. hostmaster.{origin} 1 3600 600 86400 {negative_ttl}",
    ]
    for name, address in ns:
        lines.append(f"@ IN NS {name.rstrip('.')}.")
        if (name.rstrip(".") + ".").endswith(origin):
            lines.append(f"{name.rstrip('.')}. IN A {address}")
    lines += list(records)
    return "\n".join(lines) + "\n"


class BindServer:
    """BIND 9 authoritative server for tests (recursion off, updates allowed with TSIG).

    zones: {origin: zone file text}; more can be added before start() with add_zone(), or
    after (BIND is then restarted, keeping its journal). Serves only on 127.0.0.1:port.
    """

    def __init__(self, zones: dict[str, str] | None = None, port: int | None = None, start: bool = True) -> None:
        if NAMED is None:
            raise RuntimeError("BIND 'named' is not installed (apt-get install bind9)")
        self.dir = Path(tempfile.mkdtemp(prefix="bind-test-"))
        self.port = port or free_port()
        self.key_name = "test-key."
        self.key_secret = base64.b64encode(secrets.token_bytes(32)).decode()
        self.keyring = dns.tsigkeyring.from_text({self.key_name: self.key_secret})
        self.zones: dict[str, str] = {}
        self.proc: subprocess.Popen[bytes] | None = None
        for origin, text in (zones or {}).items():
            self.add_zone(origin, text)
        if start:
            self.start()

    # ---- addresses ----------------------------------------------------------------------
    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    @property
    def spec(self) -> str:
        """`host:port` as the gate's `servers` setting takes it."""
        return f"127.0.0.1:{self.port}"

    # ---- zones --------------------------------------------------------------------------
    zone_text = staticmethod(zone_text)

    def add_zone(self, origin: str, text: str | None = None, check: bool = True) -> Path:
        """Write a zone file (default: SOA + NS only) and serve it (restart if running).

        check=False writes a file named-checkzone would reject, e.g. to get a zone BIND
        fails to load and answers SERVFAIL for.
        """
        origin = origin.rstrip(".").lower()
        text = text if text is not None else zone_text(origin)
        path = self.dir / f"{origin}.zone"
        path.write_text(text)
        if check and NAMED_CHECKZONE:
            result = subprocess.run(
                [NAMED_CHECKZONE, "-i", "local", origin, str(path)], capture_output=True, text=True
            )
            if result.returncode != 0:
                raise ValueError(f"zone {origin} rejected by named-checkzone:\n{result.stdout}{result.stderr}")
        self.zones[origin] = text
        if self.proc is not None:
            self.restart()
        return path

    def _config(self) -> str:
        zones = "\n".join(
            f'zone "{origin}" {{ type primary; file "{self.dir}/{origin}.zone"; '
            f"allow-update {{ key {self.key_name}; }}; }};"
            for origin in self.zones
        )
        return f"""
key "{self.key_name}" {{ algorithm hmac-sha256; secret "{self.key_secret}"; }};
controls {{ }};
options {{
    directory "{self.dir}";
    pid-file none;
    session-keyfile "{self.dir}/session.key";
    managed-keys-directory "{self.dir}";
    listen-on port {self.port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion no;
    notify no;
    dnssec-validation no;
    minimal-responses no;
}};
{zones}
"""

    # ---- process ------------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> "BindServer":
        (self.dir / "named.conf").write_text(self._config())
        log = open(self.dir / "named.log", "wb")
        self.proc = subprocess.Popen(
            [NAMED, "-g", "-c", str(self.dir / "named.conf"), "-n", "1"],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.dir,
        )
        log.close()
        deadline = time.monotonic() + timeout
        probe_zone = next(iter(self.zones), ".")
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"named exited with {self.proc.returncode}:\n{self.log()}")
            try:
                q = dns.message.make_query(probe_zone, "SOA")
                dns.query.udp(q, "127.0.0.1", timeout=0.2, port=self.port)
                return self
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"named did not answer within {timeout} s:\n{self.log()}")

    def restart(self) -> None:
        self.stop(cleanup=False)
        self.start()

    def stop(self, cleanup: bool = True) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        if cleanup:
            shutil.rmtree(self.dir, ignore_errors=True)

    def log(self) -> str:
        path = self.dir / "named.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def __enter__(self) -> "BindServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- RFC 2136 updates ---------------------------------------------------------------
    def _update(self, zone: str) -> dns.update.UpdateMessage:
        return dns.update.UpdateMessage(
            zone.rstrip(".") + ".", keyring=self.keyring, keyname=self.key_name, keyalgorithm=dns.tsig.HMAC_SHA256
        )

    def _send(self, update: dns.update.UpdateMessage) -> None:
        response = dns.query.tcp(update, "127.0.0.1", timeout=5, port=self.port)
        if response.rcode() != dns.rcode.NOERROR:
            raise RuntimeError(f"update refused: {dns.rcode.to_text(response.rcode())}")

    def add_records(self, zone: str, records: Iterable[Record]) -> None:
        """Add RRs (existing RRs at the name stay)."""
        update = self._update(zone)
        for name, ttl, rdtype, rdata in records:
            update.add(_abs(name), ttl, rdtype, rdata)
        self._send(update)

    def replace(self, zone: str, name: str, rdtype: str, rdatas: Sequence[str], ttl: int = 300) -> None:
        """Replace the whole RRset (name, rdtype) with rdatas (empty: delete it)."""
        update = self._update(zone)
        if rdatas:
            update.replace(_abs(name), ttl, rdtype, *rdatas)
        else:
            update.delete(_abs(name), rdtype)
        self._send(update)

    def delete(self, zone: str, name: str, rdtype: str | None = None) -> None:
        update = self._update(zone)
        if rdtype:
            update.delete(_abs(name), rdtype)
        else:
            update.delete(_abs(name))
        self._send(update)

    def add_txt_later(self, delay: float, zone: str, name: str, value: str, ttl: int = 300) -> threading.Timer:
        """Replace the TXT RRset at name with value after `delay` s, from a timer thread.

        The returned timer has `.done_at` (time.monotonic() when the update was answered).
        """
        timer = threading.Timer(delay, lambda: (self.replace(zone, name, "TXT", [txt_rdata(value)], ttl),
                                                setattr(timer, "done_at", time.monotonic())))
        timer.daemon = True
        timer.start()
        return timer


def _abs(name: str) -> str:
    return name if name.endswith(".") else name + "."


def txt_rdata(value: str) -> str:
    """TXT rdata text for one value, split into 255-byte character-strings, quoted."""
    raw = value.encode()
    chunks = [raw[i : i + 255] for i in range(0, len(raw), 255)] or [b""]
    return " ".join('"' + c.decode().replace("\\", "\\\\").replace('"', '\\"') + '"' for c in chunks)


class SilentServer:
    """A UDP+TCP port that accepts and never answers: a nameserver that is down."""

    def __init__(self) -> None:
        self.port = free_port()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", self.port))
        self.tcp.listen(16)

    @property
    def spec(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.udp.close()
        self.tcp.close()

    def __enter__(self) -> "SilentServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class RcodeServer:
    """A UDP server answering every query with one rcode (default SERVFAIL) and no records."""

    def __init__(self, rcode: int = dns.rcode.SERVFAIL) -> None:
        self.rcode = rcode
        self.port = free_port()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", self.port))
        self.queries = 0
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def spec(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            try:
                query = dns.message.from_wire(data)
            except Exception:  # noqa: BLE001 - ignore garbage
                continue
            self.queries += 1
            response = dns.message.make_response(query)
            response.set_rcode(self.rcode)
            try:
                self.sock.sendto(response.to_wire(), peer)
            except OSError:
                return

    def stop(self) -> None:
        self._stop = True
        self.sock.close()

    def __enter__(self) -> "RcodeServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
