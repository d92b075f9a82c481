#!/usr/bin/env bash
# Sets everything up and shows the ledger at work on an embedded ledger in ./demo-ledger:
# installs what is missing, builds, creates the ledger, appends a handful of case events,
# reads one case back, and verifies the whole ledger; then generates a simulated province
# in ./demo-province and shows the built-in projections' headline figures. Safe to run
# again (it starts over).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh release
cl=build/release/bin/caseledger
dir=demo-ledger
# The master key seals every child's key; it lives outside the ledger directory.
export CASELEDGER_MASTER_KEY_FILE=$PWD/demo-master.key

rm -rf "$dir"
"$cl" init "$dir"

# append STREAM EXPECTED TYPE OCCURRED ACTOR DATA
append() {
  "$cl" append "$dir" --stream "$1" --expected-version "$2" --type "$3" \
    --occurred-at "$4" --actor "$5" --data "$6" --format tsv | tail -n 1 |
    awk -F'\t' '{printf "  appended %-24s position %s, version %s\n", $2 "@" $3, $1, $3}'
}
director='{"user":"w-0107","role":"children_director","agency":"Village 130111200201"}'
caseworker='{"user":"w-0042","role":"caseworker","agency":"Luquan County Civil Affairs"}'
supervisor='{"user":"w-0009","role":"supervisor","agency":"Tongye Township"}'
school='{"user":"w-0311","role":"service_provider","agency":"Tongye Central School"}'

echo "== appending case events"
append community-130111200201 no_stream CommunityRegistered 2026-01-05T09:00:00Z "$supervisor" \
  '{"code":"130111200201","name":"Dongguan Village","setting":"rural","childPopulation":412}'
append case-000001 no_stream CaseOpened 2026-03-01T09:30:00Z "$director" \
  '{"childRef":"c-000001","name":"Wang Xiaoli","sex":"female","birthDate":"2016-05-12","ageBand":"6-11","communityCode":"130111200201","vulnerabilities":["left_behind","out_of_school"],"identificationChannel":"home_visit","agency":"Luquan County Civil Affairs"}'
append case-000001 0 ConsentRecorded 2026-03-01T09:45:00Z "$director" \
  '{"subject":"caregiver","consentForServices":true,"disclosureToOtherOrgs":true,"consentForReporting":true}'
append case-000001 1 CaseAssigned 2026-03-01T11:00:00Z "$supervisor" '{"newOwner":"w-0042","reason":"county caseworker for the township"}'
append case-000001 2 RiskAssessed 2026-03-02T10:00:00Z "$caseworker" '{"level":"medium"}'
append case-000001 3 ReferralMade 2026-03-02T10:30:00Z "$caseworker" \
  '{"referralId":"r-000001","serviceType":"education","toAgency":"Tongye Central School","toUser":"w-0311","consentOverridden":false}'
append case-000001 4 ReferralAccepted 2026-03-03T08:15:00Z "$school" '{"referralId":"r-000001"}'
append case-000001 5 FollowUpScheduled 2026-03-03T09:00:00Z "$caseworker" \
  '{"followUpId":"f-000001","kind":"for_service","neededBy":"2026-03-17T00:00:00Z"}'
append case-000002 no_stream CaseOpened 2026-03-04T14:00:00Z "$director" \
  '{"childRef":"c-000002","name":"Li Hao","sex":"male","ageBand":"12-17","communityCode":"130111200201","vulnerabilities":["left_behind"],"identificationChannel":"school","agency":"Luquan County Civil Affairs"}'
append case-000001 6 NoteAdded 2026-03-05T16:00:00Z "$caseworker" \
  '{"text":"Grandmother reports Xiaoli attends school again since the referral."}'

echo
echo "== a stale expected version is refused (the ledger names the actual version)"
"$cl" append "$dir" --stream case-000001 --expected-version 2 --type NoteAdded --data '{"text":"late"}' 2>&1 | sed 's/^/  /' || true

echo
echo "== case-000001, read back with the master key (personal fields in clear)"
"$cl" read "$dir" case-000001 --format table

echo
echo "== the same without the master key: personal fields stay sealed"
CASELEDGER_MASTER_KEY_FILE= "$cl" read "$dir" case-000001 --limit 1 --format json

echo
echo "== the log holds no personal field in clear"
if grep -rqa "Wang Xiaoli" "$dir"; then echo "  FOUND the name in clear" >&2; exit 1; fi
echo "  no occurrence of \"Wang Xiaoli\" under $dir/"

echo
echo "== verify: every record, checksum, index entry and the Merkle tree, from the log"
"$cl" verify "$dir"

echo
echo "== stats"
"$cl" stats "$dir"

# The projections: a simulated province (the generator), the built-in plugins run by the
# projector, and the headline figures as of the last event.
province=demo-province
rm -rf "$province"
echo
echo "== a simulated province: 30,000 generated events (caseledger gen --into)"
"$cl" init "$province" >/dev/null
"$cl" gen --seed 7 --events 30000 --into "$province" | sed 's/^/  /'
echo
echo "== the projector runs the built-in plugins (caseledger project)"
"$cl" project "$province" --format tsv | cut -f1-5 | column -t | sed 's/^/  /'
echo
echo "== coverage: communities with an open children's place, per county, against the 90% target"
"$cl" query "$province" coverage communities --param level=county | sed 's/^/  /'
echo
echo "== workers per caseload band (open cases), per county of the worker's own location code"
echo "   (county caseworkers serve an agency, not a place: they are the rows with an empty area)"
"$cl" query "$province" caseload caseload_bands --param level=county | sed 's/^/  /'
echo
echo "== referral success rate (completed / (made - revoked)) by sex of the child"
"$cl" query "$province" referrals success_rate | sed 's/^/  /'
echo
echo "== overdue follow-ups (and other overdue work) per township"
"$cl" query "$province" caseload overdue --param level=township --param per=area | sed 's/^/  /'
