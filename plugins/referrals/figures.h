// The referral figures of DOMAIN.md's appendix ("Referrals"), each a table computed from
// the states of the cases that may be reported (see Reportable) as of the query's moment.
#pragma once

#include <caseledger/case_state.h>
#include <caseledger/figure_scope.h>
#include <caseledger/projection.h>

#include <string>
#include <vector>

namespace referrals {

struct Case {
  std::string stream;
  caseledger::CaseState state;
};

// Referral figures are reported outward: a case counts only if its latest
// ConsentRecorded (of either subject) gives consent_for_reporting.
bool Reportable(const caseledger::CaseState& state);

// by_state: referrals per area, state and `by` (service_type or to_agency).
caseledger::Table ByState(const std::vector<Case>& cases, const caseledger::FigureScope& scope,
                          const std::string& by);
// pending: referrals in progress per area, receiving agency and recipient.
caseledger::Table Pending(const std::vector<Case>& cases, const caseledger::FigureScope& scope);
// times: per area, response (accepted or rejected) and completion times from the
// referral, in hours: count, p50 and p90 (nearest rank).
caseledger::Table Times(const std::vector<Case>& cases, const caseledger::FigureScope& scope);
// success_rate: per area, completed / (made - revoked), overall ("all") and by the child's sex.
caseledger::Table SuccessRate(const std::vector<Case>& cases, const caseledger::FigureScope& scope);
// summary: per area, cases opened, referrals made, referrals per case, referrals made with
// consent overridden, and the cases left out for want of consent to reporting.
caseledger::Table Summary(const std::vector<Case>& cases, const std::vector<Case>& excluded,
                          const caseledger::FigureScope& scope);
// referred_within_7d: per area, among cases with a vulnerability flag opened at least 7
// days before T, how many had a referral made within 7 days of opening.
caseledger::Table ReferredWithin7Days(const std::vector<Case>& cases,
                                      const caseledger::FigureScope& scope);
// anomalies: events the referral and transfer state machines ignored (every case).
caseledger::Table Anomalies(const std::vector<Case>& cases);

}  // namespace referrals
