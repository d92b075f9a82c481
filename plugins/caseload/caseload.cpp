// caseload: the operational caseload figures of DOMAIN.md (open cases per owner by risk,
// workers by caseload band, overdue and upcoming work, cases awaiting assignment, pending
// approvals, time to close) and the anomalies of the case, approval, follow-up and
// assignment state machines. Every case counts (consent does not apply to operational
// figures). Built against the SDK only.
//
// State (keys joined with 0x1F, which cannot occur in a stream id):
//   "case" 0x1F stream 0x1F position   each event of a case (caseledger/case_history.h)
//   "worker" 0x1F stream 0x1F position   each event of a worker stream (registrations, role
//                                        changes, their corrections and voids)
//
// Queries take, besides the projector's as_of / as_of_position:
//   prefix=DIGITS   only cases (and for caseload_bands, workers) under that location code
//   level=province|prefecture|county|township|community   the `area` of each row
//                   (default province; per-owner figures roll up by the case's community)
//   per=owner|area  open_cases and overdue: rows per area and owner (default) or per area
//   hours=3, high_risk_hours=1   awaiting_assignment's limits
#include <caseledger/case_history.h>
#include <caseledger/case_state.h>
#include <caseledger/location.h>
#include <caseledger/projection.h>
#include <caseledger/time.h>

#include <schema/case_events.capnp.h>

#include <charconv>
#include <string>

#include "figures.h"

namespace caseload {
namespace {

namespace schema = caseledger::schema;
using caseledger::Event;
using caseledger::State;
using caseledger::Table;

std::string RoleName(schema::Role role) {
  switch (role) {
    case schema::Role::CHILDREN_DIRECTOR:
      return "children_director";
    case schema::Role::SUPERVISOR:
      return "supervisor";
    case schema::Role::CASEWORKER:
      return "caseworker";
    case schema::Role::SERVICE_PROVIDER:
      return "service_provider";
    case schema::Role::AUDITOR:
      return "auditor";
    case schema::Role::ADMIN:
      return "admin";
  }
  return "unknown";
}

// The worker a registration or role change describes.
template <typename T>
std::pair<std::string, Worker> WorkerOf(std::string_view payload) {
  caseledger::Payload<T> w(payload);
  return {std::string(w->getWorkerId().cStr()),
          Worker{RoleName(w->getRole()), std::string(w->getLocationCode().cStr())}};
}

double NumberParam(const caseledger::QueryParams& params, std::string_view name, double fallback) {
  const auto value = params.Get(name);
  if (!value) return fallback;
  double n = 0;
  const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
  if (ec != std::errc() || end != value->data() + value->size() || n < 0)
    throw caseledger::PluginError(std::string(name) + ": \"" + std::string(*value) +
                                  "\" is not a number of hours");
  return n;
}

class Caseload : public caseledger::Projection {
 public:
  static constexpr const char* kName = "caseload";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr uint32_t kStateSchema = 1;
  static constexpr const char* kDescription =
      "Caseloads: open cases per owner, caseload bands, overdue work, awaiting assignment, "
      "pending approvals, time to close";
  static constexpr const char* kEventTypes[] = {"CaseOpened",
                                                "ConsentRecorded",
                                                "ProtectionConcernsRecorded",
                                                "RiskAssessed",
                                                "AssessmentRequested",
                                                "AssessmentCompleted",
                                                "CasePlanSet",
                                                "ApprovalRequested",
                                                "ApprovalDecided",
                                                "CaseAssigned",
                                                "ReferralMade",
                                                "ReferralAccepted",
                                                "ReferralRejected",
                                                "ReferralCompleted",
                                                "ReferralRevoked",
                                                "ServicePlanned",
                                                "ServiceDelivered",
                                                "FollowUpScheduled",
                                                "FollowUpCompleted",
                                                "TransferInitiated",
                                                "TransferAccepted",
                                                "TransferRejected",
                                                "TransferRevoked",
                                                "CaregiverSupportProvided",
                                                "NoteAdded",
                                                "CaseClosed",
                                                "CaseReopened",
                                                "EntryVoided",
                                                "WorkerRegistered",
                                                "WorkerRoleChanged",
                                                nullptr};
  static constexpr const char* kQueries[] = {
      "open_cases: per area and owner (per=area: per area), open cases by risk (high, medium, "
      "low, unassessed)",
      "caseload_bands: caseworkers and children's directors by open cases: 0-9, 10-19, 20-29, 30+",
      "overdue: per area and owner (per=area: per area), assessments, case plans, services, "
      "follow-ups overdue and due within 7 days",
      "awaiting_assignment: per area, open cases without owner for more than hours=3 "
      "(high_risk_hours=1)",
      "approvals_pending: per area and kind, approvals requested and not decided",
      "time_to_close: per area, closures by days open: <=30, 31-90, 91-180, 181+",
      "anomalies: events the case, approval, follow-up, assignment and service machines ignored",
      nullptr};

