// Who may do what: DOMAIN.md's roles x operations table, decided in one place for the
// server (and every client that reaches the ledger through it).
//
//   auto who = caseledger::server::LoadPrincipal(ledger, "w-17");     // from worker-w-17
//   auto op = caseledger::server::OperationOfEvent("ReferralAccepted", payload);
//   caseledger::server::Scope where = ScopeOfCase(case_state);        // what it touches
//   where.referral_id = "r-1";
//   caseledger::Status allowed = caseledger::server::Authorize(*who, *op, where);
//
// Roles and scopes come from the ledger itself (WorkerRegistered / WorkerRoleChanged in
// the worker's stream), so who may do what is auditable like everything else. A refusal
// is kPermissionDenied and its message names the worker, the role, the operation and the
// scope that did not match; nothing else is said about the data (no case content leaks
// through an error).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "caseledger/case_state.h"
#include "caseledger/ledger.h"
#include "caseledger/status.h"

namespace caseledger::server {

// The roles of DOMAIN.md (WorkerRegistered.role), by their JSON names.
enum class Role { kChildrenDirector, kSupervisor, kCaseworker, kServiceProvider, kAuditor, kAdmin };
std::string_view RoleName(Role role);                // e.g. "children_director"
Result<Role> ParseRole(std::string_view json_name);  // kInvalidArgument naming the text

// An authenticated worker, as their worker stream says at the moment of the call.
struct Principal {
  std::string worker_id;
  Role role = Role::kAuditor;
  // The scope: a community (12 digits) or township (9 digits) code; may be empty for
  // roles whose scope is not a place (auditor, admin, service provider, caseworker).
  std::string location_code;
  std::string agency;  // the worker's agency; a caseworker's and a provider's scope
  // The recorded-by of what this worker appends: "worker:<id>".
  std::string RecordedBy() const { return "worker:" + worker_id; }
};

// Reads the stream worker-<worker_id>: the last WorkerRegistered or WorkerRoleChanged in
// effect (corrections and EntryVoided in that stream applied, as ResolveCorrections
// does) gives role, location code and agency. kUnauthenticated if the stream holds no
// registration (the token names a worker the ledger does not know); kCorruption naming
// the position if a payload does not decode.
Result<Principal> LoadPrincipal(Ledger& ledger, std::string_view worker_id);

// The rows of DOMAIN.md's roles x operations table.
enum class Operation {
  kRecordCaseWork,   // open a case, record consent, concerns, follow-ups, notes
  kManageCase,       // assess risk, set a case plan, make referrals, plan services, close
  kSuperviseCase,    // approve, assign, reopen, override consent
  kServeReferral,    // accept / reject / complete a referral, record a service delivered
  kRunSpaces,        // register spaces, enrolment, attendance, activities
  kReadCaseHistory,  // read a case's history (personal fields in clear)
  kReadFigures,      // read the projections' figures
  kManageWorkers,    // register workers, issue and revoke tokens
  kErase,            // erase a child's personal data
};
std::string_view OperationName(Operation op);  // the table's wording, e.g. "make referrals"

// The operation appending an event of `type` is. `payload` is the event's stored-form
// payload (capnp, as event_json.h encodes it); it is read only where the row depends on
// it: a ReferralMade or TransferInitiated with consentOverridden is kSuperviseCase
// ("override consent"). kInvalidArgument for a type outside the catalogue;
// kPermissionDenied for the types only the ledger itself writes (CaseHistoryRead,
// LedgerExported). EntryVoided and corrections are the operation of the event they
// withdraw or correct: the caller asks about that event's type.
Result<Operation> OperationOfEvent(std::string_view type, std::string_view payload);

// Where an operation lands.
struct Scope {
  std::string community_code;  // 12 digits: the case's (CaseOpened) or the space's community
  std::string agency;          // the case's agency (CaseOpened, moved by TransferAccepted)
  // The case's open referrals (in_progress or accepted): a service provider's scope.
  std::vector<ReferralState> open_referrals;
  // kServeReferral: the referral the event names (ReferralAccepted/Rejected/Completed);
  // empty for ServiceDelivered, which needs any open referral to the provider.
  std::string referral_id;
  // kReadFigures: the location prefix asked for ("" = everything).
  std::string figure_prefix;
};

// The scope of a case as `state` holds it (community, agency, open referrals).
Scope ScopeOfCase(const CaseState& state);

// OK if `who` may perform `op` on `where`, per DOMAIN.md:
// - children_director: own community (location_code == community_code);
// - supervisor: own township (community_code starts with the 9-digit location_code);
// - caseworker: own agency (agency == the case's agency, both non-empty);
// - service_provider: a case with an open referral to them (to_user == worker id, or
//   to_user empty and to_agency == their agency); for kServeReferral the named referral
//   must be that one;
// - auditor: kReadCaseHistory and kReadFigures everywhere, nothing else;
// - admin: kManageWorkers and kErase, nothing else (no case data).
// kReadFigures without a place (caseworker): the figures have no agency dimension, so a
// caseworker's figures are those under their location code, which must then be set.
// kPermissionDenied otherwise, naming worker, role, operation and the scope missed.
Status Authorize(const Principal& who, Operation op, const Scope& where);

// kReadFigures: the location prefix a query by `who` must use: `asked` if it lies within
// their scope (an empty `asked` becomes their own community or township code; auditors
// keep "" = everything). kPermissionDenied if `asked` lies outside it.
Result<std::string> FigurePrefixFor(const Principal& who, std::string_view asked);

}  // namespace caseledger::server
