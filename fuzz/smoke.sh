#!/usr/bin/env bash
# Builds every fuzz target and runs each for N seconds (default 30) on the
# stable toolchain, without a sanitizer. Fails if any target fails.
#
#   ./smoke.sh [SECONDS]
#
# New inputs go to corpus/<target> (git-ignored); seeds/<target> is read as
# a second corpus directory and never written.
set -euo pipefail

seconds="${1:-30}"
cd "$(dirname "$0")"

cargo fuzz build --sanitizer none

failed=()
for target in $(cargo fuzz list); do
    mkdir -p "corpus/$target"
    seeds=()
    if [ -d "seeds/$target" ]; then
        seeds=("seeds/$target")
    fi
    echo "==> $target (${seconds}s)"
    if ! cargo fuzz run --sanitizer none "$target" "corpus/$target" "${seeds[@]}" -- \
        -max_total_time="$seconds" -print_final_stats=1; then
        failed+=("$target")
    fi
done

if [ "${#failed[@]}" -ne 0 ]; then
    echo "FAILED: ${failed[*]} (see artifacts/)" >&2
    exit 1
fi
echo "all fuzz targets passed"
