// The caseload figures of DOMAIN.md's appendix ("Caseload"), each a table computed from
// the cases' states and the worker registry as of the query's moment T.
#pragma once

#include <caseledger/case_state.h>
#include <caseledger/figure_scope.h>
#include <caseledger/location.h>
#include <caseledger/projection.h>
#include <caseledger/time.h>

#include <map>
#include <string>
#include <vector>

namespace caseload {

// A worker as registered (WorkerRegistered, then WorkerRoleChanged).
struct Worker {
  std::string role;           // e.g. "caseworker"
  std::string location_code;  // community (12) or township (9) code of the scope
};

struct Case {
  std::string stream;
  caseledger::CaseState state;
};

// T, the prefix of the cases (workers) counted, and the roll-up level of the rows.
using Moment = caseledger::FigureScope;

// open_cases: per area and owner (per area only unless `per_owner`), open cases by risk.
caseledger::Table OpenCases(const std::vector<Case>& cases, const Moment& m, bool per_owner);
// caseload_bands: caseworkers and children's directors by open-case count (0-9, 10-19,
// 20-29, 30+), per area of the worker's own location code.
caseledger::Table CaseloadBands(const std::vector<Case>& cases,
                                const std::map<std::string, Worker>& workers, const Moment& m);
// overdue: per area and owner, over open cases: assessments, case plans, services and
// follow-ups due before T, and those due within 7 days after T (upcoming).
// Per area only unless `per_owner`.
caseledger::Table Overdue(const std::vector<Case>& cases, const Moment& m, bool per_owner);
// awaiting_assignment: open cases without an owner since more than `hours` (1 h if high
// risk: `high_risk_hours`) before T, per area.
caseledger::Table AwaitingAssignment(const std::vector<Case>& cases, const Moment& m, double hours,
                                     double high_risk_hours);
// approvals_pending: per area and kind, approvals requested and not decided, open cases.
caseledger::Table ApprovalsPending(const std::vector<Case>& cases, const Moment& m);
// time_to_close: closures per area by days open: <=30, 31-90, 91-180, 181+.
caseledger::Table TimeToClose(const std::vector<Case>& cases, const Moment& m);
// anomalies: every event a case's state machines ignored (case, approval, follow-up,
// assignment, service), with its position and the rule it broke.
caseledger::Table Anomalies(const std::vector<Case>& cases, const Moment& m);

}  // namespace caseload