  void Apply(std::span<const Event> events, State& state) override {
    for (const Event& e : events) {
      if (e.stream().starts_with("worker-")) {
        // Registrations, role changes, and their corrections and voids.
        caseledger::RecordCaseEvent(state, "worker", e);
      } else if (e.stream().starts_with("case-")) {
        // Case events, and the corrections and voids inside a case's own stream.
        caseledger::RecordCaseEvent(state, "case", e);
      }
    }
  }

  Table Query(std::string_view name, const caseledger::QueryParams& params, State& state) override {
    params.AllowOnly(
        {"as_of", "as_of_position", "prefix", "level", "per", "hours", "high_risk_hours"});
    const Moment m = caseledger::ParseFigureScope(params, caseledger::LocationLevel::kProvince);

    if (name == "caseload_bands") {
      // The prefix selects workers by their own location; a worker's band counts all their
      // open cases, wherever the cases are.
      Moment everywhere = m;
      everywhere.prefix.clear();
      return CaseloadBands(LoadCases(state, everywhere), LoadWorkers(state), m);
    }
    const std::string per(params.Get("per").value_or("owner"));
    if (per != "owner" && per != "area")
      throw caseledger::PluginError("per: \"" + per + "\" is not owner or area");
    if (name == "open_cases") return OpenCases(LoadCases(state, m), m, per == "owner");
    if (name == "overdue") return Overdue(LoadCases(state, m), m, per == "owner");
    if (name == "awaiting_assignment")
      return AwaitingAssignment(LoadCases(state, m), m, NumberParam(params, "hours", 3),
                                NumberParam(params, "high_risk_hours", 1));
    if (name == "approvals_pending") return ApprovalsPending(LoadCases(state, m), m);
    if (name == "time_to_close") return TimeToClose(LoadCases(state, m), m);
    if (name == "anomalies") return Anomalies(LoadCases(state, m), m);
    throw caseledger::PluginError("unknown query \"" + std::string(name) +
                                  "\" (see `caseledger plugins DIR list`)");
  }

 private:
  // Every case under the prefix, reduced (cases never opened count only for anomalies).
  static std::vector<Case> LoadCases(const State& state, const Moment& m) {
    std::vector<Case> cases;
    caseledger::ForEachCaseHistory(state, "case", [&](std::string_view stream, const auto& events) {
      caseledger::CaseState reduced = caseledger::ReduceCaseHistory(events);
      if (reduced.community_code.starts_with(m.prefix) || (!reduced.opened && m.prefix.empty()))
        cases.push_back({std::string(stream), std::move(reduced)});
    });
    return cases;
  }

  // Every worker as registered, after corrections and voids of their stream's events.
  static std::map<std::string, Worker> LoadWorkers(const State& state) {
    std::map<std::string, Worker> workers;
    caseledger::ForEachCaseHistory(state, "worker", [&](std::string_view, const auto& events) {
      const std::vector<caseledger::CaseEventInput> inputs = caseledger::AsReducerInputs(events);
      std::vector<const caseledger::CaseEventInput*> all;
      for (const auto& in : inputs) all.push_back(&in);
      std::vector<caseledger::CorrectionProblem> ignored;  // not a caseload state machine
      auto effective = caseledger::ResolveCorrections(all, {}, ignored);
      if (!effective.ok()) throw caseledger::PluginError(effective.status().ToString());
      for (const caseledger::EffectiveEvent& e : *effective) {
        if (e.data->type == "WorkerRegistered") {
          auto [id, worker] = WorkerOf<schema::WorkerRegistered>(e.data->payload);
          workers.insert_or_assign(id, worker);
        } else if (e.data->type == "WorkerRoleChanged") {
          auto [id, worker] = WorkerOf<schema::WorkerRoleChanged>(e.data->payload);
          workers.insert_or_assign(id, worker);
        }
      }
    });
    return workers;
  }
};

}  // namespace
}  // namespace caseload

CASELEDGER_REGISTER_PROJECTION(caseload::Caseload)
