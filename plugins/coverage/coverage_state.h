// The coverage plugin's state: where each consumed event is kept, and the figures' records
// derived from it (plugins/coverage/coverage_state.cpp writes them, coverage_queries.cpp
// reads them).
//
//   coverage::ApplyBatch(events, state);  // the plugin's Apply
//
// Every consumed event belongs to one group:
//   "s/<spaceId>"  SpaceOpened, SpaceClosed, ChildEnrolled, AttendanceRecorded of a space
//   "c/<code>"     CommunityRegistered of a 12-digit community code
//   "k/<stream>"   CaseOpened and ConsentRecorded of a case stream
//   "o/<position>" a space event's correction naming no event it may correct (an anomaly)
// A correction or an EntryVoided joins the group of the event it names, so a late one
// changes every figure that event fed. The group of the original decides: a correction of
// a CommunityRegistered may change its code, one of a space event may not change its space.
//
// Cost: a space's new original event (the bulk of the log: attendance) is folded on top of
// the space's saved fold state, in time independent of the space's history. A group that a
// correction or void reaches, and every case or community group (a handful of events
// each), is folded again from all its events and its derived records replaced.
//
// Keys (bytes, in byte order; parts joined with 0x1F; positions as 16 hex digits):
//   "r/<position>"                       group 0x1F type of each consumed event (the index
//                                        corrections and voids look their target up in)
//   "m/<group>\x1f<position>"            one event of a group: type, stream, corrects,
//                                        payload (last: it may hold any byte)
//   "f/<spaceId>"                        a space's fold state: open, ever opened ('0'/'1'),
//                                        community code, services
//   "d/<group>\x1f<derived key>"         "" for each derived record the group wrote
// Derived records:
//   "C/<code>\x1f<group>\x1f<position>"  a registration in effect (position: its original):
//                                        position of its data 0x1F child population
//   "S/<code>\x1f<spaceId>"              an open space: its services, 4 chars '0'/'1' in
//                                        the order recreation, non_formal_education,
//                                        psychosocial_support, referral
//   "E/<childRef>\x1f<position>"         a valid enrolment: code, sex, age band, left_behind
//   "e/<spaceId>\x1f<childRef>"          "": the child is enrolled in the space
//   "A/<day>\x1f<spaceId>\x1f<position>" the enrolled children an AttendanceRecorded found
//                                        present (joined by 0x1F); day = DayKey(date)
//   "V/<code>\x1f<stream>"               a case with a vulnerability flag: "1" if its latest
//                                        ConsentRecorded allows reporting, else "0"
//   "N/<position>\x1f<seq>"              an anomaly: stream, community code ("" if not
//                                        known), rule
#pragma once

#include <caseledger/projection.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace coverage {

inline constexpr char kSep = '\x1f';

// Position as 16 lower-case hex digits (sorts as a number) and back.
std::string PositionKey(uint64_t position);
uint64_t ParsePosition(std::string_view hex);

// A date (days since 1970-01-01, may be negative) as 10 decimal digits that sort as dates.
std::string DayKey(int64_t days_since_epoch);

// Splits `s` at kSep into exactly `fields` parts; the last keeps any further separators.
std::vector<std::string> Split(std::string_view s, size_t fields);

// Folds `events` (in position order) into `state`. Throws PluginError if a payload it
// needs does not decode.
void ApplyBatch(std::span<const caseledger::Event> events, caseledger::State& state);

// The JSON names of the schema's enums.
std::string_view SexName(int sex);
std::string_view AgeBandName(int age_band);

}  // namespace coverage
