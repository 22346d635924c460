#!/usr/bin/python3
"""Validates a pg-migrate report (format pg-migrate-report/1, see README "Report").

usage: check_report.py REPORT.json [--outcome O] [--exit-code N] [--command C]

Checks every field the README documents, its type and the rules between fields (an outcome
matches its exit code, a finished step has an end after its start, a skipped database has a
reason, ...). Prints every problem found and exits 1, or exits 0 when the report is valid.
Debian's python3 only (json, argparse): no jsonschema needed.
"""
import argparse
import datetime
import json
import sys

FORMAT = "pg-migrate-report/1"
COMMANDS = {"migrate", "plan", "verify"}
OUTCOMES = {"success", "failed", "blocked", "interrupted", "error"}
EXIT_CODES = {0, 1, 2, 3, 4, 5, 130, 143}
DB_STATUS = {"complete", "already_done", "failed", "interrupted", "not_finished"}
TABLE_STATUS = {"ok", "mismatch", "warning", "missing"}

problems = []


def fail(path, message):
    problems.append(f"{path}: {message}")


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    return (isinstance(v, (int, float))) and not isinstance(v, bool)


def expect(obj, path, key, kind, nullable=False):
    """Checks obj[key] exists and has the kind; returns the value (or None)."""
    if not isinstance(obj, dict):
        fail(path, "is not an object")
        return None
    if key not in obj:
        fail(f"{path}.{key}", "missing")
        return None
    v = obj[key]
    if v is None:
        if not nullable:
            fail(f"{path}.{key}", "is null")
        return None
    ok = {
        "str": lambda x: isinstance(x, str),
        "int": is_int,
        "num": is_num,
        "bool": lambda x: isinstance(x, bool),
        "list": lambda x: isinstance(x, list),
        "obj": lambda x: isinstance(x, dict),
    }[kind](v)
    if not ok:
        fail(f"{path}.{key}", f"is {type(v).__name__}, expected {kind}")
        return None
    return v


def parse_time(path, text):
    if text is None:
        return None
    try:
        if not text.endswith("Z"):
            raise ValueError("not UTC")
        return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError as e:
        fail(path, f"'{text}' is not an ISO 8601 UTC time ({e})")
        return None


def check_strings(obj, path, key):
    items = expect(obj, path, key, "list")
    for i, s in enumerate(items or []):
        if not isinstance(s, str):
            fail(f"{path}.{key}[{i}]", "is not a string")


def check_endpoint(ep, path):
    expect(ep, path, "host", "str")
    expect(ep, path, "port", "int")
    expect(ep, path, "user", "str")
    expect(ep, path, "dbname", "str")
    expect(ep, path, "password_given", "bool")
    opts = expect(ep, path, "connection_options", "obj")
    for k in opts or {}:
        if "pass" in k:
            fail(f"{path}.connection_options.{k}", "a secret in the report")
    if isinstance(ep, dict) and "password" in ep:
        fail(f"{path}.password", "a password in the report")


def check_options(o, path):
    check_endpoint(expect(o, path, "from", "obj"), path + ".from")
    check_endpoint(expect(o, path, "to", "obj"), path + ".to")
    for k in ("dump_jobs", "restore_jobs", "max_parallel", "dump_parallel", "restore_parallel",
              "verify_concurrency", "wait_for_servers_seconds"):
        expect(o, path, k, "int")
    for k in ("dump_root", "state_home", "verify"):
        expect(o, path, k, "str")
    for k in ("migrate_globals", "disable_dst_optimizations", "fast_verify", "analyze",
              "reset_state"):
        expect(o, path, k, "bool")
    for k in ("delay_table_data", "include_database", "exclude_database", "restart_database"):
        check_strings(o, path, k)
    expect(o, path, "compress", "str", nullable=True)
    expect(o, path, "pg_bin_dir", "str", nullable=True)


