#!/usr/bin/env bash
# make demo-stop: stops and removes the cluster that make demo left running.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/cluster.sh
DEMO_DIR=${DEMO_DIR:-/tmp/runai_rbac_demo}
if [ -f "$DEMO_DIR/data/postmaster.pid" ]; then
  as_owner "$PGBIN/pg_ctl" -D "$DEMO_DIR/data" -m fast -w stop >/dev/null
fi
rm -rf "$DEMO_DIR"
echo "demo cluster stopped and removed"
