# runai_rbac: built with PGXS.  The version lives only in runai_rbac.control.
EXTENSION   = runai_rbac
EXTVERSION := $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big  = runai_rbac
OBJS        = src/runai_rbac.o src/parse.o src/types.o src/nodeset.o src/subject.o \
              src/citus.o src/catalog.o src/scopetree.o src/cache.o src/decision.o src/actor.o src/dominance.o \
              src/hints.o src/protected.o src/bindings.o \
              src/identity.o src/session.o src/forward.o src/dispatch.o src/checks.o src/stats.o src/rls.o src/route.o \
              src/password.o src/lockout.o src/distribute.o

# The install script for the current version is assembled from src/sql/*.sql (in
# name order) and the data files.  The parts are data (run once) or code
# (replayable): see the top of tools/build_sql.sh; 'make code-replay' prints the code
# parts for an upgrade script.  Upgrade scripts live in upgrade/ and are committed:
# the one to the current version is generated from its hand-written part in
# src/upgrade/ and the parts (DELTAS_built, made by 'make'); once that version is
# released and the control file moves on, no rule makes it any more and it is never
# edited again.
SQL_PARTS   = $(sort $(wildcard src/sql/*.sql))
DATA_built  = $(EXTENSION)--$(EXTVERSION).sql
DATA        = $(wildcard upgrade/$(EXTENSION)--*--*.sql)
DELTAS_built = $(patsubst src/upgrade/%,upgrade/%,$(wildcard src/upgrade/$(EXTENSION)--*--$(EXTVERSION).sql))

REGRESS     = types catalog api operators engine cache rls identity views
REGRESS_OPTS =
ISOLATION   = coherence_revoke coherence_own coherence_rollback coherence_tree coherence_scopes \
              last_admin session_revoke last_admin_deferred delete_scope_rows races parallel_revoke \
              session_fail_closed lockout_concurrent

PG_CPPFLAGS = -Isrc -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
SHLIB_LINK  =

EXTRA_CLEAN = results output_iso regression.diffs regression.out log tmp_check build

PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(PGXS),)
include $(PGXS)
else
# Without the server development files PGXS is absent; 'make test' and 'make demo'
# install them first, the other targets say what is missing.
all install installcheck:
	@echo "runai_rbac: PostgreSQL 15 server development files not found; run 'make deps'" >&2; exit 1
endif

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PARTS) data/*.csv tools/gen_data.awk
	tools/build_sql.sh $(EXTVERSION) $(SQL_PARTS) > $@.tmp && mv $@.tmp $@

code-replay:
	@tools/build_sql.sh --code $(EXTVERSION) $(SQL_PARTS)

# Not in DATA_built: 'make clean' must not remove a committed file.  Made at every
# run (git leaves file times in no useful order) and written only when it changed.
all: $(DELTAS_built)
upgrade/$(EXTENSION)--%--$(EXTVERSION).sql: src/upgrade/$(EXTENSION)--%--$(EXTVERSION).sql FORCE
	@mkdir -p upgrade
	@tools/build_sql.sh --delta $< $(EXTVERSION) $(SQL_PARTS) > $@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; echo "made $@"; fi
FORCE:

.PHONY: test demo demo-stop bench fuzz test-memcheck deps code-replay FORCE
deps:
	tools/ensure-deps.sh

test: deps
	tools/test.sh

demo: deps
	tools/demo.sh

demo-stop:
	tools/demo-stop.sh

bench: deps
	tools/bench.sh

fuzz:
	tools/fuzz.sh $(FUZZ_SECONDS)

test-memcheck: deps
	tools/test.sh --memcheck
