// referrals: the referral figures of DOMAIN.md, reported outward (only cases whose latest
// consent allows reporting; `summary` shows how many were left out): referrals by state
// per service type or receiving agency, pending per recipient, response and completion
// times (p50, p90), success rate by sex, referrals per case, consent overrides, and the
// share of vulnerable children referred within 7 days; and the anomalies of the referral
// and transfer state machines. Built against the SDK only.
//
// State: "case" 0x1F stream 0x1F position -> each event of a case (caseledger/case_history.h).
// Queries take, besides the projector's as_of / as_of_position, prefix=DIGITS and
// level=province|prefecture|county|township|community (default province); by_state takes
// by=service_type|to_agency.
#include <caseledger/case_history.h>
#include <caseledger/figure_scope.h>
#include <caseledger/projection.h>

#include <string>

#include "figures.h"

namespace referrals {
namespace {

using caseledger::Event;
using caseledger::State;
using caseledger::Table;

class Referrals : public caseledger::Projection {
 public:
  static constexpr const char* kName = "referrals";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr uint32_t kStateSchema = 1;
  static constexpr const char* kDescription =
      "Referrals: by state, pending, response and completion times, success rate, per case, "
      "consent overrides, referred within 7 days";
  // Everything that moves a case's consent, sex, community, referrals or transfers, and
  // the corrections and voids inside a case stream.
  static constexpr const char* kEventTypes[] = {
      "CaseOpened",       "ConsentRecorded",   "ReferralMade",
      "ReferralAccepted", "ReferralRejected",  "ReferralCompleted",
      "ReferralRevoked",  "TransferInitiated", "TransferAccepted",
      "TransferRejected", "TransferRevoked",   "CaseClosed",
      "CaseReopened",     "EntryVoided",       nullptr};
  static constexpr const char* kQueries[] = {
      "by_state: referrals per area, state and by=service_type (default) or to_agency",
      "pending: referrals in progress per area, receiving agency and recipient",
      "times: response and completion times in hours per area: count, p50, p90",
      "success_rate: completed / (made - revoked) per area, overall and by sex",
      "summary: per area, cases opened, referrals made, per case, consent overridden, "
      "cases excluded for want of consent to reporting",
      "referred_within_7d: vulnerable cases opened 7+ days ago referred within 7 days, per area",
      "anomalies: events the referral and transfer machines ignored",
      nullptr};

  void Apply(std::span<const Event> events, State& state) override {
    for (const Event& e : events) {
      if (!e.stream().starts_with("case-")) continue;  // referrals live in case streams
      caseledger::RecordCaseEvent(state, "case", e);
    }
  }

  Table Query(std::string_view name, const caseledger::QueryParams& params, State& state) override {
    params.AllowOnly({"as_of", "as_of_position", "prefix", "level", "by"});
    const auto scope = caseledger::ParseFigureScope(params, caseledger::LocationLevel::kProvince);
    const std::string by(params.Get("by").value_or("service_type"));
    if (by != "service_type" && by != "to_agency")
      throw caseledger::PluginError("by: \"" + by + "\" is not service_type or to_agency");

    std::vector<Case> reportable, excluded, all;
    caseledger::ForEachCaseHistory(state, "case", [&](std::string_view stream, const auto& events) {
      Case c{std::string(stream), caseledger::ReduceCaseHistory(events)};
      if (!c.state.community_code.starts_with(scope.prefix)) return;
      if (name == "anomalies") {
        all.push_back(std::move(c));
      } else if (c.state.opened) {
        (Reportable(c.state) ? reportable : excluded).push_back(std::move(c));
      }
    });

    if (name == "by_state") return ByState(reportable, scope, by);
    if (name == "pending") return Pending(reportable, scope);
    if (name == "times") return Times(reportable, scope);
    if (name == "success_rate") return SuccessRate(reportable, scope);
    if (name == "summary") return Summary(reportable, excluded, scope);
    if (name == "referred_within_7d") return ReferredWithin7Days(reportable, scope);
    if (name == "anomalies") return Anomalies(all);
    throw caseledger::PluginError("unknown query \"" + std::string(name) +
                                  "\" (see `caseledger plugins DIR list`)");
  }
};

}  // namespace
}  // namespace referrals

CASELEDGER_REGISTER_PROJECTION(referrals::Referrals)
