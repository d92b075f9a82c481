// The coverage plugin's state: where each consumed event is kept, and the figures' records
// derived from it (plugins/coverage/coverage_state.cpp writes them, coverage_queries.cpp
// reads them).
//
//   coverage::Ingest(event, state, touched);   // per event of a batch
//   for (const std::string& g : touched) coverage::Recompute(g, state);
//
// Every consumed event belongs to one group, the unit that is folded again from scratch
// whenever one of its events arrives, is corrected or voided:
//   "s/<spaceId>"  SpaceOpened, SpaceClosed, ChildEnrolled, AttendanceRecorded of a space
//   "c/<code>"     CommunityRegistered of a 12-digit community code
//   "k/<stream>"   CaseOpened and ConsentRecorded of a case stream
//   "o/<position>" a space event's correction naming no event it may correct (an anomaly)
// A correction or an EntryVoided joins the group of the event it names, so a late one
// changes every figure that event fed. The group of the original decides: a correction of
// a CommunityRegistered may change its code, one of a space event may not change its space.
//
// Keys (bytes, in byte order; parts joined with 0x1F; positions as 16 hex digits):
//   "r/<position>"                       group 0x1F type of each consumed event (the index
//                                        corrections and voids look their target up in)
//   "m/<group>\x1f<position>"            one event of a group: type, stream, corrects,
//                                        payload (last: it may hold any byte)
//   "d/<group>"                          the derived keys the group wrote, joined by 0x1E
// Derived records, rewritten by each fold of their group:
//   "C/<code>\x1f<group>"                a registered community: position 0x1F population
//   "S/<code>\x1f<spaceId>"              an open space: its services, 4 chars '0'/'1' in
//                                        the order recreation, non_formal_education,
//                                        psychosocial_support, referral
//   "E/<childRef>\x1f<position>"         a valid enrolment: code, sex, age band, left_behind
//   "A/<childRef>\x1f<day>\x1f<spaceId>" a valid presence; day = days since 1970-01-01
//                                        + 2^31, 10 decimal digits
//   "V/<code>\x1f<stream>"               a case with a vulnerability flag: "1" if its latest
//                                        ConsentRecorded allows reporting, else "0"
//   "N/<position>\x1f<seq>"              an anomaly: stream, community code ("" if not
//                                        known), rule
#pragma once

#include <caseledger/projection.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace coverage {

inline constexpr char kSep = '\x1f';
inline constexpr char kListSep = '\x1e';

// Position as 16 lower-case hex digits (sorts as a number) and back.
std::string PositionKey(uint64_t position);
uint64_t ParsePosition(std::string_view hex);

// Splits `s` at kSep into exactly `fields` parts; the last keeps any further separators.
std::vector<std::string> Split(std::string_view s, size_t fields);

// Records `e` under its group (adding the group to `touched`); throws PluginError if its
// payload does not decode.
void Ingest(const caseledger::Event& e, caseledger::State& state, std::set<std::string>& touched);

// Folds `group` again from its events and replaces its derived records.
void Recompute(const std::string& group, caseledger::State& state);

// The JSON names of the schema's enums.
std::string_view SexName(int sex);
std::string_view AgeBandName(int age_band);

}  // namespace coverage
