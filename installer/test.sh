#!/usr/bin/env bash
# Set up this clone and run the whole test suite: virtualenv .venv with the
# runtime and test requirements and the package; as root, the Debian
# packages the tests drive (net-snmp, Alertmanager, OpenSSH) and this
# machine's PostgreSQL, MariaDB, Redis and RabbitMQ started when down.
# Extra arguments go to pytest (e.g. delfin/tests/unit -x).  The exit code
# is pytest's.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
install_system_packages || say "Could not install the system packages"
start_services
ensure_venv requirements.txt test-requirements.txt || exit 1
if [ $# -eq 0 ]; then
    set -- delfin/tests
fi
"$VENV/bin/python" -m pytest -p no:cacheprovider "$@"
exit $?
