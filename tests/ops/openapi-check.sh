#!/bin/sh
# make ops, last step: check docs/openapi.yaml and the exchanges the
# end-to-end test recorded against it (tests/ops/openapi-check.mjs), with
# pinned npm packages installed once under $BUILD/node-ops (like make browser).
# Usage: tests/ops/openapi-check.sh BUILD EXCHANGES.jsonl [SERVED.json]
set -eu
BUILD=$1
shift
cd "$(dirname "$0")/../.."
skip() {
    if [ "${NSJUDGE_TESTS_MUST_RUN:-}" = 1 ]; then
        echo "openapi: required but unavailable (NSJUDGE_TESTS_MUST_RUN=1): $*" >&2
        exit 1
    fi
    echo "openapi: SKIP: $*" >&2
    exit 0
}
[ -f "$1" ] || skip "no exchanges were recorded in $1 (the end-to-end test did not run)"
command -v node >/dev/null || skip "node is not installed (make deps installs Debian's nodejs)"
command -v npm >/dev/null || skip "npm is not installed (make deps installs Debian's npm)"
PREFIX=$(pwd)/$BUILD/node-ops
PKGS="ajv@8.20.0 ajv-formats@3.0.1 yaml@2.9.1 @seriousme/openapi-schema-validator@2.11.0"
stamp="$PREFIX/.installed"
if [ "$(cat "$stamp" 2>/dev/null)" != "$PKGS" ]; then
    echo "openapi: installing $PKGS into $PREFIX (npm)" >&2
    # shellcheck disable=SC2086
    npm install --prefix "$PREFIX" --no-audit --no-fund --ignore-scripts --loglevel=error --save-exact $PKGS >&2 ||
        skip "npm install failed (is the npm registry reachable?)"
    echo "$PKGS" >"$stamp"
fi
NSJ_NODE_MODULES="$PREFIX/node_modules" node tests/ops/openapi-check.mjs docs/openapi.yaml "$@"
