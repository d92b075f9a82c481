// The coverage plugin's queries, answered from the derived records of coverage_state.h.
//
//   caseledger::Table t = coverage::Communities(params, state);  // level, prefix
//
// Each takes the projector's `as_of` and `as_of_position` and refuses unknown parameters;
// `prefix` (digits) keeps the communities whose 12-digit code starts with it, `level`
// (province|prefecture|county|township|community; default county) groups rows by the
// code's first 2|4|6|9|12 digits, in the column `area`.
#pragma once

#include <caseledger/projection.h>

namespace coverage {

// area, registered, covered, share, meets_target (share >= 0.90).
caseledger::Table Communities(const caseledger::QueryParams& params,
                              const caseledger::State& state);
// area, left_behind, sex, age_band, enrolled, regular (>= 4 attendance dates in the 30 days
// ending on date(as_of)).
caseledger::Table Enrolment(const caseledger::QueryParams& params, const caseledger::State& state);
// area, open_spaces, recreation, non_formal_education, psychosocial_support, referral
// (shares of the open spaces).
caseledger::Table ServicesOffered(const caseledger::QueryParams& params,
                                  const caseledger::State& state);
// area, communities, child_population, vulnerable_cases, excluded_no_consent, per_1000.
caseledger::Table VulnerablePer1000(const caseledger::QueryParams& params,
                                    const caseledger::State& state);
// position, stream, rule.
caseledger::Table Anomalies(const caseledger::QueryParams& params, const caseledger::State& state);

}  // namespace coverage