def check_database(d, path):
    expect(d, path, "name", "str")
    if expect(d, path, "placement", "str") not in (None, "create", "existing"):
        fail(path + ".placement", "not create/existing")
    expect(d, path, "size_bytes", "int")
    status = expect(d, path, "status", "str")
    if status is not None and status not in DB_STATUS:
        fail(path + ".status", f"'{status}' not one of {sorted(DB_STATUS)}")
    expect(d, path, "phase_reached", "str")
    steps = expect(d, path, "steps", "list") or []
    for i, s in enumerate(steps):
        sp = f"{path}.steps[{i}]"
        expect(s, sp, "step", "str")
        start = parse_time(sp + ".started", expect(s, sp, "started", "str"))
        end = parse_time(sp + ".ended", expect(s, sp, "ended", "str", nullable=True))
        secs = expect(s, sp, "seconds", "num", nullable=True)
        if (end is None) != (secs is None):
            fail(sp, "ended and seconds must both be set or both be null")
        if start and end and end < start:
            fail(sp, "ends before it starts")
        if i + 1 < len(steps) and end is None:
            fail(sp, "an earlier step is not closed")
    if status in ("complete", "failed", "interrupted") and steps and isinstance(steps[-1], dict):
        if steps[-1].get("ended") is None:
            fail(path, f"status {status} but the last step is still open")
    durations = expect(d, path, "durations_seconds", "obj")
    for k in ("dump", "restore", "verify", "delayed"):
        expect(durations, path + ".durations_seconds", k, "num")
    b = expect(d, path, "bytes", "obj")
    for k in ("dump_expected", "dumped", "restored"):
        expect(b, path + ".bytes", k, "int")
    v = expect(d, path, "verification", "obj")
    vp = path + ".verification"
    if expect(v, vp, "level", "str") not in (None, "counts", "checksums", "fast"):
        fail(vp + ".level", "not counts/checksums/fast")
    expect(v, vp, "regular_ok", "bool", nullable=True)
    expect(v, vp, "delayed_ok", "bool", nullable=True)
    expect(v, vp, "rows_verified", "int")
    for i, t in enumerate(expect(v, vp, "tables", "list") or []):
        tp = f"{vp}.tables[{i}]"
        expect(t, tp, "schema", "str")
        expect(t, tp, "table", "str")
        expect(t, tp, "source_rows", "int", nullable=True)
        expect(t, tp, "target_rows", "int", nullable=True)
        expect(t, tp, "exact", "bool")
        expect(t, tp, "delayed", "bool")
        if expect(t, tp, "status", "str") not in (None, *TABLE_STATUS):
            fail(tp + ".status", "unknown status")
    check_strings(d, path, "warnings")
    error = expect(d, path, "error", "str", nullable=True)
    if status == "failed" and not error:
        fail(path, "failed without an error")
    if status == "complete" and v and v.get("regular_ok") is False:
        fail(path, "complete but its verification failed")


def check_plan(p, path):
    expect(p, path, "can_go_ahead", "bool")
    for i, d in enumerate(expect(p, path, "databases", "list") or []):
        dp = f"{path}.databases[{i}]"
        expect(d, dp, "name", "str")
        expect(d, dp, "size_bytes", "int")
        migrated = expect(d, dp, "migrated", "bool")
        reason = expect(d, dp, "skip_reason", "str", nullable=True)
        if migrated is False and not reason:
            fail(dp, "not migrated without a reason")
    for i, f in enumerate(expect(p, path, "findings", "list") or []):
        fp = f"{path}.findings[{i}]"
        if expect(f, fp, "level", "str") not in (None, "blocker", "warning"):
            fail(fp + ".level", "not blocker/warning")
        expect(f, fp, "what", "str")
        expect(f, fp, "fix", "str", nullable=True)
    blockers = [f for f in p.get("findings") or [] if isinstance(f, dict)
                and f.get("level") == "blocker"]
    if p.get("can_go_ahead") is True and blockers:
        fail(path, "can_go_ahead with blockers")
    check_strings(p, path, "target_conflicts")
    expect(p, path, "dump_space", "obj")
    expect(p, path, "connection_budget", "obj")
    expect(p, path, "estimated_duration_seconds", "int")
    expect(p, path, "estimate_method", "str")


