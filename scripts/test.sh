#!/usr/bin/env bash
# test.sh — the whole test suite; what `make test` runs (after install-deps.sh test).
#
#   1. build the release flavour: the server, the unit tests, the API tests
#   2. unit tests on SQLite, then API tests on SQLite
#   3. PostgreSQL: ARTISTRY_TEST_DATABASE_URL, or a throwaway cluster on
#      loopback (scripts/pg-cluster.sh) stopped on exit; unit and API tests
#   4. the ASan+UBSan flavour: unit and API tests on SQLite and PostgreSQL
#   5. a short fuzz run of the libFuzzer targets in tests/fuzz (make fuzz), if any
#   (after 2, 3 and 4: the Node tests in tests/node, the npm socket.io-client)
#   6. a summary line "N passed, N failed"; the exit status is 1 if anything failed
#
# Each Criterion binary's "Synthesis:" line is counted; a binary that dies
# without one, a build that fails or a fuzz target that crashes counts as one
# failure. Logs of every step are kept under $TEST_LOG_DIR (default a new
# /tmp/artistry-test.XXXXXX, removed when everything passed).
#
# Knobs (environment):
#   ARTISTRY_TEST_DATABASE_URL   use this PostgreSQL server instead of a throwaway cluster
#   TEST_SKIP_PG=1               skip the PostgreSQL runs
#   TEST_SKIP_ASAN=1             skip the sanitizer flavour
#   TEST_SKIP_FUZZ=1             skip the fuzz run
#   TEST_SKIP_NODE=1             skip the Node (socket.io-client) tests
#   TEST_SKIP_SCALE=1            skip the two-instance Redis/nginx tests (tests/scale/run.sh)
#   TEST_API_JOBS (2), TEST_UNIT_JOBS (1)   Criterion --jobs for API / unit binaries
#   TEST_FILTER                  Criterion --filter pattern for every binary
#   FUZZ_SECONDS (20)            per fuzz target
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)

api_jobs=${TEST_API_JOBS:-2}
unit_jobs=${TEST_UNIT_JOBS:-1}
fuzz_seconds=${FUZZ_SECONDS:-20}
unit_timeout=${TEST_UNIT_TIMEOUT:-600}
api_timeout=${TEST_API_TIMEOUT:-900}
log_dir=${TEST_LOG_DIR:-}
if [ -z "$log_dir" ]; then
    log_dir=$(mktemp -d /tmp/artistry-test.XXXXXX)
    own_log_dir=1
else
    mkdir -p "$log_dir"
    own_log_dir=0
fi

passed=0
failed=0
failures=()
pg_dir=""
pg_url="${ARTISTRY_TEST_DATABASE_URL:-}"
unset ARTISTRY_TEST_DATABASE_URL
start_time=$(date +%s)

ASAN_OPTIONS_RUN="detect_leaks=1:abort_on_error=1"
UBSAN_OPTIONS_RUN="print_stacktrace=1:halt_on_error=1"
# Criterion itself leaks a little in its runner: see tests/lsan.supp.
LSAN_OPTIONS_RUN="suppressions=$root/tests/lsan.supp:print_suppressions=0"

say() { printf '\n==> %s\n' "$*"; }

elapsed() { echo $(( $(date +%s) - start_time ))s; }

fail_step() {
    failed=$((failed + 1))
    failures+=("$1")
    echo "FAILED: $1" >&2
}

#------------------------------------------------------------------------------
# PostgreSQL
#

# The throwaway cluster: scripts/pg-cluster.sh start DIR prints its URL.
pg_start() {
    sh scripts/pg-cluster.sh start "$1"
}

pg_stop() {
    [ -n "$pg_dir" ] || return 0
    sh scripts/pg-cluster.sh stop "$pg_dir" >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
    pg_dir=""
}

