"""The vms-hw-proxy command: help, option errors, config file, a real subprocess run, HTTPS."""

import json
import shutil
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from vms_hw_proxy_service import config

from .helpers import free_port

COMMAND = [sys.executable, "-m", "vms_hw_proxy_service"]


def run(*args, timeout=20):
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def test_help_prints_usage():
    proc = run("--help")
    assert proc.returncode == 0
    assert proc.stdout.startswith("usage: vms-hw-proxy")
    for option in ("--printer", "--scanner", "--token", "--cert", "--simulate", "--odoo-url"):
        assert option in proc.stdout


def test_console_script_is_installed():
    script = shutil.which("vms-hw-proxy", path=str(Path(sys.executable).parent))
    assert script, "vms-hw-proxy console script missing from the virtualenv"
    proc = subprocess.run([script, "--version"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "vms-hw-proxy" in proc.stdout


@pytest.mark.parametrize(
    ("args", "option", "fragment"),
    [
        (["--printer", "lpt://1"], "--printer", "unknown printer scheme"),
        (["--printer", "tcp://"], "--printer", "needs a host"),
        (["--printer", "usb://zz:1"], "--printer", "VID:PID"),
        (["--printer", "serial:///dev/ttyUSB0?baudrate=1234"], "--printer", "bad baudrate"),
        (["--scanner", "serial:///dev/ttyACM0?baudrate=fast"], "--scanner", "bad baudrate"),
        (["--scanner", "webcam"], "--scanner", "unknown scanner"),
        (["--port", "70000"], "--port", "out of range"),
        (["--port", "http"], "--port", "not a whole number"),
        (["--cert", "/etc/hostname"], "--cert", "go together"),
        (["--key", "/etc/hostname"], "--key", "go together"),
        (["--config", "/nonexistent/vms.toml"], "--config", "cannot read"),
        (["--odoo-url", "ftp://odoo"], "--odoo-url", "http"),
        (["--odoo-url", "http://odoo:8069"], "--odoo-url", "needs --bus-secret"),
        (["--bus-secret", "s3"], "--bus-secret", "goes with --odoo-url"),
        (["--printer", "tcp://127.0.0.1", "--drawer", "kitchen"], "--drawer", "kitchen"),
        (["--keyboard-layout", "klingon"], "--keyboard-layout", "invalid choice"),
    ],
)
def test_bad_options_exit_2_with_one_clear_line(args, option, fragment):
    proc = run(*args)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("vms-hw-proxy: error:")
    assert option in lines[0] and fragment in lines[0], lines[0]


def test_camera_without_opencv_is_a_clear_error():
    if config.camera_available():
        pytest.skip("OpenCV is installed here")
    proc = run("--scanner", "camera:0")
    assert proc.returncode == 2
    assert "OpenCV" in proc.stderr and "--scanner" in proc.stderr


def test_config_file_and_command_line_override(tmp_path):
    path = tmp_path / "proxy.toml"
    path.write_text(
        'host = "0.0.0.0"\nport = 9000\nprinter = "tcp://10.0.0.7"\n'
        "scanner = ['sim', 'serial:///dev/ttyACM0?baudrate=115200']\n"
        'printer-width = 576\nscanner_timeout = 15\ntoken = "abc"\n'
    )
    options = config.load(["--config", str(path), "--port", "9100"])
    assert (options.host, options.port, options.printer_width) == ("0.0.0.0", 9100, 576)
    assert [spec.host for spec in options.printers] == ["10.0.0.7"]
    assert [spec.kind for spec in options.scanners] == ["sim", "serial"]
    assert options.scanners[1].baudrate == 115200
    assert options.scanner_timeout == 15 and options.token == "abc"
    options = config.load(["--config", str(path), "--printer", "file:///dev/usb/lp0"])
    assert [spec.kind for spec in options.printers] == ["file"]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("port = 65536\n", "--port"),
        ("colour = 'red'\n", "unknown option"),
        ("port = [\n", "not valid TOML"),
        ("printer = 5\n", "--printer"),
        ("simulate = 'yes'\n", "--simulate"),
        ("port = true\n", "not a whole number"),
        ("queue_size = 2.5\n", "not a whole number"),
        ("keyboard_layout = 'dvorak'\n", "is not one of"),
    ],
)
def test_bad_config_file_values(tmp_path, content, fragment):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    proc = run("--config", str(path))
    assert proc.returncode == 2
    assert fragment in proc.stderr


def test_printer_names_and_drawer_choice():
    options = config.load(
        ["--printer", "front=tcp://10.0.0.7", "--printer", "back=usb://04b8:0202", "--drawer", "1"]
    )
    assert [spec.name for spec in options.printers] == ["front", "back"]
    assert options.printers[1].vendor_id == 0x04B8
    assert config.load(["--printer", "tcp://h", "--drawer", "printer0"]).drawer == "printer0"


def _wait_for_hello(url, context=None, timeout=15):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/hw_proxy/hello", timeout=1, context=context) as r:
                return r.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _stop(proc):
    proc.terminate()
    try:
        return proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()


def test_runs_as_a_process_and_stops_on_sigterm(tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [*COMMAND, "--port", str(port), "--simulate", "--receipts-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert _wait_for_hello(f"http://127.0.0.1:{port}") == b"ping"
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/hw_proxy/status_json",
            data=json.dumps({"jsonrpc": "2.0", "params": {}, "id": 1}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            drivers = json.loads(response.read())["result"]
        assert drivers["printer"]["status"] in ("connected", "disconnected")
    finally:
        out, err = _stop(proc)
    assert proc.returncode == 0, err
    assert f"listening on http://127.0.0.1:{port}" in out
    assert "/vms/sim/scan" in out


def test_port_in_use_is_a_clear_error():
    port = free_port()
    import socket

    with socket.create_server(("127.0.0.1", port)):
        proc = run("--port", str(port))
    assert proc.returncode == 2
    assert "--port" in proc.stderr and "cannot listen" in proc.stderr


@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is needed to make a test cert")
def test_https_with_a_self_signed_certificate(tmp_path, start_proxy):
    cert, key = tmp_path / "proxy.crt", tmp_path / "proxy.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    app = start_proxy("--cert", str(cert), "--key", str(key), "--simulate")
    assert app.url.startswith("https://")
    context = ssl.create_default_context(cafile=str(cert))
    assert _wait_for_hello(app.url, context=context) == b"ping"
    # the scanner long poll works through TLS too
    app.sim_scanner.inject("TLS-SCAN-1")
    request = urllib.request.Request(
        f"{app.url}/hw_proxy/scanner",
        data=json.dumps({"jsonrpc": "2.0", "params": {}, "id": 1}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5, context=context) as response:
        assert json.loads(response.read())["result"] == "TLS-SCAN-1"
    # a client that fails the handshake does not take the server down
    with pytest.raises(OSError):
        _wait_for_hello(app.url, context=ssl.create_default_context(), timeout=0.5)
    assert _wait_for_hello(app.url, context=context) == b"ping"