def check(doc, want):
    if not isinstance(doc, dict):
        fail("report", "is not an object")
        return
    if doc.get("format") != FORMAT:
        fail("format", f"'{doc.get('format')}' is not '{FORMAT}'")
    command = expect(doc, "report", "command", "str")
    if command is not None and command not in COMMANDS:
        fail("command", f"'{command}' unknown")
    expect(doc, "report", "pg_migrate_version", "str")
    started = parse_time("started", expect(doc, "report", "started", "str"))
    ended = parse_time("ended", expect(doc, "report", "ended", "str"))
    if started and ended and ended < started:
        fail("ended", "before started")
    expect(doc, "report", "duration_seconds", "num")
    outcome = expect(doc, "report", "outcome", "str")
    code = expect(doc, "report", "exit_code", "int")
    if outcome is not None and outcome not in OUTCOMES:
        fail("outcome", f"'{outcome}' unknown")
    if code is not None and code not in EXIT_CODES:
        fail("exit_code", f"{code} is not a documented exit code")
    pairs = {0: "success", 130: "interrupted", 143: "interrupted"}
    if code in pairs and outcome != pairs[code]:
        fail("outcome", f"'{outcome}' with exit code {code}")
    if code == 1 and outcome not in ("failed", "blocked"):
        fail("outcome", f"'{outcome}' with exit code 1")
    if code in (2, 3, 4, 5) and outcome != "error":
        fail("outcome", f"'{outcome}' with exit code {code}")
    expect(doc, "report", "signal", "int", nullable=True)
    if outcome == "interrupted" and doc.get("signal") is None:
        fail("signal", "interrupted without a signal")
    servers = expect(doc, "report", "servers", "obj") or {}
    for side, s in servers.items():
        if side not in ("source", "target"):
            fail(f"servers.{side}", "unknown side")
        expect(s, f"servers.{side}", "major", "int")
        expect(s, f"servers.{side}", "version", "str", nullable=True)
    tools = expect(doc, "report", "client_tools", "obj", nullable=True)
    if tools is not None:
        for k in ("dir", "pg_dump", "pg_restore", "pg_dumpall", "version"):
            expect(tools, "client_tools", k, "str")
    check_options(expect(doc, "report", "options", "obj"), "options")
    totals = expect(doc, "report", "totals", "obj")
    for k in ("databases", "complete", "failed", "not_migrated", "size_bytes", "bytes_done",
              "bytes_dumped", "bytes_restored"):
        expect(totals, "totals", k, "int")
    dbs = expect(doc, "report", "databases", "list") or []
    for i, d in enumerate(dbs):
        check_database(d, f"databases[{i}]")
    skipped = expect(doc, "report", "skipped_databases", "list") or []
    for i, s in enumerate(skipped):
        sp = f"skipped_databases[{i}]"
        expect(s, sp, "name", "str")
        expect(s, sp, "size_bytes", "int")
        expect(s, sp, "placement", "str")
        if not expect(s, sp, "reason", "str"):
            fail(sp, "no reason")
    if totals:
        if totals.get("databases") != len(dbs):
            fail("totals.databases", "differs from the databases listed")
        if totals.get("not_migrated") != len(skipped):
            fail("totals.not_migrated", "differs from the skipped databases listed")
    check_strings(doc, "report", "warnings")
    errors = expect(doc, "report", "errors", "list") or []
    if outcome in ("failed", "error") and command == "migrate" and not errors and not any(
            isinstance(d, dict) and d.get("error") for d in dbs):
        fail("errors", f"outcome {outcome} without any error recorded")
    if command == "migrate" and outcome == "success":
        for i, d in enumerate(dbs):
            if isinstance(d, dict) and d.get("status") not in ("complete", "already_done"):
                fail(f"databases[{i}]", "not complete in a successful run")
    if command == "plan":
        check_plan(expect(doc, "report", "plan", "obj"), "plan")
    if command == "verify" and "verify" in doc and not isinstance(doc["verify"], dict):
        fail("verify", "is not an object")
    for key, value in want.items():
        if value is not None and doc.get(key) != value:
            fail(key, f"is {doc.get(key)!r}, expected {value!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("report")
    ap.add_argument("--outcome")
    ap.add_argument("--exit-code", type=int)
    ap.add_argument("--command")
    args = ap.parse_args()
    try:
        with open(args.report, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{args.report}: cannot read as JSON: {e}", file=sys.stderr)
        return 1
    check(doc, {"outcome": args.outcome, "exit_code": args.exit_code, "command": args.command})
    for p in problems:
        print(f"{args.report}: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
