// coverage: DOMAIN.md's Coverage figures (children's places per community against the 90%
// target, enrolment and regular attendance, services offered, vulnerable children per
// 1,000) and the anomalies of the spaces, enrolment and attendance state machines.
//
// A built-in plugin, built against the SDK only. All it knows is in its State
// (coverage_state.h); corrections and EntryVoided re-derive every figure the event they
// name fed. The projector replays into scratch state for as-of queries, so `as_of` is
// read only for the 30-day window of regular attendance.
#include <caseledger/projection.h>

#include <string>

#include "coverage_queries.h"
#include "coverage_state.h"

namespace {

class Coverage : public caseledger::Projection {
 public:
  static constexpr const char* kName = "coverage";
  static constexpr const char* kVersion = "1.1.0";
  static constexpr uint32_t kStateSchema = 2;  // 2: incremental space folds, presences by day
  static constexpr const char* kDescription =
      "Children's places per community against the 90% target, enrolment, services, "
      "vulnerable children per 1,000";
  static constexpr const char* kEventTypes[] = {
      "CommunityRegistered", "SpaceOpened",        "SpaceClosed",
      "ChildEnrolled",       "AttendanceRecorded", "CaseOpened",
      "ConsentRecorded",     "EntryVoided",        nullptr};
  static constexpr const char* kQueries[] = {
      "communities: registered and covered communities per area, share, meets_target (>= 0.90)",
      "enrolment: enrolled and regularly attending children per area, left_behind, sex, age band",
      "services_offered: share of open spaces offering each service, per area",
      "vulnerable_per_1000: vulnerable cases per 1,000 registered children (consent to "
      "reporting applies), per area",
      "anomalies: events that broke the spaces, enrolment or attendance state machines",
      nullptr};

  void Apply(std::span<const caseledger::Event> events, caseledger::State& state) override {
    coverage::ApplyBatch(events, state);
  }

  caseledger::Table Query(std::string_view name, const caseledger::QueryParams& params,
                          caseledger::State& state) override {
    if (name == "communities") return coverage::Communities(params, state);
    if (name == "enrolment") return coverage::Enrolment(params, state);
    if (name == "services_offered") return coverage::ServicesOffered(params, state);
    if (name == "vulnerable_per_1000") return coverage::VulnerablePer1000(params, state);
    if (name == "anomalies") return coverage::Anomalies(params, state);
    throw caseledger::PluginError("unknown query \"" + std::string(name) +
                                  "\" (coverage answers communities, enrolment, services_offered, "
                                  "vulnerable_per_1000 and anomalies)");
  }
};

}  // namespace

CASELEDGER_REGISTER_PROJECTION(Coverage)
