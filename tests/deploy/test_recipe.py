"""The deployment files agree with each other and with the README (no services needed): the systemd
units run deploy/Procfile's commands, nginx balances over the ports the units listen on, the
settings file the README installs is the one the units read, and every setting in
deploy/env.example is one govern reads."""

from __future__ import annotations

import re
import shlex

from tests.deploy.stack import ENV_PATH_IN_README, ROOT, readme_recipe

DEPLOY = ROOT / "deploy"


def _procfile() -> dict[str, list[str]]:
    commands = {}
    for line in (DEPLOY / "Procfile").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, command = line.partition(":")
            commands[name] = shlex.split(command.strip().removeprefix("exec "))
    return commands


def _unit(name: str) -> dict[str, str]:
    values = {}
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values.setdefault(key, value)
    return values


def _normalised(args: list[str], port: str) -> list[str]:
    return [
        arg.replace("/srv/govern/.venv/bin/", ".venv/bin/")
        .replace("%i", port)
        .replace("${GOVERN_WEB1_PORT:-8001}", port)
        for arg in args
    ]


def test_systemd_units_run_the_procfile_commands():
    procfile = _procfile()
    assert set(procfile) == {"web1", "web2", "worker", "beat"}
    web = _unit("govern-web@.service")
    assert _normalised(shlex.split(web["ExecStart"]), "8001") == _normalised(procfile["web1"], "8001")
    assert procfile["web2"] == [
        a.replace("${GOVERN_WEB1_PORT:-8001}", "${GOVERN_WEB2_PORT:-8002}") for a in procfile["web1"]
    ]
    for name in ("worker", "beat"):
        unit = _unit(f"govern-{name}.service")
        assert _normalised(shlex.split(unit["ExecStart"]), "") == procfile[name]
    for unit in ("govern-web@.service", "govern-worker.service", "govern-beat.service"):
        assert _unit(unit)["EnvironmentFile"] == ENV_PATH_IN_README
    assert "--workers" not in " ".join(procfile["web1"])  # one process per port (TCP_NODELAY)


def test_nginx_balances_over_the_ports_the_target_starts():
    target = (DEPLOY / "systemd" / "govern.target").read_text()
    ports = set(re.findall(r"govern-web@(\d+)\.service", target))
    site = (DEPLOY / "nginx" / "govern.conf").read_text()
    assert set(re.findall(r"server 127\.0\.0\.1:(\d+);", site)) == ports == {"8001", "8002"}
    for needle in (
        "proxy_set_header Upgrade $http_upgrade",
        "X-Forwarded-Proto $scheme",
        "client_max_body_size",
        "ssl_certificate",
    ):
        assert needle in site
    assert "$request_uri" not in site.split("log_format", 1)[1].split(";", 1)[0]  # no query strings logged


def test_the_readme_recipe_reads_the_settings_file_and_runs_the_procfile():
    recipe = readme_recipe()
    lines = [line.split("#")[0].strip() for line in recipe.splitlines() if line.strip()]
    assert lines[0] == f"set -a; . {ENV_PATH_IN_README}; set +a"
    assert ".venv/bin/python manage.py migrate --noinput" in lines
    assert ".venv/bin/python manage.py collectstatic --noinput" in lines
    assert lines[-1] == ".venv/bin/honcho start -f deploy/Procfile"
    readme = (ROOT / "README.md").read_text()
    assert f"install -o govern -m 600 /dev/stdin {ENV_PATH_IN_README}" in readme
    assert "createdb --owner govern govern" in readme


def test_every_setting_in_the_env_example_is_read_by_govern():
    names = {
        line.lstrip("# ").split("=")[0]
        for line in (DEPLOY / "env.example").read_text().splitlines()
        if re.match(r"^#? ?[A-Z][A-Z0-9_]+=", line)
    }
    sources = " ".join(
        path.read_text()
        for path in [ROOT / "govern" / "settings.py", ROOT / "govern" / "sentry.py", DEPLOY / "Procfile"]
    )
    boto3_reads = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    unknown = {name for name in names - boto3_reads if f'"{name}"' not in sources and name not in sources}
    assert not unknown, unknown
    readme = (ROOT / "README.md").read_text()
    undocumented = {name for name in names if f"`{name}`" not in readme}
    assert not undocumented, undocumented
