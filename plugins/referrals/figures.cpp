#include "figures.h"

#include <caseledger/anomaly_table.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <tuple>

namespace referrals {
namespace {

using caseledger::FigureScope;
using caseledger::Table;
using caseledger::Timestamp;
using Type = caseledger::Table::Type;

std::string Area(const Case& c, const FigureScope& scope) {
  return std::string(caseledger::AreaOf(c.state.community_code, scope.level));
}

double Hours(Timestamp from, Timestamp to) {
  return std::chrono::duration<double, std::ratio<3600>>(to - from).count();
}

// Nearest rank: the value at rank ceil(p * n) of the sorted values; null without values.
Table::Cell Percentile(std::vector<double> values, double p) {
  if (values.empty()) return std::monostate{};
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

Table::Cell Ratio(int64_t numerator, int64_t denominator) {
  if (denominator <= 0) return std::monostate{};
  return static_cast<double>(numerator) / static_cast<double>(denominator);
}

}  // namespace

bool Reportable(const caseledger::CaseState& state) {
  return state.consent && state.consent->for_reporting;
}

Table ByState(const std::vector<Case>& cases, const FigureScope& scope, const std::string& by) {
  std::map<std::tuple<std::string, std::string, std::string>, int64_t> rows;
  for (const Case& c : cases)
    for (const auto& r : c.state.referrals)
      ++rows[{Area(c, scope), r.state, by == "to_agency" ? r.to_agency : r.service_type}];
  Table t;
  t.Column("area", Type::kText).Column("state", Type::kText).Column(by, Type::kText);
  t.Column("referrals", Type::kInt);
  for (const auto& [key, n] : rows)
    t.Row({std::get<0>(key), std::get<1>(key), std::get<2>(key), n});
  return t;
}

Table Pending(const std::vector<Case>& cases, const FigureScope& scope) {
  std::map<std::tuple<std::string, std::string, std::string>, int64_t> rows;
  for (const Case& c : cases)
    for (const auto& r : c.state.referrals)
      if (r.state == "in_progress") ++rows[{Area(c, scope), r.to_agency, r.to_user}];
  Table t;
  t.Column("area", Type::kText).Column("to_agency", Type::kText).Column("to_user", Type::kText);
  t.Column("pending", Type::kInt);
  for (const auto& [key, n] : rows)
    t.Row({std::get<0>(key), std::get<1>(key), std::get<2>(key), n});
  return t;
}

Table Times(const std::vector<Case>& cases, const FigureScope& scope) {
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> areas;
  for (const Case& c : cases) {
    auto& [response, completion] = areas[Area(c, scope)];
    for (const auto& r : c.state.referrals) {
      if (r.responded_at != Timestamp{}) response.push_back(Hours(r.made_at, r.responded_at));
      if (r.state == "completed") completion.push_back(Hours(r.made_at, r.completed_at));
    }
  }
  Table t;
  t.Column("area", Type::kText).Column("measure", Type::kText).Column("referrals", Type::kInt);
  t.Column("p50_hours", Type::kReal).Column("p90_hours", Type::kReal);
  for (const auto& [area, times] : areas) {
    for (const auto& [measure, values] :
         {std::pair<const char*, const std::vector<double>*>{"response", &times.first},
          {"completion", &times.second}})
      t.Row({area, std::string(measure), static_cast<int64_t>(values->size()),
             Percentile(*values, 0.5), Percentile(*values, 0.9)});
  }
  return t;
}

Table SuccessRate(const std::vector<Case>& cases, const FigureScope& scope) {
  struct Counts {
    int64_t made = 0, revoked = 0, completed = 0;
  };
  std::map<std::pair<std::string, std::string>, Counts> rows;  // (area, sex)
  for (const Case& c : cases) {
    for (const std::string& sex : {std::string("all"), c.state.sex}) {
      Counts& n = rows[{Area(c, scope), sex}];
      for (const auto& r : c.state.referrals) {
        ++n.made;
        if (r.state == "revoked") ++n.revoked;
        if (r.state == "completed") ++n.completed;
      }
    }
  }
  Table t;
  t.Column("area", Type::kText).Column("sex", Type::kText).Column("made", Type::kInt);
  t.Column("revoked", Type::kInt).Column("completed", Type::kInt);
  t.Column("success_rate", Type::kReal);
  for (const auto& [key, n] : rows)
    t.Row({key.first, key.second, n.made, n.revoked, n.completed,
           Ratio(n.completed, n.made - n.revoked)});
  return t;
}

Table Summary(const std::vector<Case>& cases, const std::vector<Case>& excluded,
              const FigureScope& scope) {
  struct Counts {
    int64_t cases = 0, made = 0, overridden = 0, excluded = 0;
  };
  std::map<std::string, Counts> rows;
  for (const Case& c : cases) {
    Counts& n = rows[Area(c, scope)];
    ++n.cases;
    n.made += static_cast<int64_t>(c.state.referrals.size());
    for (const auto& r : c.state.referrals) n.overridden += r.consent_overridden ? 1 : 0;
  }
  for (const Case& c : excluded) ++rows[Area(c, scope)].excluded;
  Table t;
  t.Column("area", Type::kText).Column("cases_opened", Type::kInt);
  t.Column("referrals_made", Type::kInt).Column("per_case", Type::kReal);
  t.Column("consent_overridden", Type::kInt).Column("excluded_no_consent", Type::kInt);
  for (const auto& [area, n] : rows)
    t.Row({area, n.cases, n.made, Ratio(n.made, n.cases), n.overridden, n.excluded});
  return t;
}

Table ReferredWithin7Days(const std::vector<Case>& cases, const FigureScope& scope) {
  constexpr auto kWeek = std::chrono::hours(24 * 7);
  std::map<std::string, std::pair<int64_t, int64_t>> rows;  // area -> (cases, referred)
  for (const Case& c : cases) {
    const auto& s = c.state;
    if (s.vulnerabilities.empty() || s.opened_at + kWeek > scope.as_of) continue;
    auto& [eligible, referred] = rows[Area(c, scope)];
    ++eligible;
    const bool soon = std::any_of(s.referrals.begin(), s.referrals.end(), [&](const auto& r) {
      return r.made_at >= s.opened_at && r.made_at <= s.opened_at + kWeek;
    });
    referred += soon ? 1 : 0;
  }
  Table t;
  t.Column("area", Type::kText).Column("cases", Type::kInt).Column("referred", Type::kInt);
  t.Column("share", Type::kReal);
  for (const auto& [area, n] : rows) t.Row({area, n.first, n.second, Ratio(n.second, n.first)});
  return t;
}

Table Anomalies(const std::vector<Case>& cases) {
  caseledger::AnomalyTable anomalies;
  for (const Case& c : cases)
    for (const auto& a : c.state.anomalies)
      if (a.rule.starts_with("referral:") || a.rule.starts_with("transfer:"))
        anomalies.Add(a.position, c.stream, a.rule);
  return anomalies.ToTable();
}

}  // namespace referrals
