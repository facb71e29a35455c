#!/usr/bin/env bash
# install-deps.sh — install the Debian packages Artistry Cart needs, idempotently.
#
# Usage: scripts/install-deps.sh [run|test|bench|all]
#   run    what `make run` needs (compiler, libraries, sqlite)
#   test   + criterion, PostgreSQL and Redis servers, nginx, clang (fuzzing, sanitizers)
#   bench  + wrk
# Only packages that are missing are installed; apt-get update runs at most once.
set -euo pipefail

profile="${1:-run}"

build_pkgs=(build-essential pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev
            libpq-dev libsodium-dev libjwt-dev libcurl4-openssl-dev libssl-dev libvips-dev sqlite3
            libwslay-dev libhiredis-dev
            fonts-dejavu-core) # fonts-dejavu-core: labels of the offline concept renderer (vips_text)
# redis-server, nginx-light: the two-instance scale-out tests (Redis pub/sub, nginx in front)
test_pkgs=(libcriterion-dev postgresql postgresql-contrib clang libclang-rt-14-dev curl redis-server nginx-light)
bench_pkgs=(wrk)

pkgs=("${build_pkgs[@]}")
case "$profile" in
    run) ;;
    test) pkgs+=("${test_pkgs[@]}") ;;
    bench) pkgs+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
    all) pkgs+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
    *) echo "install-deps.sh: unknown profile '$profile' (run|test|bench|all)" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
        echo "install-deps.sh: need root to install: ${missing[*]}" >&2; exit 1
    fi
fi
echo "install-deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
