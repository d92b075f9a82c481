#!/usr/bin/env bash
# Checks the installable SDK as a plugin author and an integrator use it: installs the
# build into a fresh prefix, builds examples/home_visits and examples/integration_client
# against it with find_package(CaseLedger), runs the installed `caseledger project` with
# that plugin over a small ledger and checks what `caseledger query` answers, then runs
# the installed `caseledger serve` and feeds and tails it with the integration client.
#   scripts/check_sdk_install.sh [BUILD_DIR]     (default build/release, already built)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
work="$(mktemp -d /tmp/caseledger-sdk-XXXXXX)"
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S examples/home_visits -B "$work/plugin" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/plugin" >/dev/null
cmake -S examples/integration_client -B "$work/client" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/client" >/dev/null

cl="$work/prefix/bin/caseledger"
ledger="$work/ledger"
export CASELEDGER_MASTER_KEY_FILE="$work/master.key"
"$cl" init "$ledger" >/dev/null
director='{"user":"w-0107","role":"children_director","agency":"Village 130111200201"}'
caseworker='{"user":"w-0042","role":"caseworker","agency":"Luquan County Civil Affairs"}'
append() {  # STREAM TYPE ACTOR DATA
  "$cl" append "$ledger" --stream "$1" --type "$2" --actor "$3" --data "$4" >/dev/null
}
append case-1 CaseOpened "$director" \
  '{"childRef":"c-1","name":"Wang Xiaoli","sex":"female","ageBand":"6-11","communityCode":"130111200201","identificationChannel":"home_visit","agency":"Luquan County Civil Affairs"}'
append case-1 FollowUpScheduled "$director" '{"followUpId":"f-1","kind":"home_visit","neededBy":"2026-03-10T00:00:00Z"}'
append case-1 FollowUpScheduled "$director" '{"followUpId":"f-2","kind":"home_visit","neededBy":"2026-03-20T00:00:00Z"}'
append case-1 FollowUpScheduled "$caseworker" '{"followUpId":"f-3","kind":"for_service","neededBy":"2026-03-20T00:00:00Z"}'
append case-1 FollowUpCompleted "$director" '{"followUpId":"f-1","doneAt":"2026-03-09T15:00:00Z"}'
append case-1 FollowUpCompleted "$caseworker" '{"followUpId":"f-3","doneAt":"2026-03-19T15:00:00Z"}'

"$cl" project "$ledger" --plugin-dir "$work/plugin" >/dev/null
check() {  # QUERY EXPECTED [PARAM...]
  local query="$1" expected="$2"
  shift 2
  local got
  got="$("$cl" query "$ledger" home_visits "$query" --plugin-dir "$work/plugin" --format csv "$@")"
  if [ "$got" != "$expected" ]; then
    printf 'check_sdk_install: home_visits %s %s gave\n%s\nexpected\n%s\n' "$query" "$*" "$got" "$expected" >&2
    exit 1
  fi
}
check by_user $'user,scheduled,completed\nw-0107,2,1'
check pending $'case,follow_up,scheduled_by\ncase-1,f-2,w-0107'
check by_user $'user,scheduled,completed\nw-0107,1,0' --param as_of_position=2

# The integration client, over the network, as a caseworker of the county.
append worker-w-0042 WorkerRegistered '{"user":"w-admin","role":"admin"}' \
  '{"workerId":"w-0042","role":"caseworker","locationCode":"130111200","agency":"Luquan County Civil Affairs"}'
export CASELEDGER_TOKEN="$("$cl" users "$ledger" add w-0042 2>/dev/null)"
"$cl" serve "$ledger" --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
for _ in $(seq 1 300); do grep -qs '^listening on ' "$work/serve.out" && break; sleep 0.1; done
address="$(sed -n 's/^listening on //p' "$work/serve.out")"
[ -n "$address" ] || { echo "check_sdk_install: caseledger serve did not start:" >&2; cat "$work/serve.err" >&2; exit 1; }
feed="$work/feed.ndjson"
for n in 2 3; do
  printf '{"stream":"case-%s","type":"CaseOpened","eventId":"%032d","expectedVersion":"no_stream","data":{"childRef":"c-%s","name":"Child %s","sex":"male","ageBand":"0-5","communityCode":"130111200201","identificationChannel":"school","owner":"w-0042","agency":"Luquan County Civil Affairs"}}\n' \
    "$n" "$n" "$n" "$n" >>"$feed"
done
client="$work/client/integration_client"
expect_out() {  # EXPECTED COMMAND...
  local expected="$1" got
  shift
  got="$("$@")"
  if ! grep -qF -- "$expected" <<<"$got"; then
    printf 'check_sdk_install: %s gave\n%s\nexpected a line with: %s\n' "$*" "$got" "$expected" >&2
    exit 1
  fi
}
expect_out "fed 2 events: 2 appended, 0 already in the ledger" "$client" --server "$address" feed "$feed"
expect_out "fed 2 events: 0 appended, 2 already in the ledger" "$client" --server "$address" feed "$feed"
expect_out "w-0042" "$client" --server "$address" tail caseload open_cases \
  --param as_of=2030-01-01T00:00:00Z --times 1
kill "$server_pid"
wait "$server_pid" || { echo "check_sdk_install: caseledger serve did not stop cleanly" >&2; exit 1; }
server_pid=""
echo "check_sdk_install: the installed SDK builds examples/home_visits and examples/integration_client; the installed projector runs the plugin, and the client feeds and tails the installed server: OK"
