# Shared by bench/run and bench/profile: throwaway servers, password file, CPU accounting and
# the bench data set. The caller sets PGBIN, WORK, LOGDIR first.

die() { echo "bench: $*" >&2; exit 2; }
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

STARTED_SERVERS=()
declare -A SERVER_BIN=()   # data dir -> the bin dir of its major, when not $PGBIN
server_bin() { echo "${SERVER_BIN[$1]:-$PGBIN}"; }
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    for d in "${STARTED_SERVERS[@]}"; do
        runuser -u postgres -- "$(server_bin "$d")/pg_ctl" -D "$d" -m immediate -w stop >/dev/null 2>&1
    done
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then
        log "keeping $WORK (servers stopped)"
    else
        rm -rf "$WORK"
    fi
    log "logs: $LOGDIR"
    exit "$rc"
}
install_cleanup() {
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

pg_start() {   # dir [server options]
    local dir=$1 port
    port=$(awk -F' = ' '$1 == "port" {print $2}' "$dir/postgresql.conf" | tail -1)
    runuser -u postgres -- "$(server_bin "$dir")/pg_ctl" -D "$dir" -l "$LOGDIR/server.$port.log" -w -t 120 \
        ${2:+-o "$2"} start >/dev/null || { tail -20 "$LOGDIR/server.$port.log" >&2; die "server on $port did not start"; }
}
pg_stop() { runuser -u postgres -- "$(server_bin "$1")/pg_ctl" -D "$1" -m fast -w -t 120 stop >/dev/null || die "cannot stop $1"; }

start_server() {   # dir port password [bin dir of another major than $PGBIN]
    local dir=$1 port=$2 pass=$3
    [[ -n ${4:-} ]] && SERVER_BIN[$dir]=$4
    local pwfile=$WORK/pw.$port
    printf '%s\n' "$pass" >"$pwfile"; chown postgres "$pwfile"; chmod 600 "$pwfile"
    mkdir -p "$dir" "$WORK/sock"; chown postgres "$dir" "$WORK/sock"
    runuser -u postgres -- "$(server_bin "$dir")/initdb" -D "$dir" -U postgres --auth=scram-sha-256 \
        --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 >"$LOGDIR/initdb.$port.log" 2>&1 \
        || { cat "$LOGDIR/initdb.$port.log" >&2; die "initdb failed"; }
    rm -f "$pwfile"
    cat >>"$dir/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$WORK/sock'
max_connections = 300
shared_buffers = 256MB
max_wal_size = 4GB
password_encryption = 'scram-sha-256'
CONF
    touch "$LOGDIR/server.$port.log"; chown postgres "$LOGDIR/server.$port.log"
    pg_start "$dir"
    STARTED_SERVERS+=("$dir")
}

# Source and target on free loopback ports; every client but pg-migrate authenticates through
# one password file (pgcopydb included, so no password is in an argv).
SRC_PASS=bench-src-secret
DST_PASS=bench-dst-secret
start_pair() {   # [bin dir of the target's major, when not $PGBIN]
    local attempt
    for attempt in 1 2 3; do SRC_PORT=$(free_port); DST_PORT=$(free_port); [[ $SRC_PORT != "$DST_PORT" ]] && break; done
    SRC_DIR=$WORK/src-data; DST_DIR=$WORK/dst-data
    log "work dir $WORK, logs $LOGDIR"
    log "starting source on 127.0.0.1:$SRC_PORT and target on 127.0.0.1:$DST_PORT"
    start_server "$SRC_DIR" "$SRC_PORT" "$SRC_PASS"
    start_server "$DST_DIR" "$DST_PORT" "$DST_PASS" "${1:-}"
    export PGPASSFILE=$WORK/pgpass
    printf '127.0.0.1:%s:*:postgres:%s\n127.0.0.1:%s:*:postgres:%s\n' \
        "$SRC_PORT" "$SRC_PASS" "$DST_PORT" "$DST_PASS" >"$PGPASSFILE"
    chmod 600 "$PGPASSFILE"
    export PGUSER=postgres PGHOST=127.0.0.1 SRC_PORT DST_PORT
}
psrc() { psql -X -q -v ON_ERROR_STOP=1 -p "$SRC_PORT" "$@"; }
pdst() { psql -X -q -v ON_ERROR_STOP=1 -p "$DST_PORT" "$@"; }

# Busy ticks of the whole machine: user+nice+system+irq+softirq over all CPUs.
machine_busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
# CPU ticks of one server's process tree: the postmaster's utime+stime+cutime+cstime (children
# that exited were added to its cutime/cstime when it reaped them) plus utime+stime of the
# children alive now. The difference of two samples is what the server did in between.
server_ticks() {   # data dir
    local pm total s f c
    pm=$(head -1 "$1/postmaster.pid" 2>/dev/null) || { echo 0; return; }
    s=$(<"/proc/$pm/stat") || { echo 0; return; }
    read -ra f <<<"${s##*) }"
    total=$(( f[11] + f[12] + f[13] + f[14] ))
    for c in $(cat "/proc/$pm/task/$pm/children" 2>/dev/null); do
        s=$(<"/proc/$c/stat") 2>/dev/null || continue
        read -ra f <<<"${s##*) }"
        total=$(( total + f[11] + f[12] ))
    done
    echo "$total"
}
TICK=$(getconf CLK_TCK)
ticks_s() { awk -v a="$1" -v b="$2" -v t="$TICK" 'BEGIN { printf "%.1f", (b - a) / t }'; }
dst_lsn() { pdst -At -d postgres -c "SELECT pg_current_wal_lsn()"; }
lsn_diff() { pdst -At -d postgres -c "SELECT pg_wal_lsn_diff('$2', '$1')::bigint"; }

# One bench database: 10 tables x rows rows (serial PK, text, timestamptz, two secondary indexes).
gen_db() {   # db rows
    local db=$1 rows=$2 t sql=""
    psrc -d postgres -c "CREATE DATABASE \"$db\"" || return 1
    for t in $(seq 1 10); do
        sql+="CREATE TABLE t$t (id serial PRIMARY KEY, payload text NOT NULL, created_at timestamptz NOT NULL);
INSERT INTO t$t (payload, created_at)
  SELECT 'row ' || g || ' ' || md5(g::text || '$t'), timestamptz '2024-01-01' + g * interval '17 seconds'
  FROM generate_series(1, $rows) g;
CREATE INDEX t${t}_payload_idx ON t$t (payload);
CREATE INDEX t${t}_created_at_idx ON t$t (created_at);
"
    done
    psrc -d "$db" -c "$sql" && psrc -d "$db" -c "VACUUM ANALYZE"
}
