#!/usr/bin/env python3
"""Checks the release files without a container engine: compose.yml parses, takes its images
from the environment and starts a one-shot migration that waits for the servers itself
(--wait-for-servers, no health checks), the Containerfile has a build and a runtime stage with
pg-migrate as entrypoint and the shipped client tools beside it, and every flag used in
compose.yml exists in `pg-migrate --help`. scripts/compose-test runs the stack for real.

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
    for name, var in (("source", "PG_SOURCE_IMAGE"), ("target", "PG_TARGET_IMAGE"),
                      ("migrate", "PG_MIGRATE_IMAGE")):
        check(services[name]["image"].startswith("${" + var + ":-"),
              f"the {name} image comes from ${var} with a public default")
    depends = services["migrate"].get("depends_on", [])
    check(set(depends) == {"source", "target"}, "migrate starts after source and target")
    check(services["migrate"].get("restart") == "no", "migrate is one-shot")
    env = services["migrate"].get("environment", {})
    check("PG_MIGRATE_FROM_PASS" in env and "PG_MIGRATE_TO_PASS" in env, "passwords come from the environment")
    command = services["migrate"]["command"]
    check("--wait-for-servers" in command, "migrate waits for the servers with --wait-for-servers")
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
    check("/usr/local/bin/pg-tools" in runtime, "the runtime stage carries the shipped client tools")
    for arg in ("BUILD_IMAGE", "RUNTIME_IMAGE"):
        check(bool(re.search(rf"^ARG {arg}=docker\.io/", containerfile, re.MULTILINE)),
              f"Containerfile base image {arg} is a build argument with a public default")
    check("COPY --from=" in runtime, "the runtime stage copies the binary from the build stage")
    check("scripts/build-static" in containerfile, "the build stage uses scripts/build-static")

    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
