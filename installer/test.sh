#!/usr/bin/env bash
# Set up this clone and run the whole test suite: virtualenv .venv with the
# runtime and test requirements and the package; as root, the Debian
# packages the tests drive (net-snmp, Alertmanager, OpenSSH) and this
# machine's PostgreSQL, MariaDB, Redis and RabbitMQ started when down.
# Without arguments it runs three steps: the code style (flake8, as `tox -e
# pep8`), the test suite, and Delfin's own driver unit tests (the vendor
# drivers of the delfin==1.5.0 release, downloaded from PyPI and adopted
# into a throwaway environment) against this core; the exit code is
# non-zero when any step fails.  Extra arguments go to pytest alone (e.g.
# delfin/tests/unit -x) and run that step only.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
install_system_packages || say "Could not install the system packages"
start_services
ensure_venv requirements.txt test-requirements.txt || exit 1
if [ $# -gt 0 ]; then
    exec "$VENV/bin/python" -m pytest -p no:cacheprovider "$@"
fi
results=()
status=0
step() {
    local label=$1
    shift
    say "Step: $label"
    if "$@"; then
        results+=("ok      $label")
    else
        results+=("FAILED  $label")
        status=1
    fi
}
step "code style (flake8)" "$VENV/bin/python" -m flake8 delfin bench
step "test suite (pytest delfin/tests)" \
    "$VENV/bin/python" -m pytest -p no:cacheprovider delfin/tests
step "Delfin 1.5.0 driver unit tests on this core" \
    "$VENV/bin/python" -m delfin.tests.upstream_drivers
say "Results:"
for line in "${results[@]}"; do say "  $line"; done
exit $status
