#!/usr/bin/env bash
# Set up this clone (virtualenv .venv with the requirements and the package)
# and start delfin-all with etc/delfin/delfin.conf: the REST API on
# 127.0.0.1:8190, SQLite and every other piece of state under ./state, no
# broker.  Extra arguments go to delfin-all (e.g. --config-file another.conf).
# Stop it with Ctrl-C.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
ensure_venv requirements.txt
say "Starting delfin-all on http://127.0.0.1:8190 (state in $REPO_ROOT/state)"
exec "$VENV/bin/delfin-all" --config-file "$REPO_ROOT/etc/delfin/delfin.conf" "$@"