cleanup() {
    pg_stop
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

#------------------------------------------------------------------------------
# Running Criterion binaries
#

# run_criterion LABEL JOBS TIMEOUT BINARY [VAR=VALUE...]
run_criterion() {
    local label=$1 jobs=$2 limit=$3 bin=$4
    shift 4
    local log rc=0 line t p f
    log="$log_dir/$(printf '%s' "$label" | tr -c 'A-Za-z0-9._-' '_').log"
    local args=(--jobs="$jobs" --color=never --short-filename)
    [ -n "${TEST_FILTER:-}" ] && args+=(--filter "$TEST_FILTER")
    env "$@" timeout --kill-after=10 "$limit" "$bin" "${args[@]}" </dev/null >"$log" 2>&1 || rc=$?
    line=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -a 'Synthesis: Tested:' | tail -n 1 || true)
    if [ -z "$line" ]; then
        cat "$log"
        echo "test.sh: $label: no Criterion synthesis (exit status $rc)" >&2
        fail_step "$label"
        return 0
    fi
    t=$(sed -n 's/.*Tested: *\([0-9]*\).*/\1/p' <<<"$line")
    p=$(sed -n 's/.*Passing: *\([0-9]*\).*/\1/p' <<<"$line")
    f=$(sed -n 's/.*Failing: *\([0-9]*\).*/\1/p' <<<"$line")
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$f" -gt 0 ]; then
        cat "$log"
        failures+=("$label ($f of $t)")
    elif [ "$rc" -ne 0 ]; then
        cat "$log"
        echo "test.sh: $label: all $t passed but the binary exited $rc" >&2
        fail_step "$label"
    else
        printf '  %-44s %3d passed\n' "$label" "$p"
    fi
}

