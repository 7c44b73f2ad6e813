"""The deployment files are well formed: the compose file parses and names the
services a store runs, and every key of our odoo.conf files is an Odoo 19 option."""

import configparser
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ODOO_HOME = Path(os.environ.get("ODOO_HOME", Path.home() / ".cache" / "odoo-19.0"))


def _conf_keys(path):
    parser = configparser.RawConfigParser()
    parser.read(path)
    return dict(parser.items("options"))


def test_compose_file_parses_and_wires_the_services():
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
    services = compose["services"]
    assert {"db", "odoo", "web", "proxy"} <= services.keys()
    assert services["db"]["image"].startswith("postgres:16")
    assert "odoo:19" in (ROOT / "docker" / "odoo" / "Dockerfile").read_text()
    assert "../addons:/mnt/extra-addons:ro" in services["odoo"]["volumes"]
    for name in ("db", "odoo", "web", "proxy"):
        assert services[name]["healthcheck"]["test"], name
    assert services["odoo"]["depends_on"]["db"]["condition"] == "service_healthy"
    build = services["proxy"]["build"]
    assert (ROOT / "docker" / build["context"] / build["dockerfile"]).is_file()


def test_docker_odoo_conf_runs_workers_with_the_bus_port():
    options = _conf_keys(ROOT / "docker" / "odoo.conf")
    assert int(options["workers"]) > 0
    assert int(options["gevent_port"]) == 8072
    assert options["proxy_mode"] == "True"
    nginx = (ROOT / "docker" / "nginx" / "vms.conf").read_text()
    assert "location /websocket" in nginx and "odoo:8072" in nginx


@pytest.mark.skipif(
    not (ODOO_HOME / "odoo" / "tools" / "config.py").exists(),
    reason=f"ODOO LAYER NOT RUN: no Odoo 19 at ODOO_HOME={ODOO_HOME} to check odoo.conf keys",
)
@pytest.mark.parametrize("conf", ["odoo.conf", "docker/odoo.conf"])
def test_odoo_conf_keys_exist_in_odoo_19(conf):
    keys = sorted(_conf_keys(ROOT / conf))
    probe = (
        "import json, sys\n"
        "from odoo.tools import config\n"
        "names = json.loads(sys.argv[1])\n"
        "print(json.dumps([n for n in names if n not in config.options_index"
        " or not config.options_index[n].file_loadable]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(keys)],
        cwd=ODOO_HOME,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    unknown = json.loads(out.strip().splitlines()[-1])
    assert keys and unknown == [], f"{conf}: not Odoo 19 options: {unknown}"
