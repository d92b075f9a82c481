// The queries of the coverage plugin: read-only scans of the derived records.
#include "coverage_queries.h"

#include <caseledger/anomaly_table.h>
#include <caseledger/figure_scope.h>
#include <caseledger/time.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "coverage_state.h"

namespace coverage {
namespace {

using caseledger::PluginError;
using caseledger::QueryParams;
using caseledger::State;
using caseledger::Table;

constexpr int kRegularDates = 4;  // DOMAIN.md's suggestion: 4 attendances in 30 days
constexpr int kRegularWindowDays = 30;

using caseledger::FigureScope;
using caseledger::LocationLevel;

// Coverage is reported per county by default (DOMAIN.md's share is per township, county,
// prefecture or province).
FigureScope ParseScope(const QueryParams& params) {
  return caseledger::ParseFigureScope(params, LocationLevel::kCounty);
}

bool Contains(const FigureScope& scope, std::string_view code) {
  return code.starts_with(scope.prefix);
}

std::string Area(const FigureScope& scope, std::string_view code) {
  return std::string(caseledger::AreaOf(code, scope.level));
}

std::string_view AfterPrefix(std::string_view key, size_t prefix_size) {
  return key.substr(prefix_size);
}

// The registered communities in scope: code -> child population (of the registration whose
// data in effect is at the highest position, when several name the code).
std::map<std::string, int64_t> RegisteredCommunities(const State& state, const FigureScope& scope) {
  std::map<std::string, std::pair<uint64_t, int64_t>> latest;  // code -> position, population
  state.Scan("C/" + scope.prefix, [&](std::string_view key, std::string_view value) {
    const std::string code = Split(AfterPrefix(key, 2), 2)[0];
    const std::vector<std::string> f = Split(value, 2);
    const uint64_t position = ParsePosition(f[0]);
    auto& entry = latest[code];
    if (position >= entry.first) entry = {position, std::stoll(f[1])};
    return true;
  });
  std::map<std::string, int64_t> communities;
  for (const auto& [code, entry] : latest) communities[code] = entry.second;
  return communities;
}

int AgeBandOrder(std::string_view band) {
  if (band == "0-5") return 0;
  if (band == "6-11") return 1;
  if (band == "12-17") return 2;
  if (band == "18+") return 3;
  return 4;
}

int SexOrder(std::string_view sex) { return sex == "female" ? 0 : sex == "male" ? 1 : 2; }

}  // namespace

Table Communities(const QueryParams& params, const State& state) {
  params.AllowOnly({"as_of", "as_of_position", "prefix", "level"});
  const FigureScope scope = ParseScope(params);
  const std::map<std::string, int64_t> registered = RegisteredCommunities(state, scope);
  std::set<std::string> with_open_space;
  state.Scan("S/" + scope.prefix, [&](std::string_view key, std::string_view) {
    with_open_space.insert(Split(AfterPrefix(key, 2), 2)[0]);
    return true;
  });
  std::map<std::string, std::pair<int64_t, int64_t>> areas;  // registered, covered
  for (const auto& [code, population] : registered) {
    auto& area = areas[Area(scope, code)];
    ++area.first;
    if (with_open_space.count(code)) ++area.second;
  }
  Table table;
  table.Column("area", Table::Type::kText)
      .Column("registered", Table::Type::kInt)
      .Column("covered", Table::Type::kInt)
      .Column("share", Table::Type::kReal)
      .Column("meets_target", Table::Type::kInt);
  for (const auto& [area, counts] : areas) {
    const double share = static_cast<double>(counts.second) / static_cast<double>(counts.first);
    // DOMAIN.md's 90% target, exact in integers: covered / registered >= 9 / 10.
    const bool meets = counts.second * 10 >= counts.first * 9;
    table.Row({area, counts.first, counts.second, share, int64_t{meets ? 1 : 0}});
  }
  return table;
}

Table Enrolment(const QueryParams& params, const State& state) {
  params.AllowOnly({"as_of", "as_of_position", "prefix", "level"});
  const FigureScope scope = ParseScope(params);
  const int64_t micros_per_day = 86'400'000'000LL;
  const int64_t micros = caseledger::ToMicros(scope.as_of);
  const int64_t today =
      micros >= 0 ? micros / micros_per_day : -((-micros - 1) / micros_per_day) - 1;

  // Each child once: the enrolment with the lowest position gives area, sex, age band and
  // left_behind.
  struct Child {
    std::string code, sex, age_band;
    bool left_behind;
  };
  std::map<std::string, Child> children;
  state.Scan("E/", [&](std::string_view key, std::string_view value) {
    const std::string child = Split(AfterPrefix(key, 2), 2)[0];
    if (children.count(child)) return true;
    std::vector<std::string> f = Split(value, 4);
    children.emplace(child, Child{f[0], f[1], f[2], f[3] == "1"});
    return true;
  });
  // child -> distinct attendance days in the window, read day by day.
  std::map<std::string, int> dates;
  for (int64_t day = today - kRegularWindowDays + 1; day <= today; ++day) {
    std::set<std::string> present;  // in any space that day
    state.Scan("A/" + DayKey(day) + kSep, [&](std::string_view, std::string_view children) {
      while (true) {
        const size_t at = children.find(kSep);
        present.emplace(children.substr(0, at));
        if (at == std::string_view::npos) break;
        children.remove_prefix(at + 1);
      }
      return true;
    });
    for (const std::string& child : present) ++dates[child];
  }

  using RowKey = std::tuple<std::string, int, int, int, std::string, std::string>;
  std::map<RowKey, std::pair<int64_t, int64_t>> rows;  // enrolled, regular
  for (const auto& [ref, child] : children) {
    if (!Contains(scope, child.code)) continue;
    auto& counts = rows[{Area(scope, child.code), child.left_behind ? 0 : 1, SexOrder(child.sex),
                         AgeBandOrder(child.age_band), child.sex, child.age_band}];
    ++counts.first;
    auto d = dates.find(ref);
    if (d != dates.end() && d->second >= kRegularDates) ++counts.second;
  }
  Table table;
  table.Column("area", Table::Type::kText)
      .Column("left_behind", Table::Type::kInt)
      .Column("sex", Table::Type::kText)
      .Column("age_band", Table::Type::kText)
      .Column("enrolled", Table::Type::kInt)
      .Column("regular", Table::Type::kInt);
  for (const auto& [key, counts] : rows)
    table.Row({std::get<0>(key), int64_t{std::get<1>(key) == 0 ? 1 : 0}, std::get<4>(key),
               std::get<5>(key), counts.first, counts.second});
  return table;
}

Table ServicesOffered(const QueryParams& params, const State& state) {
  params.AllowOnly({"as_of", "as_of_position", "prefix", "level"});
  const FigureScope scope = ParseScope(params);
  std::map<std::string, std::array<int64_t, 5>> areas;  // open spaces, then one per service
  state.Scan("S/" + scope.prefix, [&](std::string_view key, std::string_view services) {
    auto& counts = areas[Area(scope, Split(AfterPrefix(key, 2), 2)[0])];
    ++counts[0];
    for (size_t i = 0; i < 4 && i < services.size(); ++i)
      if (services[i] == '1') ++counts[i + 1];
    return true;
  });
  Table table;
  table.Column("area", Table::Type::kText)
      .Column("open_spaces", Table::Type::kInt)
      .Column("recreation", Table::Type::kReal)
      .Column("non_formal_education", Table::Type::kReal)
      .Column("psychosocial_support", Table::Type::kReal)
      .Column("referral", Table::Type::kReal);
  for (const auto& [area, c] : areas) {
    auto share = [&](size_t i) { return static_cast<double>(c[i]) / static_cast<double>(c[0]); };
    table.Row({area, c[0], share(1), share(2), share(3), share(4)});
  }
  return table;
}

Table VulnerablePer1000(const QueryParams& params, const State& state) {
  params.AllowOnly({"as_of", "as_of_position", "prefix", "level"});
  const FigureScope scope = ParseScope(params);
  struct Figures {
    int64_t communities = 0, population = 0, cases = 0, excluded = 0;
  };
  std::map<std::string, Figures> areas;
  std::map<std::string, int64_t> counted;  // code -> population, only those registered
  for (const auto& [code, population] : RegisteredCommunities(state, scope)) {
    if (population <= 0) continue;
    counted[code] = population;
    Figures& area = areas[Area(scope, code)];
    ++area.communities;
    area.population += population;
  }
  state.Scan("V/" + scope.prefix, [&](std::string_view key, std::string_view reporting) {
    const std::string code = Split(AfterPrefix(key, 2), 2)[0];
    if (!counted.count(code)) return true;
    Figures& area = areas[Area(scope, code)];
    if (reporting == "1")
      ++area.cases;
    else
      ++area.excluded;
    return true;
  });
  Table table;
  table.Column("area", Table::Type::kText)
      .Column("communities", Table::Type::kInt)
      .Column("child_population", Table::Type::kInt)
      .Column("vulnerable_cases", Table::Type::kInt)
      .Column("excluded_no_consent", Table::Type::kInt)
      .Column("per_1000", Table::Type::kReal);
  for (const auto& [name, a] : areas)
    table.Row({name, a.communities, a.population, a.cases, a.excluded,
               static_cast<double>(a.cases) * 1000.0 / static_cast<double>(a.population)});
  return table;
}

Table Anomalies(const QueryParams& params, const State& state) {
  params.AllowOnly({"as_of", "as_of_position", "prefix"});
  const FigureScope scope = ParseScope(params);
  caseledger::AnomalyTable anomalies;
  state.Scan("N/", [&](std::string_view key, std::string_view value) {
    std::vector<std::string> f = Split(value, 3);  // stream, code, rule
    if (!scope.prefix.empty() && !(f[1].size() == 12 && Contains(scope, f[1]))) return true;
    anomalies.Add(ParsePosition(AfterPrefix(key, 2).substr(0, 16)), std::move(f[0]),
                  std::move(f[2]));
    return true;
  });
  return anomalies.ToTable();
}

}  // namespace coverage
