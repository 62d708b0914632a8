# Shared steps of the installer scripts (sourced, not run).
#
# REPO_ROOT is the clone; the virtualenv lives in $REPO_ROOT/.venv unless
# DELFIN_VENV names another directory.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${DELFIN_VENV:-$REPO_ROOT/.venv}"

say() { printf '==> %s\n' "$*" >&2; }

is_root() { [ "$(id -u)" = 0 ]; }

in_ci() { [ "${CI:-}" = true ]; }

# The first Python 3.11+ found: $PYTHON, python3, python3.13 ... python3.11.
find_python() {
    local candidate
    for candidate in ${PYTHON:-} python3 python3.13 python3.12 python3.11; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    echo "Python 3.11 or newer is required (set PYTHON=/path/to/python3.11)" >&2
    return 1
}

# Create the virtualenv and install the requirement files given plus the
# package itself (editable).  Skipped when those files did not change since
# the last successful install.
ensure_venv() {
    local python stamp want files
    files=("$REPO_ROOT/setup.cfg" "$REPO_ROOT/setup.py")
    for f in "$@"; do files+=("$REPO_ROOT/$f"); done
    stamp="$VENV/.delfin-installed"
    want="$(cat "${files[@]}" | sha256sum | cut -d' ' -f1)"
    if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        python="$(find_python)" || return 1
        say "Creating the virtualenv $VENV with $python"
        "$python" -m venv "$VENV" || return 1
    fi
    local log="$VENV/install.log" args=()
    for f in "$@"; do args+=(-r "$REPO_ROOT/$f"); done
    say "Installing requirements into $VENV (log: $log)"
    if ! { "$VENV/bin/python" -m pip install --upgrade pip setuptools wheel &&
           "$VENV/bin/python" -m pip install "${args[@]}" -e "$REPO_ROOT"; } > "$log" 2>&1; then
        tail -n 40 "$log" >&2
        say "pip failed; see $log"
        return 1
    fi
    echo "$want" > "$stamp"
}

# Debian packages the test suite drives for real: net-snmp's trap sender
# and daemon, Prometheus Alertmanager, an SSH server, the Prometheus server
# (its daemon is never started: policy-rc.d below).
SYSTEM_PACKAGES="snmp snmptrapd prometheus-alertmanager prometheus openssh-server"

install_system_packages() {
    local missing=() pkg
    for pkg in $SYSTEM_PACKAGES; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! is_root || ! command -v apt-get >/dev/null 2>&1; then
        if in_ci; then
            say "Missing system packages (${missing[*]}) and cannot install them: the tests that need them will fail"
        fi
        return 0
    fi
    say "Installing ${missing[*]}"
    # Install only: the tests start the daemons they need themselves.
    local policy=/usr/sbin/policy-rc.d made_policy=
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && made_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    local rc=$?
    [ -n "$made_policy" ] && rm -f "$policy"
    return $rc
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
    local port=$1 i
    for i in $(seq 1 60); do
        port_open "$port" && return 0
        sleep 1
    done
    return 1
}

# Start this machine's PostgreSQL, MariaDB, Redis and RabbitMQ when they are
# installed but down (root only; elsewhere the tests that need one skip, or
# fail under CI=true).
start_services() {
    is_root || return 0
    if ! port_open 5432 && command -v pg_ctlcluster >/dev/null 2>&1; then
        say "Starting PostgreSQL"
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
        wait_port 5432 || say "PostgreSQL did not come up"
    fi
    if ! port_open 3306 && [ -x /usr/sbin/mariadbd ]; then
        say "Starting MariaDB"
        start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
        wait_port 3306 || say "MariaDB did not come up"
    fi
    if ! port_open 6379 && command -v redis-server >/dev/null 2>&1; then
        say "Starting Redis"
        mkdir -p /var/lib/redis /var/log/redis
        redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
            --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
        wait_port 6379 || say "Redis did not come up"
    fi
    if ! port_open 5672 && command -v rabbitmq-server >/dev/null 2>&1; then
        say "Starting RabbitMQ"
        rabbitmq-server -detached || true
        wait_port 5672 || say "RabbitMQ did not come up"
    fi
}
