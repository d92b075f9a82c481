#!/usr/bin/env bash
# Builds the libFuzzer targets (the fuzz preset: clang, ASan + UBSan, build/fuzz) and fuzzes
# the NDJSON line decoder for a while on a copy of its seed corpus. Fails on any crash,
# sanitizer report, leak or timeout; the input that caused it is left in build/fuzz/findings/.
#   scripts/fuzz.sh [seconds]      default 60
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
scripts/deps.sh

# libFuzzer comes with clang's runtime libraries (libclang-rt-dev on Debian 12).
missing=()
for p in clang libclang-rt-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "scripts/fuzz.sh: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q "${missing[@]}"
fi

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

corpus=build/fuzz/corpus/event_line
findings=build/fuzz/findings
rm -rf "$corpus"
mkdir -p "$corpus" "$findings"
cp tests/fuzz/corpus/event_line/* "$corpus"/
echo "scripts/fuzz.sh: event_line_fuzz for ${seconds}s"
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  build/fuzz/tests/fuzz/event_line_fuzz -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=65536 -print_funcs=0 -dict=tests/fuzz/event_line.dict -artifact_prefix="$findings/" \
  -print_final_stats=1 "$corpus"
