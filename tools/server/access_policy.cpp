// DOMAIN.md's roles x operations table, decided in one place. Every check fails closed: an
// empty code or agency never matches another empty one, and a place code must have the
// length of its level (12 digits for a community, 9 for a township).
#include "access_policy.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/array.h>
#include <kj/exception.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <utility>

#include "caseledger/case_events.h"
#include "caseledger/payload_message.h"
#include "schema/case_events.capnp.h"

namespace caseledger::server {
namespace {

constexpr size_t kCommunityDigits = 12;
constexpr size_t kTownshipDigits = 9;

struct RoleNames {
  Role role;
  std::string_view name;
};
constexpr std::array<RoleNames, 6> kRoleNames = {{
    {Role::kChildrenDirector, "children_director"},
    {Role::kSupervisor, "supervisor"},
    {Role::kCaseworker, "caseworker"},
    {Role::kServiceProvider, "service_provider"},
    {Role::kAuditor, "auditor"},
    {Role::kAdmin, "admin"},
}};

// The capnp Role enum, in the schema's order (case_events.capnp), as ours.
std::optional<Role> FromSchemaRole(schema::Role role) {
  switch (role) {
    case schema::Role::CHILDREN_DIRECTOR:
      return Role::kChildrenDirector;
    case schema::Role::SUPERVISOR:
      return Role::kSupervisor;
    case schema::Role::CASEWORKER:
      return Role::kCaseworker;
    case schema::Role::SERVICE_PROVIDER:
      return Role::kServiceProvider;
    case schema::Role::AUDITOR:
      return Role::kAuditor;
    case schema::Role::ADMIN:
      return Role::kAdmin;
  }
  return std::nullopt;  // a value a newer schema added: no rights rather than a guess
}

std::string At(Position p) { return "position " + std::to_string(p); }
std::string Str(capnp::Text::Reader s) { return std::string(s.begin(), s.end()); }

// What a WorkerRegistered or WorkerRoleChanged says (the two structs have the same fields).
struct WorkerRecord {
  std::string worker_id;
  std::optional<Role> role;
  std::string location_code;
  std::string agency;
};

template <typename T>
Result<WorkerRecord> DecodeWorker(const CaseEventInput& e) {
  WorkerRecord record;
  Status decoded = DecodePayload<T>(e.payload, [&](typename T::Reader r) {
    record.worker_id = Str(r.getWorkerId());
    record.role = FromSchemaRole(r.getRole());
    record.location_code = Str(r.getLocationCode());
    record.agency = Str(r.getAgency());
  });
  if (!decoded.ok())
    return Status::Corruption(At(e.position) + ": the payload is not a " + std::string(e.type) +
                              ": " + decoded.message());
  return record;
}

bool IsCode(std::string_view code, size_t digits) {
  return code.size() == digits &&
         std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "worker w-17 (children_director of 130111200201)": who asked, as the refusal names them.
std::string Who(const Principal& who) {
  std::string text = "worker " + who.worker_id + " (" + std::string(RoleName(who.role));
  switch (who.role) {
    case Role::kChildrenDirector:
    case Role::kSupervisor:
      text += who.location_code.empty() ? " with no location code" : " of " + who.location_code;
      break;
    case Role::kCaseworker:
    case Role::kServiceProvider:
      text += who.agency.empty() ? " with no agency" : " of agency " + who.agency;
      break;
    case Role::kAuditor:
    case Role::kAdmin:
      break;
  }
  return text + ")";
}

// The table's cells: how far a role's right to an operation reaches.
enum class Reach {
  kNone,            // "-"
  kOwnCommunity,    // children_director
  kOwnTownship,     // supervisor
  kOwnAgency,       // caseworker (figures: under their location code)
  kReferredToThem,  // service_provider, while the referral is open
  kEverywhere,      // auditor: read everything; admin: their two rows
};

Reach ReachOf(Role role, Operation op) {
  using enum Operation;
  switch (role) {
    case Role::kChildrenDirector:
      return op == kRecordCaseWork || op == kRunSpaces || op == kReadCaseHistory ||
                     op == kReadFigures
                 ? Reach::kOwnCommunity
                 : Reach::kNone;
    case Role::kSupervisor:
      return op == kRecordCaseWork || op == kManageCase || op == kSuperviseCase ||
                     op == kRunSpaces || op == kReadCaseHistory || op == kReadFigures
                 ? Reach::kOwnTownship
                 : Reach::kNone;
    case Role::kCaseworker:
      return op == kRecordCaseWork || op == kManageCase || op == kReadCaseHistory ||
                     op == kReadFigures
                 ? Reach::kOwnAgency
                 : Reach::kNone;
    case Role::kServiceProvider:
      return op == kServeReferral || op == kReadCaseHistory ? Reach::kReferredToThem : Reach::kNone;
    case Role::kAuditor:
      return op == kReadCaseHistory || op == kReadFigures ? Reach::kEverywhere : Reach::kNone;
    case Role::kAdmin:
      return op == kManageWorkers || op == kErase ? Reach::kEverywhere : Reach::kNone;
  }
  return Reach::kNone;
}

// A referral to `who`: by name, or to their agency when it names no user.
bool IsTo(const ReferralState& r, const Principal& who) {
  if (!r.to_user.empty()) return r.to_user == who.worker_id;
  return !who.agency.empty() && r.to_agency == who.agency;
}

bool IsOpen(const ReferralState& r) { return r.state == "in_progress" || r.state == "accepted"; }

// The figures' prefix a place-bound principal may ask for lies within their own code.
bool PrefixWithin(const std::string& asked, const std::string& own) {
  return !own.empty() && asked.starts_with(own);
}

std::string FiguresScope(const std::string& prefix) {
  return prefix.empty() ? " of every location" : " under " + prefix;
}

// The scope of `where` a refusal names, for an operation the role has somewhere.
std::string Missed(Reach reach, Operation op, const Scope& where) {
  if (op == Operation::kReadFigures) return FiguresScope(where.figure_prefix);
  switch (reach) {
    case Reach::kOwnCommunity:
    case Reach::kOwnTownship:
      return where.community_code.empty() ? " with no community code"
                                          : " of community " + where.community_code;
    case Reach::kOwnAgency:
      return where.agency.empty() ? " with no agency" : " of agency " + where.agency;
    case Reach::kReferredToThem:
      return where.referral_id.empty() || op != Operation::kServeReferral
                 ? " without a referral open to them"
                 : " for referral " + where.referral_id + ", which is not open to them";
    case Reach::kNone:
    case Reach::kEverywhere:
      break;
  }
  return "";
}

bool Allowed(Reach reach, const Principal& who, Operation op, const Scope& where) {
  if (op == Operation::kReadFigures) {
    switch (reach) {
      case Reach::kOwnCommunity:
        return IsCode(who.location_code, kCommunityDigits) &&
               PrefixWithin(where.figure_prefix, who.location_code);
      case Reach::kOwnTownship:
        return IsCode(who.location_code, kTownshipDigits) &&
               PrefixWithin(where.figure_prefix, who.location_code);
      case Reach::kOwnAgency:  // no agency dimension: under their location code
        return PrefixWithin(where.figure_prefix, who.location_code);
      case Reach::kEverywhere:
        return true;
      case Reach::kNone:
      case Reach::kReferredToThem:
        return false;
    }
    return false;
  }
  switch (reach) {
    case Reach::kNone:
      return false;
    case Reach::kOwnCommunity:
      return IsCode(who.location_code, kCommunityDigits) &&
             where.community_code == who.location_code;
    case Reach::kOwnTownship:
      return IsCode(who.location_code, kTownshipDigits) &&
             IsCode(where.community_code, kCommunityDigits) &&
             where.community_code.starts_with(who.location_code);
    case Reach::kOwnAgency:
      return !who.agency.empty() && where.agency == who.agency;
    case Reach::kReferredToThem:
      return std::any_of(where.open_referrals.begin(), where.open_referrals.end(),
                         [&](const ReferralState& r) {
                           if (!IsOpen(r) || !IsTo(r, who)) return false;
                           return op != Operation::kServeReferral || where.referral_id.empty() ||
                                  r.referral_id == where.referral_id;
                         });
    case Reach::kEverywhere:
      return true;
  }
  return false;
}

// The operations of the catalogue's types whose row does not depend on the payload.
struct TypeOperation {
  std::string_view type;
  Operation op;
};
constexpr TypeOperation kTypeOperations[] = {
    {"CaseOpened", Operation::kRecordCaseWork},
    {"ConsentRecorded", Operation::kRecordCaseWork},
    {"ProtectionConcernsRecorded", Operation::kRecordCaseWork},
    {"FollowUpScheduled", Operation::kRecordCaseWork},
    {"FollowUpCompleted", Operation::kRecordCaseWork},
    {"NoteAdded", Operation::kRecordCaseWork},
    {"CaregiverSupportProvided", Operation::kRecordCaseWork},
    {"RiskAssessed", Operation::kManageCase},
    {"AssessmentRequested", Operation::kManageCase},
    {"AssessmentCompleted", Operation::kManageCase},
    {"CasePlanSet", Operation::kManageCase},
    {"ApprovalRequested", Operation::kManageCase},
    {"ReferralRevoked", Operation::kManageCase},
    {"ServicePlanned", Operation::kManageCase},
    {"CaseClosed", Operation::kManageCase},
    {"TransferRevoked", Operation::kManageCase},
    {"ApprovalDecided", Operation::kSuperviseCase},
    {"CaseAssigned", Operation::kSuperviseCase},
    {"CaseReopened", Operation::kSuperviseCase},
    {"TransferAccepted", Operation::kSuperviseCase},
    {"TransferRejected", Operation::kSuperviseCase},
    {"ReferralAccepted", Operation::kServeReferral},
    {"ReferralRejected", Operation::kServeReferral},
    {"ReferralCompleted", Operation::kServeReferral},
    {"ServiceDelivered", Operation::kServeReferral},
    {"CommunityRegistered", Operation::kRunSpaces},
    {"SpaceOpened", Operation::kRunSpaces},
    {"SpaceClosed", Operation::kRunSpaces},
    {"ChildEnrolled", Operation::kRunSpaces},
    {"AttendanceRecorded", Operation::kRunSpaces},
    {"ActivityHeld", Operation::kRunSpaces},
    {"WorkerRegistered", Operation::kManageWorkers},
    {"WorkerRoleChanged", Operation::kManageWorkers},
    {"ErasureRequested", Operation::kErase},
    {"ErasureCompleted", Operation::kErase},
};

// ReferralMade and TransferInitiated: making one is managing the case; making one over
// missing consent is a supervisor's override (DOMAIN.md "Data protection").
template <typename T>
Result<Operation> SharingOperation(std::string_view type, std::string_view payload) {
  bool overridden = false;
  Status decoded = DecodePayload<T>(
      payload, [&](typename T::Reader r) { overridden = r.getConsentOverridden(); });
  if (!decoded.ok())
    return Status::InvalidArgument("the payload is not a " + std::string(type) + ": " +
                                   decoded.message());
  return overridden ? Operation::kSuperviseCase : Operation::kManageCase;
}

}  // namespace

std::string_view RoleName(Role role) {
  for (const RoleNames& r : kRoleNames)
    if (r.role == role) return r.name;
  return "unknown";
}

Result<Role> ParseRole(std::string_view json_name) {
  for (const RoleNames& r : kRoleNames)
    if (r.name == json_name) return r.role;
  return Status::InvalidArgument("\"" + std::string(json_name) +
                                 "\" is not a role (children_director, supervisor, caseworker, "
                                 "service_provider, auditor, admin)");
}

Result<Principal> LoadPrincipal(Ledger& ledger, std::string_view worker_id) {
  const std::string stream = "worker-" + std::string(worker_id);
  const Status unknown = Status::Unauthenticated("worker " + std::string(worker_id) +
                                                 " has no registration in the ledger");
  if (worker_id.empty() || !ValidateStreamId(stream).ok()) return unknown;

  CASELEDGER_ASSIGN_OR_RETURN(auto stored, ReadWholeStream(ledger, stream));
  std::vector<CaseEventInput> inputs;
  inputs.reserve(stored.size());
  for (const RecordedEvent& r : stored) {
    const ProposedEvent& e = r.event;
    inputs.push_back(CaseEventInput{r.position, r.recorded_at, e.occurred_at, e.type, e.actor.user,
                                    e.corrects, e.payload});
  }
  std::vector<const CaseEventInput*> known;
  for (const CaseEventInput& in : inputs) known.push_back(&in);
  std::vector<CorrectionProblem> ignored;  // a correction that counts nowhere grants nothing
  CASELEDGER_ASSIGN_OR_RETURN(auto effective, ResolveCorrections(known, {}, ignored));

  // The last registration or role change in effect decides. One that names another worker
  // is ignored, as the caseload figures (keyed by the payload's workerId) ignore it here.
  bool registered = false;
  std::optional<WorkerRecord> last;
  for (const EffectiveEvent& e : effective) {
    const bool registration = e.data->type == "WorkerRegistered";
    if (!registration && e.data->type != "WorkerRoleChanged") continue;
    Result<WorkerRecord> record = registration ? DecodeWorker<schema::WorkerRegistered>(*e.data)
                                               : DecodeWorker<schema::WorkerRoleChanged>(*e.data);
    if (!record.ok()) return record.status();
    if (record->worker_id != worker_id) continue;
    registered = registered || registration;
    last = std::move(*record);
  }
  if (!registered || !last) return unknown;
  if (!last->role)
    return Status::PermissionDenied("worker " + std::string(worker_id) +
                                    " has a role this server does not know");
  Principal who;
  who.worker_id = std::string(worker_id);
  who.role = *last->role;
  who.location_code = std::move(last->location_code);
  who.agency = std::move(last->agency);
  return who;
}

std::string_view OperationName(Operation op) {
  switch (op) {
    case Operation::kRecordCaseWork:
      return "open a case, record consent, concerns, follow-ups, notes";
    case Operation::kManageCase:
      return "assess risk, set a case plan, make referrals, plan services, close";
    case Operation::kSuperviseCase:
      return "approve, assign, reopen, override consent";
    case Operation::kServeReferral:
      return "accept / reject / complete a referral, record a service delivered";
    case Operation::kRunSpaces:
      return "register spaces, enrolment, attendance, activities";
    case Operation::kReadCaseHistory:
      return "read a case's history";
    case Operation::kReadFigures:
      return "read the projections' figures";
    case Operation::kManageWorkers:
      return "register workers, issue and revoke tokens";
    case Operation::kErase:
      return "erase a child's personal data";
  }
  return "an unknown operation";
}

Result<Operation> OperationOfEvent(std::string_view type, std::string_view payload) {
  if (FindEventType(type) == nullptr)
    return Status::InvalidArgument("\"" + std::string(type) +
                                   "\" is not a type of the event catalogue");
  if (type == "ReferralMade") return SharingOperation<schema::ReferralMade>(type, payload);
  if (type == "TransferInitiated")
    return SharingOperation<schema::TransferInitiated>(type, payload);
  if (type == "CaseHistoryRead" || type == "LedgerExported")
    return Status::PermissionDenied(std::string(type) +
                                    " is written by the ledger itself, never by a client");
  if (type == "EntryVoided")
    return Status::InvalidArgument(
        "an EntryVoided is the operation of the event it withdraws: ask about that event's type");
  for (const TypeOperation& t : kTypeOperations)
    if (t.type == type) return t.op;
  // A type added to the catalogue after this table: refused until someone decides its row.
  return Status::InvalidArgument("no operation is defined for " + std::string(type));
}

Scope ScopeOfCase(const CaseState& state) {
  Scope scope;
  scope.community_code = state.community_code;
  scope.agency = state.agency;
  for (const ReferralState* r : OpenReferrals(state)) scope.open_referrals.push_back(*r);
  return scope;
}

Status Authorize(const Principal& who, Operation op, const Scope& where) {
  const Reach reach = ReachOf(who.role, op);
  if (Allowed(reach, who, op, where)) return Status::Ok();
  std::string message = Who(who) + " may not " + std::string(OperationName(op));
  // Where the role has no right to the operation at all, the scope is beside the point.
  if (reach != Reach::kNone) message += Missed(reach, op, where);
  return Status::PermissionDenied(std::move(message));
}

Result<std::string> FigurePrefixFor(const Principal& who, std::string_view asked) {
  Scope where;
  where.figure_prefix =
      asked.empty() && who.role != Role::kAuditor ? who.location_code : std::string(asked);
  CASELEDGER_RETURN_IF_ERROR(Authorize(who, Operation::kReadFigures, where));
  return where.figure_prefix;
}

}  // namespace caseledger::server