# run_unit OUT DBLABEL [VAR=VALUE...]: the binary of every tests/unit/**/*.c
# (from the sources, so a stale binary of a deleted test never runs).
run_unit() {
    local out=$1 db=$2
    shift 2
    local srcs src b
    mapfile -t srcs < <(find tests/unit -name '*.c' 2>/dev/null | sort)
    if [ ${#srcs[@]} -eq 0 ]; then
        echo "  (no unit tests)"
        return 0
    fi
    for src in "${srcs[@]}"; do
        b="$out/${src%.c}"
        if [ ! -x "$b" ]; then
            fail_step "$db:unit/${src#tests/unit/} (not built)"
            continue
        fi
        run_criterion "$db:unit/${b#"$out"/tests/unit/}" "$unit_jobs" "$unit_timeout" "$b" "$@"
    done
}

# run_api OUT DBLABEL [VAR=VALUE...]: the one API binary, against OUT/artistry.

run_api() {
    local out=$1 db=$2
    shift 2
    if [ ! -x "$out/tests/api/api_tests" ]; then
        echo "  (no API tests)"
        return 0
    fi
    run_criterion "$db:api" "$api_jobs" "$api_timeout" "$out/tests/api/api_tests" \
        ARTISTRY_BIN="$root/$out/artistry" "$@"
}

# run_node OUT LABEL [VAR=VALUE...]: the node:test files in tests/node against
# OUT/artistry. `npm ci` runs when node_modules is missing or older than the
# lock file. Each test counts; a run without a summary counts as one failure.
run_node() {
    local out=$1 label=$2
    shift 2
    local log="$log_dir/$label.log" stamp=tests/node/node_modules/.package-lock.json rc=0 p f c
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        fail_step "$label (node or npm missing)"
        return 0
    fi
    if [ ! -f "$stamp" ] || [ tests/node/package-lock.json -nt "$stamp" ]; then
        if ! npm ci --prefix tests/node --no-audit --no-fund >"$log_dir/npm-ci.log" 2>&1; then
            cat "$log_dir/npm-ci.log"
            fail_step "$label (npm ci)"
            return 0
        fi
    fi
    env ARTISTRY_BIN="$root/$out/artistry" "$@" timeout --kill-after=10 300 \
        node --test --test-concurrency=1 --test-reporter=tap tests/node/ </dev/null >"$log" 2>&1 || rc=$?
    p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log" | tail -n 1)
    f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log" | tail -n 1)
    c=$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$log" | tail -n 1)
    if [ -z "$p" ] || [ -z "$f" ]; then
        cat "$log"
        echo "test.sh: $label: no node:test summary (exit status $rc)" >&2
        fail_step "$label"
        return 0
    fi
    f=$((f + ${c:-0}))
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$f" -gt 0 ]; then
        cat "$log"
        failures+=("$label ($f of $((p + f)))")
    elif [ "$rc" -ne 0 ]; then
        cat "$log"
        echo "test.sh: $label: all $p passed but node exited $rc" >&2
        fail_step "$label"
    else
        printf '  %-44s %3d passed\n' "$label" "$p"
    fi
}

build() {
    local label=$1
    shift
    say "build ($label)"
    if ! make --no-print-directory -j2 "$@" all unit-tests api-tests >"$log_dir/build-$label.log" 2>&1; then
        tail -n 60 "$log_dir/build-$label.log"
        fail_step "build ($label)"
        return 1
    fi
}

#------------------------------------------------------------------------------
# Fuzzing
#

# `make fuzz` builds build-fuzz/fuzz_<name> from tests/fuzz/fuzz_<name>.c;
# each runs for FUZZ_SECONDS seeded from tests/fuzz/corpus/<name>. New inputs
# go to a scratch directory (libFuzzer writes to the first corpus directory),
# crash artifacts to the log directory.
run_fuzz() {
    say "fuzz smoke run ($(elapsed))"
    if ! compgen -G 'tests/fuzz/fuzz_*.c' >/dev/null; then
        echo "  (no fuzz targets: skipped)"
        return 0
    fi
    if ! make --no-print-directory fuzz >"$log_dir/build-fuzz.log" 2>&1; then
        tail -n 60 "$log_dir/build-fuzz.log"
        fail_step "build (fuzz)"
        return 0
    fi
    local t name corpus scratch
    for t in build-fuzz/fuzz_*; do
        [ -f "$t" ] && [ -x "$t" ] || continue
        name=${t#build-fuzz/fuzz_}
        scratch="$log_dir/fuzz-corpus-$name"
        mkdir -p "$scratch"
        corpus=("$scratch")
        [ -d "tests/fuzz/corpus/$name" ] && corpus+=("tests/fuzz/corpus/$name")
        if ASAN_OPTIONS="$ASAN_OPTIONS_RUN" UBSAN_OPTIONS="$UBSAN_OPTIONS_RUN" \
            timeout --kill-after=10 $((fuzz_seconds + 120)) "$t" -max_total_time="$fuzz_seconds" \
            -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$log_dir/fuzz-$name-" "${corpus[@]}" \
            >"$log_dir/fuzz-$name.log" 2>&1; then
            passed=$((passed + 1))
            printf '  %-44s passed\n' "fuzz/$name"
            rm -rf "$scratch"
        else
            tail -n 40 "$log_dir/fuzz-$name.log"
            fail_step "fuzz/$name"
        fi
    done
}

#------------------------------------------------------------------------------
# Scale-out: two instances, Redis and nginx (tests/scale/run.sh)
#

# Counts the runner's "scale: N passed, M failed" line; no such line is one failure.
run_scale() {
    say "scale-out: two instances, Redis, nginx ($(elapsed))"
    if [ ! -x build/artistry ]; then
        fail_step "scale (build/artistry not built)"
        return 0
    fi
    local log="$log_dir/scale.log" line p f rc=0
    SCALE_DATABASE_URL="$pg_url" ARTISTRY_BIN="$root/build/artistry" \
        timeout --kill-after=10 600 bash tests/scale/run.sh </dev/null >"$log" 2>&1 || rc=$?
    line=$(grep -a '^scale: [0-9]* passed, [0-9]* failed' "$log" | tail -n 1 || true)
    if [ -z "$line" ]; then
        cat "$log"
        fail_step "scale (no summary, exit status $rc)"
        return 0
    fi
    p=$(sed -n 's/^scale: \([0-9]*\) passed.*/\1/p' <<<"$line")
    f=$(sed -n 's/.* \([0-9]*\) failed.*/\1/p' <<<"$line")
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$f" -gt 0 ]; then
        cat "$log"
        failures+=("scale ($f)")
    else
        printf '  %-44s %3d passed\n' "scale" "$p"
    fi
}

#------------------------------------------------------------------------------
# The run
#

finish() {
    local total=$(( $(date +%s) - start_time ))
    echo
    if [ ${#failures[@]} -gt 0 ]; then
        echo "Failed: ${failures[*]}"
        echo "Logs: $log_dir"
    elif [ "$own_log_dir" -eq 1 ]; then
        rm -rf "$log_dir"
    fi
    echo "Total time: ${total}s"
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

if build release; then
    say "unit tests, SQLite ($(elapsed))"
    run_unit build sqlite
    say "API tests, SQLite ($(elapsed))"
    run_api build sqlite
    if [ -z "${TEST_SKIP_NODE:-}" ]; then
        say "Node tests (socket.io-client), SQLite ($(elapsed))"
        run_node build node-sqlite
    fi
fi

if [ -z "${TEST_SKIP_PG:-}" ]; then
    say "PostgreSQL ($(elapsed))"
    if [ -z "$pg_url" ]; then
        pg_dir=$(mktemp -d /tmp/artistry-pg.XXXXXX)
        if ! pg_url=$(pg_start "$pg_dir" 2>"$log_dir/pg-start.log"); then
            cat "$log_dir/pg-start.log" >&2
            pg_url=""
            fail_step "start PostgreSQL"
        else
            echo "  throwaway cluster at $pg_url"
        fi
    else
        echo "  using ARTISTRY_TEST_DATABASE_URL"
    fi
    if [ -n "$pg_url" ] && [ -x build/artistry ]; then
        say "unit tests, PostgreSQL ($(elapsed))"
        run_unit build pg ARTISTRY_TEST_DATABASE_URL="$pg_url"
        say "API tests, PostgreSQL ($(elapsed))"
        run_api build pg ARTISTRY_TEST_DATABASE_URL="$pg_url"
        if [ -z "${TEST_SKIP_NODE:-}" ]; then
            say "Node tests (socket.io-client), PostgreSQL ($(elapsed))"
            run_node build node-pg ARTISTRY_TEST_DATABASE_URL="$pg_url"
        fi
    fi
fi

if [ -z "${TEST_SKIP_SCALE:-}" ]; then
    run_scale
fi

if [ -z "${TEST_SKIP_ASAN:-}" ]; then
    if build asan BUILD=asan; then
        san=(ASAN_OPTIONS="$ASAN_OPTIONS_RUN" UBSAN_OPTIONS="$UBSAN_OPTIONS_RUN" LSAN_OPTIONS="$LSAN_OPTIONS_RUN"
             ARTISTRY_TEST_START_TIMEOUT=30)
        say "ASan+UBSan unit tests, SQLite ($(elapsed))"
        run_unit build-asan asan-sqlite "${san[@]}"
        say "ASan+UBSan API tests, SQLite ($(elapsed))"
        run_api build-asan asan-sqlite "${san[@]}"
        if [ -z "${TEST_SKIP_NODE:-}" ]; then
            say "ASan+UBSan Node tests (socket.io-client), SQLite ($(elapsed))"
            run_node build-asan asan-node-sqlite "${san[@]}"
        fi
        if [ -z "${TEST_SKIP_PG:-}" ] && [ -n "$pg_url" ]; then
            say "ASan+UBSan unit tests, PostgreSQL ($(elapsed))"
            run_unit build-asan asan-pg "${san[@]}" ARTISTRY_TEST_DATABASE_URL="$pg_url"
            say "ASan+UBSan API tests, PostgreSQL ($(elapsed))"
            run_api build-asan asan-pg "${san[@]}" ARTISTRY_TEST_DATABASE_URL="$pg_url"
        fi
    fi
fi

if [ -z "${TEST_SKIP_FUZZ:-}" ]; then
    run_fuzz
fi

finish
