# shellcheck shell=bash
# Sourced by .ci/run: a throw-away PostgreSQL server for the database tests.
#
# Installs PostgreSQL from Debian's packages when it is missing, initialises a cluster in a
# temporary folder, starts it on 127.0.0.1 (a free port) and a unix socket in that folder, creates
# a role and a database, exports STUFENLOS_TEST_POSTGRES_URL and stops the server on exit (trap).
# Skipped when STUFENLOS_TEST_POSTGRES_URL is already set. Works as root (the server then runs as
# the ``postgres`` user) or as an ordinary user.

stufenlos_pg_start() {
    local bindir user datadir port
    if [ -n "${STUFENLOS_TEST_POSTGRES_URL:-}" ]; then
        echo "postgres: using STUFENLOS_TEST_POSTGRES_URL from the environment"
        return 0
    fi
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
        echo "postgres: installing PostgreSQL from Debian's packages"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq postgresql >/dev/null
        bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    fi
    STUFENLOS_PG_DIR=$(mktemp -d /tmp/stufenlos-pg.XXXXXX)
    datadir="$STUFENLOS_PG_DIR/data"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    if [ "$(id -u)" = 0 ]; then
        user=postgres
        chown postgres: "$STUFENLOS_PG_DIR"
        STUFENLOS_PG_AS=(runuser -u postgres --)
    else
        user=$(id -un)
        STUFENLOS_PG_AS=()
    fi
    STUFENLOS_PG_CTL=("${STUFENLOS_PG_AS[@]}" "$bindir/pg_ctl" -D "$datadir")
    "${STUFENLOS_PG_AS[@]}" "$bindir/initdb" -D "$datadir" -U "$user" -A trust -E UTF8 \
        --no-locale >"$STUFENLOS_PG_DIR/initdb.log"
    trap stufenlos_pg_stop EXIT
    "${STUFENLOS_PG_CTL[@]}" -l "$STUFENLOS_PG_DIR/server.log" -w -t 60 start \
        -o "-p $port -k $STUFENLOS_PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
        >/dev/null
    "${STUFENLOS_PG_AS[@]}" "$bindir/psql" -q -h 127.0.0.1 -p "$port" -U "$user" -d postgres \
        -v ON_ERROR_STOP=1 \
        -c "CREATE ROLE stufenlos LOGIN PASSWORD 'stufenlos'" \
        -c "CREATE DATABASE stufenlos_test OWNER stufenlos"
    export STUFENLOS_TEST_POSTGRES_URL="postgresql+psycopg://stufenlos:stufenlos@127.0.0.1:$port/stufenlos_test"
    echo "postgres: $("$bindir/postgres" --version) running on 127.0.0.1:$port"
}

stufenlos_pg_stop() {
    if [ -n "${STUFENLOS_PG_DIR:-}" ] && [ -d "$STUFENLOS_PG_DIR/data" ]; then
        "${STUFENLOS_PG_CTL[@]}" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$STUFENLOS_PG_DIR"
    fi
}

stufenlos_pg_start
