#!/bin/sh
# Runs each unit-test binary given; fails if any fails (all are run).
failed=0
for t in "$@"; do
    "$t" || { echo "unit: $t FAILED" >&2; failed=1; }
done
exit $failed
