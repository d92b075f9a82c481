#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite with ctest.
#   scripts/test.sh            release build (build/release)
#   scripts/test.sh asan       AddressSanitizer + UndefinedBehaviorSanitizer (build/asan)
# The release run also checks the installed SDK (scripts/check_sdk_install.sh): install,
# build the example plugin against it, run it with the installed projector.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
scripts/build.sh "$preset"
ctest --preset "$preset" -j "$(nproc)" --timeout 900
if [ "$preset" = release ]; then
  scripts/check_sdk_install.sh "build/$preset"
fi
