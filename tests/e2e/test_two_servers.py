"""Two app servers behind Debian's nginx on one PostgreSQL database, as deploy/ ships them.

A fresh PostgreSQL database is migrated, seeded and given a speaker's account with the CLI; two `cockpit run`
servers start with the production settings (deploy/streamlit-production.toml, demo mode off, one shared cookie
secret); nginx runs unprivileged from a temporary prefix with deploy/nginx/cockpit.conf's upstream (the two ports)
and deploy/nginx/cockpit-proxy.conf's rules. In Chromium the speaker signs in through the proxy and renames a
project; the other server, opened directly, refuses its own stale edit of that project and then shows the new
title. nginx's log shows the sticky upstream and the websocket it carried.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from dashboard.data_access.db import make_engine
from tests.conftest import new_database_url
from tests.e2e.conftest import _free_port, get
from tests.e2e.pages import ARTIFACTS, leave_to, watched_page

ROOT = Path(__file__).resolve().parents[2]
NGINX_DIR = ROOT / "deploy" / "nginx"
PRODUCTION_FILE = ROOT / "deploy" / "streamlit-production.toml"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SON = "suedostniedersachsen"
PROJECT = "Pflege-Rückkehr – Wiedereinstieg in pflegerische Berufe"
RENAMED = "Pflege-Rückkehr – über den Proxy geändert"
USER, PASSWORD = "sprecherin", "zwei-server-passwort"
# Generous bounds for a cold start on a busy 2-core machine: waiting limits, not speed assertions.
START_SECONDS = 180


@dataclass(frozen=True)
class Cluster:
    url: str
    proxy: str
    servers: dict[int, str]  # port → base URL
    access_log: Path


def _cockpit(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"cockpit {' '.join(args)} -> {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result.stdout


def nginx_config(prefix: Path, listen: int, upstream_ports: list[int]) -> str:
    """nginx.conf for an unprivileged nginx: the shipped map and upstream (with these ports) and proxy rules."""
    site = (NGINX_DIR / "cockpit.conf").read_text(encoding="utf-8")
    mapping = re.search(r"^map \$http_upgrade \$connection_upgrade \{.*?^\}", site, re.MULTILINE | re.DOTALL)
    upstream = re.search(r"^upstream cockpit \{.*?^\}", site, re.MULTILINE | re.DOTALL)
    assert mapping and upstream, "deploy/nginx/cockpit.conf lost its map or upstream block"
    server_line = re.compile(r"^\s*server 127\.0\.0\.1:\d+([^;]*);\n", re.MULTILINE)
    shipped = server_line.findall(upstream.group(0))
    assert len(shipped) >= 2 and "ip_hash;" in upstream.group(0)
    servers = "".join(f"    server 127.0.0.1:{port}{shipped[0]};\n" for port in upstream_ports)
    block = server_line.sub("", upstream.group(0)).removesuffix("}") + servers + "}"
    # As root, nginx hands its workers to "nobody", who could not enter the temporary prefix.
    user = ""
    if os.geteuid() == 0:
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};\n"
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}worker_processes 1;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} info;
events {{ worker_connections 256; }}
http {{
    log_format upstreams '$request $status $upstream_addr';
    access_log {prefix / "access.log"} upstreams;
{temp}
{mapping.group(0)}
{block}
server {{
    listen 127.0.0.1:{listen};
    server_name 127.0.0.1;
    include {NGINX_DIR / "cockpit-proxy.conf"};
}}
}}
"""


