#!/usr/bin/env bash
# Jianfu's multi-node layout on one machine, on loopback (docs/deployment.md §8):
#
#   nginx :18500 ─┬─ app server :18501 ─┐                ┌─ PostgreSQL primary :55432
#                 └─ app server :18502 ─┴─ PgBouncer :56432 ┘        │ streaming replication
#   RQ worker ── Redis                     (read-only pages) ─── PostgreSQL replica :55433
#
# It creates a primary PostgreSQL cluster and a streaming replica (two clusters in a scratch
# folder), migrates, optionally loads data, runs the replica tests (`pytest -m replica`), then
# starts PgBouncer (transaction pooling), two app servers, an RQ worker and nginx, and checks
# the whole with curl. At the end everything is stopped, unless --keep.
#
# Usage: deploy/cluster-demo.sh [--keep] [--data none|demo|district] [--no-tests] [--no-web]
#                               [--stop]
#   --keep       leave everything running and print how to use it
#   --data       load nothing (default: demo), `jianfu demo`, or `jianfu gen-data --scale district`
#   --no-tests   skip the replica tests (they need the dev extras: pip install -e '.[dev]')
#   --no-web     only the two clusters and the replica tests (no PgBouncer, app servers, nginx)
#   --stop       stop what a --keep run left running and remove its folder
#
# Needs: PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup; Debian: postgresql), and for
# the web part pgbouncer, nginx (nginx-light is enough) and a Redis server (redis-server).
# Run from the repository, with its virtualenv in .venv (make setup). As root the clusters and
# PgBouncer run as the `postgres` user (initdb refuses root).
#
# Settings (environment): CLUSTER_DIR (default ${TMPDIR:-/tmp}/jianfu-cluster), PRIMARY_PORT,
# REPLICA_PORT, PGBOUNCER_PORT, APP_PORTS ("18501 18502"), NGINX_PORT, JIANFU_REDIS_URL
# (default redis://127.0.0.1:6379/0: the RQ queue lives there), JIANFU_DEMO_DATA_DIR (the app's
# data folder, default inside CLUSTER_DIR; give one to keep its keys and collected static files
# between runs: collecting them takes minutes).
set -euo pipefail

CLUSTER_DIR=${CLUSTER_DIR:-${TMPDIR:-/tmp}/jianfu-cluster}
PRIMARY_PORT=${PRIMARY_PORT:-55432}
REPLICA_PORT=${REPLICA_PORT:-55433}
PGBOUNCER_PORT=${PGBOUNCER_PORT:-56432}
APP_PORTS=${APP_PORTS:-"18501 18502"}
NGINX_PORT=${NGINX_PORT:-18500}
REDIS_URL=${JIANFU_REDIS_URL:-redis://127.0.0.1:6379/0}
DB=jianfu

KEEP=0
DATA=demo
WEB=1
TESTS=1
STOP=0
while [ $# -gt 0 ]; do
    case "$1" in
        --keep) KEEP=1 ;;
        --data) DATA=$2; shift ;;
        --no-web) WEB=0 ;;
        --no-tests) TESTS=0 ;;
        --stop) STOP=1 ;;
        -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
    shift
done

REPO=$(cd "$(dirname "$0")/.." && pwd)
VENV_BIN=$REPO/.venv/bin
PG_BIN=$( (pg_config --bindir 2>/dev/null) || true)
if [ ! -x "$PG_BIN/initdb" ]; then
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
fi
PRIMARY=$CLUSTER_DIR/primary
REPLICA=$CLUSTER_DIR/replica
RUN=$CLUSTER_DIR/run
APP_DATA=${JIANFU_DEMO_DATA_DIR:-$CLUSTER_DIR/data}
PRIMARY_URL=postgres://postgres@127.0.0.1:$PRIMARY_PORT/$DB
REPLICA_URL=postgres://postgres@127.0.0.1:$REPLICA_PORT/$DB
BOUNCER_URL=postgres://postgres@127.0.0.1:$PGBOUNCER_PORT/$DB

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { echo "cluster-demo: $*" >&2; exit 1; }

# The PostgreSQL programs refuse to run as root: as root, run them as `postgres`.
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
psql_at() { # port, SQL …
    local port=$1; shift
    "$PG_BIN/psql" -X -q -At -h 127.0.0.1 -p "$port" -U postgres -d "${PSQL_DB:-postgres}" -c "$*"
}
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() { # seconds, description, command …
    local seconds=$1 what=$2; shift 2
    for _ in $(seq "$((seconds * 5))"); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.2
    done
    fail "timed out waiting for $what"
}

