#!/usr/bin/env python3
"""Checks the release files without a container engine: compose.yml parses and wires the
migration container to healthy source/target services, the Containerfile has a build and a
runtime stage with pg-migrate as entrypoint and the client tools installed, and every flag used
in compose.yml exists in `pg-migrate --help`.

usage: check_release_files.py PATH_TO_PG_MIGRATE REPO_ROOT
"""
import re
import subprocess
import sys
from pathlib import Path

import yaml

failures = []


def check(condition, message):
    print(("ok    " if condition else "FAIL  ") + message)
    if not condition:
        failures.append(message)


def main():
    binary, root = sys.argv[1], Path(sys.argv[2])
    compose = yaml.safe_load((root / "compose.yml").read_text())
    services = compose.get("services", {})
    check({"source", "target", "migrate"} <= set(services), "compose.yml has source, target and migrate services")
    check("9.5" in services["source"]["image"], "the source is PostgreSQL 9.5 (old version)")
    check(":18" in services["target"]["image"], "the target is PostgreSQL 18")
    for name in ("source", "target"):
        check("healthcheck" in services[name], f"{name} has a healthcheck")
    depends = services["migrate"].get("depends_on", {})
    for name in ("source", "target"):
        check(depends.get(name, {}).get("condition") == "service_healthy",
              f"migrate waits for {name} to be healthy")
    check(services["migrate"].get("restart") == "no", "migrate is one-shot")
    env = services["migrate"].get("environment", {})
    check("PG_MIGRATE_FROM_PASS" in env and "PG_MIGRATE_TO_PASS" in env, "passwords come from the environment")
    command = services["migrate"]["command"]
    check(not any("pass" in str(a) for a in command), "no password flag on the command line")
    for volume in services["source"].get("volumes", []):
        host = volume.split(":")[0]
        check((root / host).exists(), f"mounted file {host} exists")

    help_text = subprocess.run([binary, "--help"], capture_output=True, text=True, check=True).stdout
    known = set(re.findall(r"--[a-z][a-z0-9-]*", help_text))
    for flag in [str(a).split("=")[0] for a in command if str(a).startswith("--")]:
        check(flag in known, f"compose flag {flag} exists in pg-migrate --help")

    containerfile = (root / "Containerfile").read_text()
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", containerfile, re.MULTILINE | re.IGNORECASE)
    check(len(stages) >= 2, "Containerfile is multi-stage")
    check(bool(re.search(r"^ENTRYPOINT\s+\[\"/usr/local/bin/pg-migrate\"\]", containerfile, re.MULTILINE)),
          "the static binary is the entrypoint")
    runtime = containerfile.split("\nFROM ")[-1]
    check("postgresql-client" in runtime, "the runtime stage installs the client tools")
    check("COPY --from=" in runtime, "the runtime stage copies the binary from the build stage")
    check("scripts/build-static" in containerfile, "the build stage uses scripts/build-static")

    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