def _wait_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            if get(f"{base}/_stcore/health") == (200, "ok"):
                return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{base} did not become healthy:\n{log.read_text(errors='replace')}")
        time.sleep(0.5)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def _start_cluster(url: str, tmp: Path) -> Iterator[Cluster]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COCKPIT_", "STREAMLIT_")) and k != "DATABASE_URL"}
    env["COCKPIT_DATABASE_URL"] = url  # no COCKPIT_DEMO_MODE: sign-in with an account
    env["STREAMLIT_SERVER_COOKIE_SECRET"] = secrets.token_urlsafe(48)  # one secret for both servers
    env["STREAMLIT_SERVER_ALLOWED_HOSTS"] = "127.0.0.1"  # this machine's value overrides the file's example name
    _cockpit(env, "db", "upgrade")
    _cockpit(env, "seed")
    _cockpit(
        env, "users", "add", USER, "--role", "speaker", "--alliance", SON, "--password-stdin", stdin=PASSWORD + "\n"
    )
    doctor = _cockpit(env, "doctor", "--production", "--config", str(PRODUCTION_FILE))
    assert "FEHLER" not in doctor and "OK Konten: 1 aktive Konten" in doctor

    ports = [_free_port(), _free_port()]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for port in ports:
            log = tmp / f"server-{port}.log"
            with log.open("wb") as stream:  # a file, not a pipe: a full pipe would block the server
                command = ["run", "--headless", "--no-seed", "--port", str(port), "--server.address", "127.0.0.1"]
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "dashboard.cli", *command, "--config", str(PRODUCTION_FILE)],
                        env=env,
                        stdout=stream,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        servers = {port: f"http://127.0.0.1:{port}" for port in ports}
        for (port, base), process in zip(servers.items(), processes, strict=True):
            _wait_healthy(base, process, tmp / f"server-{port}.log")

        prefix = tmp / "nginx"
        prefix.mkdir()
        listen = _free_port()
        conf = prefix / "nginx.conf"
        conf.write_text(nginx_config(prefix, listen, ports), encoding="utf-8")
        nginx = [NGINX, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
        checked = subprocess.run([*nginx, "-t"], capture_output=True, text=True, check=False)
        assert checked.returncode == 0, checked.stderr
        processes.append(
            subprocess.Popen(
                [*nginx, "-g", "daemon off;"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        proxy = f"http://127.0.0.1:{listen}"
        _wait_healthy(proxy, processes[-1], prefix / "error.log")
        yield Cluster(url=url, proxy=proxy, servers=servers, access_log=prefix / "access.log")
    finally:
        for process in reversed(processes):
            _stop(process)


def _require_nginx() -> None:
    if not Path(NGINX).exists():
        if os.environ.get("CI"):
            pytest.fail("nginx is missing; .ci/run installs Debian's nginx")
        pytest.skip("nginx not installed (apt-get install nginx)")


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A throw-away certificate for cockpit.example.org, so `nginx -t` can load the shipped TLS server."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cockpit.example.org")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert, private = directory / "fullchain.pem", directory / "privkey.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert, private


def test_the_shipped_site_with_tls_and_default_server_passes_nginx_t(tmp_path: Path) -> None:
    """The whole of deploy/nginx/ as installed (sites-available + snippets), only paths moved into tmp_path."""
    _require_nginx()
    (tmp_path / "snippets").mkdir()
    shutil.copy(NGINX_DIR / "cockpit-proxy.conf", tmp_path / "snippets" / "cockpit-proxy.conf")
    cert, key = _self_signed(tmp_path)
    site = (NGINX_DIR / "cockpit.conf").read_text(encoding="utf-8")
    site = site.replace("/etc/letsencrypt/live/cockpit.example.org/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/cockpit.example.org/privkey.pem", str(key))
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "cockpit.conf").write_text(site, encoding="utf-8")
    temp = " ".join(
        f"{kind}_temp_path {tmp_path / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path / 'nginx.pid'};\nevents {{}}\n"
        f"http {{ access_log off; {temp} include {tmp_path / 'cockpit.conf'}; }}\n",
        encoding="utf-8",
    )
    checked = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    _require_nginx()
    tmp = tmp_path_factory.mktemp("two-servers")
    for url in new_database_url("postgresql", tmp):
        yield from _start_cluster(url, tmp)


def _sign_in(page, base: str) -> None:  # type: ignore[no-untyped-def]
    leave_to(page, f"{base}/daten-pflegen?alliance={SON}")
    page.get_by_label("Benutzername").wait_for(timeout=60_000)
    page.get_by_label("Benutzername").fill(USER)
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("tab", name="Projekte").wait_for(timeout=60_000)


def _open_project(page, title: str) -> None:  # type: ignore[no-untyped-def]
    box = page.locator("[data-testid='stSelectbox']", has=page.get_by_text("Projekt", exact=True)).first
    box.locator("input").click()
    page.keyboard.type(title[:12])
    page.get_by_role("option", name=title).first.click()
    page.get_by_label("Titel", exact=True).wait_for(timeout=30_000)
    page.wait_for_timeout(1500)


def _logged(access_log: Path) -> list[tuple[str, str, str]]:
    """(request, status, upstream) of every request nginx has finished (a websocket: once it closed)."""
    lines = access_log.read_text(encoding="utf-8").splitlines()
    return [match.groups() for entry in lines if (match := re.match(r"^(.*) (\d{3}) (\S+)$", entry))]


@pytest.mark.postgres
def test_each_server_and_the_proxy_answer_health(cluster: Cluster) -> None:
    assert get(f"{cluster.proxy}/_stcore/health") == (200, "ok")
    for base in cluster.servers.values():
        assert get(f"{base}/_stcore/health") == (200, "ok")


@pytest.mark.postgres
def test_a_change_through_the_proxy_is_seen_and_guarded_on_the_other_server(cluster: Cluster, browser) -> None:  # type: ignore[no-untyped-def]
    proxied, proxied_errors = watched_page(browser, height=1600)
    sockets: list[str] = []
    proxied.on("websocket", lambda socket: sockets.append(socket.url))
    _sign_in(proxied, cluster.proxy)
    # ip_hash sends every request of this client to one upstream; the other server is reached directly.
    upstreams = {upstream for _, _, upstream in _logged(cluster.access_log)}
    assert len(upstreams) == 1, upstreams
    sticky = int(upstreams.pop().rsplit(":", 1)[1])
    other = next(port for port in cluster.servers if port != sticky)

    direct, direct_errors = watched_page(browser, height=1600)
    _sign_in(direct, cluster.servers[other])
    _open_project(direct, PROJECT)  # version 1, opened on the other server

    _open_project(proxied, PROJECT)
    proxied.get_by_label("Titel", exact=True).fill(RENAMED)
    proxied.get_by_role("button", name="Speichern").click()
    proxied.get_by_text("gespeichert (Version 2)").first.wait_for(timeout=60_000)
    proxied.screenshot(path=str(ARTIFACTS / "zwei-server-proxy.png"), full_page=True)

    # The other server holds its own session and caches, but the database is one: its stale save is refused.
    direct.get_by_label("Titel", exact=True).fill(PROJECT + " (zweiter Server)")
    direct.get_by_role("button", name="Speichern").click()
    direct.get_by_text("(Version 1 → 2). Nichts wurde überschrieben.").first.wait_for(timeout=60_000)
    # A new session there (reload = sign in again) opens the project as the proxy's session left it.
    _sign_in(direct, cluster.servers[other])
    _open_project(direct, RENAMED)
    assert direct.get_by_label("Titel", exact=True).input_value() == RENAMED
    direct.screenshot(path=str(ARTIFACTS / "zwei-server-direkt.png"), full_page=True)

    engine = make_engine(cluster.url)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT title, version FROM project WHERE title = :t"), {"t": RENAMED}).all()
    engine.dispose()
    assert [tuple(row) for row in stored] == [(RENAMED, 2)]

    proxy_port = cluster.proxy.rsplit(":", 1)[1]
    assert f"ws://127.0.0.1:{proxy_port}/_stcore/stream" in sockets
    proxied.close()  # nginx writes the websocket's log line when it closes
    direct.close()
    deadline = time.monotonic() + 30
    while not any("/_stcore/stream" in request for request, _, _ in _logged(cluster.access_log)):
        assert time.monotonic() < deadline, cluster.access_log.read_text(encoding="utf-8")
        time.sleep(0.5)
    streams = [
        (status, upstream) for request, status, upstream in _logged(cluster.access_log) if "/_stcore/stream" in request
    ]
    assert streams and all(entry == ("101", f"127.0.0.1:{sticky}") for entry in streams), streams
    assert {upstream for _, _, upstream in _logged(cluster.access_log)} == {f"127.0.0.1:{sticky}"}
    assert proxied_errors == [] and direct_errors == []