stop_all() {
    for pidfile in "$RUN"/*.pid; do
        [ -f "$pidfile" ] || continue
        pid=$(cat "$pidfile")
        # Each process the demo started is stopped by its own id (a gunicorn master takes its
        # workers with it).
        kill "$pid" 2>/dev/null || true
        rm -f "$pidfile"
    done
    for cluster in "$REPLICA" "$PRIMARY"; do
        if [ -f "$cluster/postmaster.pid" ]; then
            as_pg "$PG_BIN/pg_ctl" -D "$cluster" -m fast -w stop >/dev/null || true
        fi
    done
}

if [ "$STOP" = 1 ]; then
    [ -d "$CLUSTER_DIR" ] || fail "nothing to stop in $CLUSTER_DIR"
    stop_all
    rm -rf "$CLUSTER_DIR"
    echo "stopped and removed $CLUSTER_DIR"
    exit 0
fi

# ---------------------------------------------------------------------------------------------
say "Checking what the demo needs"
[ -x "$VENV_BIN/jianfu" ] || fail "no $VENV_BIN/jianfu: run 'make setup' first"
[ -x "$PG_BIN/initdb" ] || fail "PostgreSQL server binaries not found (install postgresql)"
[ -e "$CLUSTER_DIR" ] && fail "$CLUSTER_DIR exists: run '$0 --stop' first"
ports="$PRIMARY_PORT $REPLICA_PORT"
if [ "$WEB" = 1 ]; then
    command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || fail "pgbouncer not found"
    command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || fail "nginx not found (nginx-light)"
    "$VENV_BIN/python" -c "import importlib.util as u; assert u.find_spec(\"django_tasks_rq\")" 2>/dev/null \
        || fail "django-tasks-rq not installed: pip install -e '.[redis]'"
    "$VENV_BIN/python" -c "import redis, sys; redis.Redis.from_url(sys.argv[1]).ping()" \
        "$REDIS_URL" 2>/dev/null || fail "Redis at $REDIS_URL does not answer"
    ports="$ports $PGBOUNCER_PORT $APP_PORTS $NGINX_PORT"
fi
for port in $ports; do port_free "$port" || fail "port $port is taken"; done
PATH=$PATH:/usr/sbin
echo "PostgreSQL: $PG_BIN; folder: $CLUSTER_DIR"

mkdir -p "$CLUSTER_DIR" "$RUN" "$APP_DATA"
chmod 755 "$CLUSTER_DIR"
if [ "$(id -u)" = 0 ]; then chown postgres "$CLUSTER_DIR" "$RUN"; fi
# Stop everything at the end, and after a failure even with --keep (the folder and its logs
# stay after a failure, for a look; '--stop' removes them).
on_exit() {
    local status=$?
    if [ "$status" != 0 ]; then
        stop_all
        echo "cluster-demo: failed; logs are in $RUN" >&2
    elif [ "$KEEP" = 0 ]; then
        stop_all
        rm -rf "$CLUSTER_DIR"
    fi
    return "$status"
}
trap on_exit EXIT

# ---------------------------------------------------------------------------------------------
say "Primary cluster on port $PRIMARY_PORT"
as_pg "$PG_BIN/initdb" -D "$PRIMARY" -U postgres --auth=trust --encoding=UTF8 \
    --locale=C.UTF-8 >"$RUN/initdb.log"
cat >>"$PRIMARY/postgresql.conf" <<EOF
# Jianfu cluster demo: a primary that streams its WAL to a replica.
port = $PRIMARY_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$RUN'
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
hot_standby = on
hot_standby_feedback = on
shared_preload_libraries = 'pg_stat_statements'
EOF
# Loopback only, so trust; a real site uses scram-sha-256 (docs/deployment.md).
cat >"$PRIMARY/pg_hba.conf" <<EOF
local   all          all                       trust
host    all          all          127.0.0.1/32 trust
host    replication  replicator   127.0.0.1/32 trust
EOF
as_pg "$PG_BIN/pg_ctl" -D "$PRIMARY" -l "$RUN/primary.log" -w start >/dev/null
psql_at "$PRIMARY_PORT" "CREATE ROLE replicator WITH REPLICATION LOGIN"
psql_at "$PRIMARY_PORT" "CREATE DATABASE $DB ENCODING 'UTF8' TEMPLATE template0"
PSQL_DB=$DB psql_at "$PRIMARY_PORT" "CREATE EXTENSION pg_stat_statements"

say "Streaming replica on port $REPLICA_PORT (pg_basebackup -R)"
as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U replicator -D "$REPLICA" \
    -R -X stream -C -S jianfu_replica --checkpoint=fast
echo "port = $REPLICA_PORT" | as_pg tee -a "$REPLICA/postgresql.conf" >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$REPLICA" -l "$RUN/replica.log" -w start >/dev/null
streaming() { [ "$(psql_at "$PRIMARY_PORT" "SELECT state FROM pg_stat_replication")" = streaming ]; }
wait_for 30 "the replica to stream" streaming
psql_at "$PRIMARY_PORT" "SELECT 'pg_stat_replication: ' || application_name || ' ' || state
    || ', replay lag ' || coalesce(replay_lag::text, '0') FROM pg_stat_replication"
[ "$(psql_at "$REPLICA_PORT" "SELECT pg_is_in_recovery()")" = t ] || fail "replica not in recovery"

# ---------------------------------------------------------------------------------------------
export JIANFU_DATA_DIR=$APP_DATA DATABASE_URL=$PRIMARY_URL
say "Migrating the primary"
"$VENV_BIN/jianfu" migrate --noinput -v 0
case "$DATA" in
    none) ;;
    demo)
        say "Loading the demo (jianfu demo)"
        "$VENV_BIN/jianfu" demo --password "Demo-Pass-2026x" >"$RUN/demo.log" ;;
    district)
        say "Generating a district (jianfu gen-data --scale district)"
        "$VENV_BIN/jianfu" help gen-data >/dev/null 2>&1 || fail "this checkout has no gen-data"
        "$VENV_BIN/jianfu" gen-data --scale district
        "$VENV_BIN/jianfu" stats-refresh >/dev/null ;;
    *) fail "--data must be none, demo or district" ;;
esac

if [ "$TESTS" = 1 ]; then
    say "Replica tests (pytest -m replica) against the two clusters"
    (cd "$REPO" && DATABASE_REPLICA_URL=$REPLICA_URL JIANFU_TEST_REPLICA=1 \
        "$VENV_BIN/pytest" -m replica jianfu/core/tests/test_db_router.py -q -p no:randomly)
    TESTS_SAID="✔ replica tests (pytest -m replica): passed"
else
    TESTS_SAID="- replica tests skipped (--no-tests)"
fi

if [ "$WEB" = 0 ]; then
    say "Done: $TESTS_SAID"
    [ "$KEEP" = 1 ] && printf 'DATABASE_URL=%s\nDATABASE_REPLICA_URL=%s\n' "$PRIMARY_URL" "$REPLICA_URL"
    exit 0
fi

# ---------------------------------------------------------------------------------------------
say "PgBouncer on port $PGBOUNCER_PORT (transaction pooling) in front of the primary"
cat >"$RUN/pgbouncer.ini" <<EOF
[databases]
$DB = host=127.0.0.1 port=$PRIMARY_PORT dbname=$DB
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_PORT
unix_socket_dir = $RUN
auth_type = trust
auth_file = $RUN/userlist.txt
pool_mode = transaction
default_pool_size = 10
max_client_conn = 200
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = $RUN/pgbouncer.log
pidfile = $RUN/pgbouncer.pid
admin_users = postgres
EOF
echo '"postgres" ""' >"$RUN/userlist.txt"
if [ "$(id -u)" = 0 ]; then chown postgres "$RUN"/pgbouncer.ini "$RUN/userlist.txt"; fi
as_pg pgbouncer -d "$RUN/pgbouncer.ini"
PSQL_DB=$DB wait_for 10 "PgBouncer" psql_at "$PGBOUNCER_PORT" "SELECT 1"

# Every app server and the worker: the primary through PgBouncer, the replica directly,
# tasks on Redis, one data folder (the same keys on every node).
APP_ENV=(
    "JIANFU_DATA_DIR=$APP_DATA"
    "DATABASE_URL=$BOUNCER_URL"
    "JIANFU_PGBOUNCER=true"
    "DATABASE_REPLICA_URL=$REPLICA_URL"
    "JIANFU_TASKS_BACKEND=django_tasks_rq.RQBackend"
    "JIANFU_REDIS_URL=$REDIS_URL"
    "JIANFU_PROXY_COUNT=1"
)
if [ -z "$(ls -A "$APP_DATA/static" 2>/dev/null)" ]; then
    echo "collecting static files (once per data folder; compressing them takes a while)"
    env "${APP_ENV[@]}" "$VENV_BIN/jianfu" collectstatic --noinput -v 0
fi

say "Two app servers ($APP_PORTS), an RQ worker"
for port in $APP_PORTS; do
    env "${APP_ENV[@]}" setsid "$VENV_BIN/jianfu" serve --no-worker --host 127.0.0.1 \
        --port "$port" --workers 2 >"$RUN/app-$port.log" 2>&1 &
    echo $! >"$RUN/app-$port.pid"
done
env "${APP_ENV[@]}" setsid "$VENV_BIN/jianfu" worker >"$RUN/worker.log" 2>&1 &
echo $! >"$RUN/worker.pid"
for port in $APP_PORTS; do
    wait_for 60 "the app server on $port" curl -sf "http://127.0.0.1:$port/healthz"
done

say "nginx on port $NGINX_PORT, balancing the app servers"
{
    echo "worker_processes 1;"
    echo "pid $RUN/nginx.pid;"
    echo "error_log $RUN/nginx-error.log;"
    [ "$(id -u)" = 0 ] && echo "user nobody nogroup;"
    echo "events { worker_connections 256; }"
    echo "http {"
    echo "    access_log $RUN/nginx-access.log;"
    for temp in client_body proxy fastcgi uwsgi scgi; do
        echo "    ${temp}_temp_path $RUN/nginx-$temp;"
    done
    echo "    upstream jianfu {"
    for port in $APP_PORTS; do echo "        server 127.0.0.1:$port;"; done
    echo "    }"
    cat <<EOF
    server {
        listen 127.0.0.1:$NGINX_PORT;
        client_max_body_size 20m;
        location /static/ { alias $APP_DATA/static/; expires 7d; }
        location / {
            proxy_pass http://jianfu;
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            # Which app server answered (the demo's check reads it).
            add_header X-Jianfu-Upstream \$upstream_addr always;
        }
    }
}
EOF
} >"$RUN/nginx.conf"
nginx -t -q -c "$RUN/nginx.conf" -p "$RUN" 2>"$RUN/nginx-test.log" || {
    cat "$RUN/nginx-test.log"
    fail "nginx refused the configuration"
}
nginx -c "$RUN/nginx.conf" -p "$RUN"
wait_for 10 "nginx" curl -sf "http://127.0.0.1:$NGINX_PORT/healthz"

# ---------------------------------------------------------------------------------------------
say "Smoke checks"
declare -A CHECKS

# 1. The login page through nginx, from each app server in turn.
seen=""
for _ in 1 2 3 4 5 6; do
    code=$(curl -s -o /dev/null -D "$RUN/login.headers" -w '%{http_code}' \
        "http://127.0.0.1:$NGINX_PORT/login/")
    [ "$code" = 200 ] || fail "login page answered $code"
    upstream=$(tr -d '\r' <"$RUN/login.headers" \
        | awk -F': ' 'tolower($1) == "x-jianfu-upstream" {print $2}')
    seen="$seen $upstream"
done
backends=$(echo "$seen" | tr ' ' '\n' | sed '/^$/d' | sort -u | tr '\n' ' ')
count=$(echo "$backends" | wc -w)
CHECKS[login]="login page 200 through nginx from $count app servers: $backends"
[ "$count" -ge 2 ] || fail "${CHECKS[login]}"

# 2. A background job queued on Redis and completed by the RQ worker. The worker first runs
# the day's daily jobs (a new worker finds none run today); they are waited for too, so that
# the portal check below sees nothing but the page on the primary.
job_script='
import sys, time
from django.db import transaction
from django.utils import timezone
from jianfu.core.daily import DAILY_JOBS
from jianfu.core.jobs import job_start
from jianfu.core.models import BackgroundJob, DailyRun, JobStatus
from jianfu.org.models import Region, RegionLevel, User
owner = User.objects.filter(is_active=True).order_by("pk").first()
if owner is None:
    owner = User.objects.create(username="cluster-demo", is_active=False)
district = Region.objects.filter(level=RegionLevel.DISTRICT).order_by("code").first()
with transaction.atomic():
    if district is not None:
        job = job_start(owner=owner, kind="stats_refresh", options={"district": district.code})
    else:
        job = job_start(owner=owner, kind="audit_verify")
for _ in range(600):
    job.refresh_from_db()
    if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
        break
    time.sleep(0.2)
for _ in range(1500):
    done = DailyRun.objects.filter(day=timezone.localdate(), finished_at__isnull=False).count()
    if done >= len(DAILY_JOBS):
        break
    time.sleep(0.2)
print(job.kind, job.status, job.result)
sys.exit(0 if job.status == JobStatus.SUCCEEDED else 1)
'
job_line=$(env "${APP_ENV[@]}" "$VENV_BIN/jianfu" shell --no-imports -c "$job_script") \
    || fail "the background job did not finish: $job_line (see $RUN/worker.log)"
grep -q "Job OK\|Successfully completed" "$RUN/worker.log" \
    || fail "the RQ worker's log does not show the job"
CHECKS[job]="background job run by the RQ worker: ${job_line:0:120}"

# 3. A portal page's reads served by the replica (its own pg_stat_statements).
figures_calls() { # port
    PSQL_DB=$DB psql_at "$1" "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
        WHERE query LIKE '%reports_regionfigures%'"
}
before_replica=$(figures_calls "$REPLICA_PORT")
before_primary=$(figures_calls "$PRIMARY_PORT")
curl -sf -o "$RUN/portal.html" "http://127.0.0.1:$NGINX_PORT/public/" \
    || fail "the portal's front page failed"
after_replica=$(figures_calls "$REPLICA_PORT")
after_primary=$(figures_calls "$PRIMARY_PORT")
CHECKS[portal]="portal /public/: figure queries on the replica $((after_replica - before_replica)), on the primary $((after_primary - before_primary))"
[ "$after_replica" -gt "$before_replica" ] || fail "${CHECKS[portal]}"
[ "$after_primary" = "$before_primary" ] || fail "${CHECKS[portal]}"

# 4. PgBouncer pooled the app servers' connections.
pools=$("$PG_BIN/psql" -X -q -A -F'|' -h 127.0.0.1 -p "$PGBOUNCER_PORT" -U postgres -d pgbouncer \
    -c "SHOW POOLS" | awk -F'|' -v db="$DB" '
        NR == 1 { for (i = 1; i <= NF; i++) column[$i] = i; next }
        $column["database"] == db {
            clients += $column["cl_active"] + $column["cl_waiting"]
            servers += $column["sv_active"] + $column["sv_idle"] + $column["sv_used"]
        }
        END { printf "%d %d", clients, servers }')
read -r clients servers <<<"$pools"
CHECKS[pgbouncer]="PgBouncer: $clients app connections served by $servers server connections (transaction mode)"
[ "$clients" -gt 0 ] || fail "PgBouncer has no clients for $DB"

lag=$(psql_at "$PRIMARY_PORT" "SELECT pg_wal_lsn_diff(sent_lsn, replay_lsn) FROM pg_stat_replication")

say "Summary"
cat <<EOF
  primary      127.0.0.1:$PRIMARY_PORT   (wal_level replica; replication slot jianfu_replica)
  replica      127.0.0.1:$REPLICA_PORT   (streaming, in recovery; $lag bytes behind)
  pgbouncer    127.0.0.1:$PGBOUNCER_PORT   (transaction pooling → primary)
  app servers  $APP_PORTS   (jianfu serve --no-worker, JIANFU_PGBOUNCER=true)
  rq worker    jianfu worker on $REDIS_URL
  nginx        http://127.0.0.1:$NGINX_PORT/
  $TESTS_SAID
  ✔ ${CHECKS[login]}
  ✔ ${CHECKS[job]}
  ✔ ${CHECKS[portal]}
  ✔ ${CHECKS[pgbouncer]}
EOF
if [ "$KEEP" = 1 ]; then
    cat <<EOF

Left running (logs in $RUN). Try:
  curl http://127.0.0.1:$NGINX_PORT/public/
  env ${APP_ENV[*]} $VENV_BIN/jianfu shell
  psql -h 127.0.0.1 -p $REPLICA_PORT -U postgres $DB      # the replica (read-only)
Stop it all with: CLUSTER_DIR=$CLUSTER_DIR $0 --stop
EOF
fi
