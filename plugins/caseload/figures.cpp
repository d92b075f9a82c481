#include "figures.h"

#include <caseledger/anomaly_table.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <tuple>

namespace caseload {
namespace {

using caseledger::Table;
using caseledger::Timestamp;
using Type = caseledger::Table::Type;

std::string Area(const Case& c, const Moment& m) {
  return std::string(caseledger::AreaOf(c.state.community_code, m.level));
}
bool IsOpen(const Case& c) { return c.state.status == "open"; }

constexpr auto kWeek = std::chrono::hours(24 * 7);

// Overdue (due < T) and upcoming (T < due <= T + 7 days) counts of one kind of work.
struct DueCounts {
  int64_t overdue = 0, upcoming = 0;
  void Add(Timestamp due, Timestamp t) {
    if (due < t)
      ++overdue;
    else if (due > t && due <= t + kWeek)
      ++upcoming;
  }
};

}  // namespace

Table OpenCases(const std::vector<Case>& cases, const Moment& m, bool per_owner) {
  // risk order: high, medium, low, unassessed
  std::map<std::pair<std::string, std::string>, std::array<int64_t, 4>> rows;
  for (const Case& c : cases) {
    if (!IsOpen(c)) continue;
    auto& row = rows[{Area(c, m), per_owner ? c.state.owner : ""}];
    const std::string& r = c.state.risk;
    ++row[r == "high" ? 0 : r == "medium" ? 1 : r == "low" ? 2 : 3];
  }
  Table t;
  t.Column("area", Type::kText);
  if (per_owner) t.Column("owner", Type::kText);
  t.Column("open", Type::kInt).Column("high", Type::kInt).Column("medium", Type::kInt);
  t.Column("low", Type::kInt).Column("unassessed", Type::kInt);
  for (const auto& [key, n] : rows) {
    std::vector<Table::Cell> row;
    row.emplace_back(std::string(key.first));
    if (per_owner) row.emplace_back(std::string(key.second));
    for (int64_t v : {n[0] + n[1] + n[2] + n[3], n[0], n[1], n[2], n[3]}) row.emplace_back(v);
    t.Row(std::move(row));
  }
  return t;
}

Table CaseloadBands(const std::vector<Case>& cases, const std::map<std::string, Worker>& workers,
                    const Moment& m) {
  std::map<std::string, int64_t> open_per_owner;
  for (const Case& c : cases)
    if (IsOpen(c) && !c.state.owner.empty()) ++open_per_owner[c.state.owner];
  static constexpr const char* kBands[] = {"0-9", "10-19", "20-29", "30+"};
  std::map<std::string, std::array<int64_t, 4>> rows;  // area -> workers per band
  for (const auto& [id, w] : workers) {
    if (w.role != "caseworker" && w.role != "children_director") continue;
    if (!w.location_code.starts_with(m.prefix)) continue;
    const auto it = open_per_owner.find(id);
    const int64_t open = it == open_per_owner.end() ? 0 : it->second;
    rows[std::string(caseledger::AreaOf(w.location_code, m.level))]
        [std::min<int64_t>(open / 10, 3)]++;
  }
  Table t;
  t.Column("area", Type::kText).Column("band", Type::kText).Column("workers", Type::kInt);
  for (const auto& [area, n] : rows)
    for (size_t b = 0; b < 4; ++b) t.Row({area, std::string(kBands[b]), n[b]});
  return t;
}

Table Overdue(const std::vector<Case>& cases, const Moment& m, bool per_owner) {
  struct Work {
    DueCounts assessments, case_plans, services, follow_ups;
  };
  std::map<std::pair<std::string, std::string>, Work> rows;
  const Timestamp t = m.as_of;
  for (const Case& c : cases) {
    if (!IsOpen(c)) continue;
    Work& w = rows[{Area(c, m), per_owner ? c.state.owner : ""}];
    for (const auto& a : c.state.assessments)
      if (!a.completed) w.assessments.Add(a.due, t);
    for (const auto& p : c.state.case_plans)
      if (!p.approved) w.case_plans.Add(p.due, t);
    for (const auto& s : c.state.services)
      if (!s.delivered && s.due != Timestamp{}) w.services.Add(s.due, t);
    for (const auto& f : c.state.follow_ups)
      if (!f.completed) w.follow_ups.Add(f.needed_by, t);
  }
  Table table;
  table.Column("area", Type::kText);
  if (per_owner) table.Column("owner", Type::kText);
  for (const char* kind : {"assessments", "case_plans", "services", "follow_ups"})
    table.Column(std::string("overdue_") + kind, Type::kInt);
  for (const char* kind : {"assessments", "case_plans", "services", "follow_ups"})
    table.Column(std::string("upcoming_") + kind, Type::kInt);
  for (const auto& [key, w] : rows) {
    const int64_t any = w.assessments.overdue + w.case_plans.overdue + w.services.overdue +
                        w.follow_ups.overdue + w.assessments.upcoming + w.case_plans.upcoming +
                        w.services.upcoming + w.follow_ups.upcoming;
    if (any == 0) continue;  // rows with nothing due are not listed
    std::vector<Table::Cell> row;
    row.emplace_back(std::string(key.first));
    if (per_owner) row.emplace_back(std::string(key.second));
    for (int64_t v : {w.assessments.overdue, w.case_plans.overdue, w.services.overdue,
                      w.follow_ups.overdue, w.assessments.upcoming, w.case_plans.upcoming,
                      w.services.upcoming, w.follow_ups.upcoming})
      row.emplace_back(v);
    table.Row(std::move(row));
  }
  return table;
}

Table AwaitingAssignment(const std::vector<Case>& cases, const Moment& m, double hours,
                         double high_risk_hours) {
  std::map<std::string, int64_t> rows;
  for (const Case& c : cases) {
    if (!IsOpen(c) || !c.state.owner.empty()) continue;
    const double limit = c.state.risk == "high" ? high_risk_hours : hours;
    const auto waited =
        std::chrono::duration<double, std::ratio<3600>>(m.as_of - c.state.owner_since);
    if (waited.count() > limit) ++rows[Area(c, m)];
  }
  Table t;
  t.Column("area", Type::kText).Column("awaiting", Type::kInt);
  for (const auto& [area, n] : rows) t.Row({area, n});
  return t;
}

Table ApprovalsPending(const std::vector<Case>& cases, const Moment& m) {
  std::map<std::pair<std::string, std::string>, int64_t> rows;
  for (const Case& c : cases)
    if (IsOpen(c))
      for (const std::string& kind : c.state.pending_approvals) ++rows[{Area(c, m), kind}];
  Table t;
  t.Column("area", Type::kText).Column("kind", Type::kText).Column("pending", Type::kInt);
  for (const auto& [key, n] : rows) t.Row({key.first, key.second, n});
  return t;
}

Table TimeToClose(const std::vector<Case>& cases, const Moment& m) {
  static constexpr const char* kBins[] = {"<=30", "31-90", "91-180", "181+"};
  std::map<std::string, std::array<int64_t, 4>> rows;
  for (const Case& c : cases) {
    for (const auto& closure : c.state.closures) {
      const double d = closure.days_open;
      rows[Area(c, m)][d <= 30 ? 0 : d <= 90 ? 1 : d <= 180 ? 2 : 3]++;
    }
  }
  Table t;
  t.Column("area", Type::kText).Column("days_open", Type::kText).Column("closures", Type::kInt);
  for (const auto& [area, n] : rows)
    for (size_t b = 0; b < 4; ++b) t.Row({area, std::string(kBins[b]), n[b]});
  return t;
}

Table Anomalies(const std::vector<Case>& cases, const Moment& m) {
  caseledger::AnomalyTable anomalies;
  for (const Case& c : cases)
    for (const auto& a : c.state.anomalies)
      if (!a.rule.starts_with("referral:") && !a.rule.starts_with("transfer:"))
        anomalies.Add(a.position, c.stream, a.rule);
  return anomalies.ToTable();
}

}  // namespace caseload
