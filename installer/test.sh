#!/usr/bin/env bash
# Set up this clone and run the whole test suite: virtualenv .venv with the
# runtime and test requirements and the package; as root, the Debian
# packages the tests drive (net-snmp, Alertmanager, OpenSSH) and this
# machine's PostgreSQL, MariaDB, Redis and RabbitMQ started when down.
# Without arguments it first checks the code style (flake8, as `tox -e
# pep8`); extra arguments go to pytest alone (e.g. delfin/tests/unit -x).
# The exit code is non-zero when either fails.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
install_system_packages || say "Could not install the system packages"
start_services
ensure_venv requirements.txt test-requirements.txt || exit 1
style=0
if [ $# -eq 0 ]; then
    say "Checking the code style (flake8)"
    "$VENV/bin/python" -m flake8 delfin bench || style=1
    set -- delfin/tests
fi
"$VENV/bin/python" -m pytest -p no:cacheprovider "$@"
status=$?
if [ $status -eq 0 ] && [ $style -ne 0 ]; then
    say "flake8 found style errors (see above)"
    status=1
fi
exit $status
