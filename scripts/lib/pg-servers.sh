# shellcheck shell=bash
# Throwaway local PostgreSQL 15 servers for scripts/demo and scripts/static-test.
# Source this file (bash, set -euo pipefail expected), then:
#
#   pgs_init demo                  # temp root dir + cleanup trap (EXIT, INT, TERM, HUP)
#   pgs_start source "$SRC_PASS"   # initdb + start; sets PGS_PORT[source]
#   pgs_start target "$DST_PASS"
#   pgs_psql source DB -c 'SELECT 1'   # psql as postgres over TCP to 127.0.0.1
#   # ... the cleanup trap stops the servers and deletes $PGS_ROOT on exit.
#
# Each server: initdb --auth=scram-sha-256 --pwfile, --locale=C.UTF-8
# --encoding=UTF8, superuser "postgres", listening on 127.0.0.1:<free port>
# only, unix socket in its own temp dir, max_connections=200. When run as root
# the servers run as the OS user "postgres" (PostgreSQL refuses to run as root).
#
# Environment: PGS_BIN_DIR (default /usr/lib/postgresql/15/bin; psql always
#              comes from there), PGS_SERVER_BIN_DIR=DIR pgs_start ... starts
#              that one server from other binaries (e.g. another major),
#              PGS_KEEP=1 keeps the temp dir (logs) after exit.

PGS_BIN_DIR="${PGS_BIN_DIR:-/usr/lib/postgresql/15/bin}"
PGS_ROOT=""
declare -gA PGS_PORT=() PGS_DIR=() PGS_PASS=() PGS_BIN=()
declare -ga PGS_STARTED=()
PGS_CLEANED=0

pgs_heading() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }
pgs_info() { printf '    %s\n' "$*" >&2; }
pgs_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Run a command as the server OS user (postgres when we are root), from / so
# that an unreadable current directory (e.g. under /root) does not matter.
pgs_as_server_user() {
  if [[ "$(id -u)" -eq 0 ]]; then
    (cd / && runuser -u postgres -- env LC_ALL=C.UTF-8 "$@")
  else
    (cd / && env LC_ALL=C.UTF-8 "$@")
  fi
}

# A free TCP port on 127.0.0.1 (the kernel picks one; tiny race until the
# server binds it, pgs_start retries with another port on failure).
pgs_free_port() {
  local port
  if command -v python3 >/dev/null 2>&1 &&
     port="$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null)" &&
     [[ "$port" =~ ^[0-9]+$ ]]; then
    printf '%s\n' "$port"
    return 0
  fi
  # Fallback without python: random ports until nothing answers on one.
  local i
  for ((i = 0; i < 200; i++)); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      printf '%s\n' "$port"
      return 0
    fi
  done
  return 1
}

