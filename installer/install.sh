#!/usr/bin/env bash
# Install Delfin as system services (run as root):
#   - a virtualenv in /opt/delfin with the package and its requirements,
#   - the user "delfin", /var/lib/delfin (state) and /var/log/delfin,
#   - /etc/delfin/delfin.conf (kept when it exists) and the sample beside it,
#   - systemd units, enabled and started.
#
# Usage: installer/install.sh [all|split]
#   all    one delfin-all service (default; SQLite, no broker needed)
#   split  delfin-api, delfin-task and delfin-alert; set transport_url
#          (RabbitMQ), [coordination] backend_url (Redis) and a server
#          [database] connection in /etc/delfin/delfin.conf first.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MODE="${1:-all}"
PREFIX="${DELFIN_PREFIX:-/opt/delfin}"
CONF_DIR=/etc/delfin
STATE_DIR=/var/lib/delfin
LOG_DIR=/var/log/delfin

case "$MODE" in
    all) SERVICES="delfin-all" ;;
    split) SERVICES="delfin-api delfin-task delfin-alert" ;;
    *) echo "usage: $0 [all|split]" >&2; exit 2 ;;
esac
is_root || { echo "$0 must run as root" >&2; exit 1; }

if ! id delfin >/dev/null 2>&1; then
    say "Creating the system user delfin"
    useradd --system --home-dir "$STATE_DIR" --shell /usr/sbin/nologin delfin
fi

python="$(find_python)"
if [ ! -x "$PREFIX/bin/python" ]; then
    say "Creating $PREFIX"
    "$python" -m venv "$PREFIX"
fi
say "Installing Delfin into $PREFIX"
"$PREFIX/bin/python" -m pip install --quiet --upgrade pip setuptools wheel
"$PREFIX/bin/python" -m pip install --quiet -r "$REPO_ROOT/requirements.txt" "$REPO_ROOT"

install -d -o delfin -g delfin -m 0750 "$STATE_DIR" "$LOG_DIR"
install -d -m 0755 "$CONF_DIR"
install -m 0644 "$REPO_ROOT/etc/delfin/delfin.conf.sample" "$CONF_DIR/delfin.conf.sample"
if [ ! -f "$CONF_DIR/delfin.conf" ]; then
    say "Writing $CONF_DIR/delfin.conf"
    cat > "$CONF_DIR/delfin.conf" <<CONF
[DEFAULT]
state_path = $STATE_DIR
log_dir = $LOG_DIR
delfin_listen = ::
delfin_listen_port = 8190
trap_receiver_address = 0.0.0.0
trap_receiver_port = 162
# Separate processes (installer/install.sh split) need a broker:
# transport_url = rabbit://USER:PASSWORD@RABBIT_HOST:5672/
transport_url = fake://

[database]
connection = sqlite:///$STATE_DIR/delfin.sqlite
# connection = postgresql+psycopg2://delfin:PASSWORD@DB_HOST:5432/delfin

[coordination]
backend_url = file://$STATE_DIR/coordination
# backend_url = redis://REDIS_HOST:6379

[security]
secret_key_file = $STATE_DIR/secret.key
CONF
    chown root:delfin "$CONF_DIR/delfin.conf"
    chmod 0640 "$CONF_DIR/delfin.conf"
fi

say "Upgrading the database schema"
runuser -u delfin -- "$PREFIX/bin/delfin-manage" --config-file "$CONF_DIR/delfin.conf" db upgrade

for service in $SERVICES; do
    sed "s#/opt/delfin#$PREFIX#g" "$REPO_ROOT/installer/systemd/$service.service" \
        > "/etc/systemd/system/$service.service"
done
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    # shellcheck disable=SC2086
    systemctl enable --now $SERVICES
    say "Started: $SERVICES"
else
    say "systemd is not running here; units installed in /etc/systemd/system."
    say "Run by hand: runuser -u delfin -- $PREFIX/bin/${SERVICES%% *} --config-file $CONF_DIR/delfin.conf"
fi
