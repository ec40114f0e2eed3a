#!/usr/bin/env bash
# make demo: build, install, start a demo cluster and walk through the extension.
# The cluster keeps running afterwards so that you can explore it with psql;
# 'make demo-stop' stops it and removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/cluster.sh

DEMO_DIR=${DEMO_DIR:-/tmp/runai_rbac_demo}
DEMO_PORT=${DEMO_PORT:-55499}

make -s all >/dev/null
make -s install >/dev/null

if [ -f "$DEMO_DIR/data/postmaster.pid" ]; then
  as_owner "$PGBIN/pg_ctl" -D "$DEMO_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
fi
rm -rf "$DEMO_DIR"
cluster_start "$DEMO_DIR" "$DEMO_PORT"
trap - EXIT   # keep the demo cluster running for exploration
trap 'echo "demo failed; stop the cluster with: make demo-stop" >&2' ERR

psql -qX -d postgres -c 'CREATE DATABASE runai_demo' >/dev/null
psql -X -d runai_demo -v ON_ERROR_STOP=1 -f demo/walkthrough.sql

cat <<EOF2

The demo database is still running. Explore it with:
    psql -h $DEMO_DIR -p $DEMO_PORT -U postgres runai_demo
Stop and remove it with:
    make demo-stop
EOF2