pgs_init() {
  local label="${1:-pg-migrate}"
  [[ -x "$PGS_BIN_DIR/initdb" && -x "$PGS_BIN_DIR/pg_ctl" ]] ||
    pgs_die "PostgreSQL server binaries not found in $PGS_BIN_DIR (apt-get install postgresql-15, or scripts/install-deps)"
  if [[ "$(id -u)" -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || pgs_die "running as root but there is no OS user 'postgres' to run the servers"
    command -v runuser >/dev/null 2>&1 || pgs_die "runuser not found"
  fi
  PGS_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/$label.XXXXXX")"
  chmod 755 "$PGS_ROOT"
  trap pgs_cleanup EXIT
  # Ctrl-C / kill: leave through exit, so the EXIT trap cleans up once.
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
}

# pgs_start NAME PASSWORD [extra postgres -c settings...]
pgs_start() {
  local name="$1" pass="$2"
  shift 2
  local dir="$PGS_ROOT/$name" bin="${PGS_SERVER_BIN_DIR:-$PGS_BIN_DIR}"
  mkdir -p "$dir"
  PGS_DIR[$name]="$dir"
  PGS_BIN[$name]="$bin"
  PGS_PASS[$name]="$pass"
  printf '%s\n' "$pass" >"$dir/pwfile"
  chmod 600 "$dir/pwfile"
  if [[ "$(id -u)" -eq 0 ]]; then chown -R postgres: "$dir"; fi
  pgs_info "initdb $name ($dir/data)"
  if ! pgs_as_server_user "$bin/initdb" -D "$dir/data" -U postgres \
      --auth=scram-sha-256 --pwfile="$dir/pwfile" \
      --locale=C.UTF-8 --encoding=UTF8 --no-sync >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    pgs_die "initdb for $name failed"
  fi
  rm -f "$dir/pwfile"

  local attempt port opts
  for attempt in 1 2 3 4 5; do
    port="$(pgs_free_port)" || pgs_die "no free port found"
    opts="-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir"
    opts+=" -c max_connections=200"
    local s
    for s in "$@"; do opts+=" -c $s"; done
    if pgs_as_server_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
        -o "$opts" -w -t 60 start >"$dir/pg_ctl.log" 2>&1; then
      PGS_PORT[$name]="$port"
      PGS_STARTED+=("$name")
      pgs_info "$name server (PostgreSQL $("$bin/postgres" --version | awk '{print $3}')) listening on 127.0.0.1:$port"
      return 0
    fi
    pgs_info "starting $name on port $port failed (attempt $attempt), retrying"
  done
  cat "$dir/pg_ctl.log" "$dir/server.log" >&2 2>/dev/null || true
  pgs_die "could not start the $name server"
}

# pgs_psql NAME DB [psql args...]: psql as postgres to server NAME, no psqlrc,
# stop on the first error, unaligned tuples-only output, never a pager (on a
# terminal psql would otherwise stop in less).
pgs_psql() {
  local name="$1" db="$2"
  shift 2
  PGPASSWORD="${PGS_PASS[$name]}" "$PGS_BIN_DIR/psql" -X -q -v ON_ERROR_STOP=1 -At -P pager=off \
    -h 127.0.0.1 -p "${PGS_PORT[$name]}" -U postgres -d "$db" "$@"
}

# Environment (VAR=value lines) that points libpq tools at server NAME:
#   mapfile -t e < <(pgs_libpq_env source); env "${e[@]}" psql ...
pgs_libpq_env() {
  local name="$1"
  printf '%s\n' "PGHOST=127.0.0.1" "PGPORT=${PGS_PORT[$name]}" "PGUSER=postgres" \
    "PGPASSWORD=${PGS_PASS[$name]}"
}

pgs_stop_all() {
  local name ok=0
  # Every initialised data dir with a postmaster.pid, also one whose start
  # was interrupted (pg_ctl may have been killed after the server came up).
  # Immediate mode: the data is deleted right after, so the shutdown
  # checkpoint of a fast stop (seconds after a big load) is wasted time.
  for name in "${!PGS_DIR[@]}"; do
    [[ -f "${PGS_DIR[$name]}/data/postmaster.pid" ]] || continue
    pgs_as_server_user "${PGS_BIN[$name]:-$PGS_BIN_DIR}/pg_ctl" -D "${PGS_DIR[$name]}/data" -m immediate -w -t 30 stop \
      >/dev/null 2>&1 || { pgs_info "could not stop the $name server (see ${PGS_DIR[$name]}/server.log)"; ok=1; }
  done
  PGS_STARTED=()
  return "$ok"
}

pgs_cleanup() {
  local rc=$?
  [[ "$PGS_CLEANED" -eq 1 ]] && return 0
  PGS_CLEANED=1
  trap '' INT TERM HUP   # a second Ctrl-C must not interrupt the cleanup
  local keep="${PGS_KEEP:-0}"
  if [[ -n "$PGS_ROOT" ]]; then
    if ((${#PGS_DIR[@]})); then
      pgs_heading "Stopping the throwaway servers"
      pgs_stop_all || keep=1
    fi
    if [[ "$keep" == 1 ]]; then
      pgs_info "kept $PGS_ROOT"
    else
      pgs_info "removing $PGS_ROOT"
      rm -rf "$PGS_ROOT"
    fi
  fi
  return "$rc"
}
