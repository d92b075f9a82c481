// The queries of the coverage plugin: read-only scans of the derived records.
#include "coverage_queries.h"

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

struct Scope {
  std::string prefix;  // digits; "" = everywhere
  size_t level = 6;    // digits of the area

  bool Contains(std::string_view code) const { return code.starts_with(prefix); }
  std::string Area(std::string_view code) const {
    return std::string(code.substr(0, std::min(level, code.size())));
  }
};

Scope ParseScope(const QueryParams& params, bool with_level) {
  Scope scope;
  if (auto prefix = params.Get("prefix")) {
    if (prefix->size() > 12 ||
        !std::all_of(prefix->begin(), prefix->end(), [](char c) { return c >= '0' && c <= '9'; }))
      throw PluginError("prefix \"" + std::string(*prefix) +
                        "\" is not a location code prefix (up to 12 digits)");
    scope.prefix = *prefix;
  }
  if (!with_level) return scope;
  if (auto level = params.Get("level")) {
    static const std::map<std::string, size_t, std::less<>> kLevels = {
        {"province", 2}, {"prefecture", 4}, {"county", 6}, {"township", 9}, {"community", 12}};
    auto found = kLevels.find(*level);
    if (found == kLevels.end())
      throw PluginError("level \"" + std::string(*level) +
                        "\" is not one of province, prefecture, county, township, community");
    scope.level = found->second;
  }
  return scope;
}

std::string_view AfterPrefix(std::string_view key, size_t prefix_size) {
  return key.substr(prefix_size);
}

// The registered communities in scope: code -> child population (the latest registration
// in effect when a correction moved another one to the same code).
std::map<std::string, int64_t> RegisteredCommunities(const State& state, const Scope& scope) {
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
  const Scope scope = ParseScope(params, true);
  const std::map<std::string, int64_t> registered = RegisteredCommunities(state, scope);
  std::set<std::string> with_open_space;
  state.Scan("S/" + scope.prefix, [&](std::string_view key, std::string_view) {
    with_open_space.insert(Split(AfterPrefix(key, 2), 2)[0]);
    return true;
  });
  std::map<std::string, std::pair<int64_t, int64_t>> areas;  // registered, covered
  for (const auto& [code, population] : registered) {
    auto& area = areas[scope.Area(code)];
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
  const Scope scope = ParseScope(params, true);
  auto as_of = params.Get("as_of");
  if (!as_of) throw PluginError("enrolment needs as_of (the projector always gives it)");
  auto t = caseledger::ParseTimestamp(*as_of);
  if (!t.ok()) throw PluginError("as_of: " + t.status().ToString());
  const int64_t micros_per_day = 86'400'000'000LL;
  const int64_t micros = caseledger::ToMicros(*t);
  const int64_t today =
      micros >= 0 ? micros / micros_per_day : -((-micros - 1) / micros_per_day) - 1;
  const int64_t first_day = today - kRegularWindowDays + 1 + (1LL << 31);
  const int64_t last_day = today + (1LL << 31);

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
  std::map<std::string, std::set<std::string>> dates;  // child -> attendance days in window
  state.Scan("A/", [&](std::string_view key, std::string_view) {
    std::vector<std::string> f = Split(AfterPrefix(key, 2), 3);
    const int64_t day = std::stoll(f[1]);
    if (day >= first_day && day <= last_day) dates[f[0]].insert(f[1]);
    return true;
  });

  using RowKey = std::tuple<std::string, int, int, int, std::string, std::string>;
  std::map<RowKey, std::pair<int64_t, int64_t>> rows;  // enrolled, regular
  for (const auto& [ref, child] : children) {
    if (!scope.Contains(child.code)) continue;
    auto& counts = rows[{scope.Area(child.code), child.left_behind ? 0 : 1, SexOrder(child.sex),
                         AgeBandOrder(child.age_band), child.sex, child.age_band}];
    ++counts.first;
    auto d = dates.find(ref);
    if (d != dates.end() && d->second.size() >= kRegularDates) ++counts.second;
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
  const Scope scope = ParseScope(params, true);
  std::map<std::string, std::array<int64_t, 5>> areas;  // open spaces, then one per service
  state.Scan("S/" + scope.prefix, [&](std::string_view key, std::string_view services) {
    auto& counts = areas[scope.Area(Split(AfterPrefix(key, 2), 2)[0])];
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
  const Scope scope = ParseScope(params, true);
  struct Area {
    int64_t communities = 0, population = 0, cases = 0, excluded = 0;
  };
  std::map<std::string, Area> areas;
  std::map<std::string, int64_t> counted;  // code -> population, only those registered
  for (const auto& [code, population] : RegisteredCommunities(state, scope)) {
    if (population <= 0) continue;
    counted[code] = population;
    Area& area = areas[scope.Area(code)];
    ++area.communities;
    area.population += population;
  }
  state.Scan("V/" + scope.prefix, [&](std::string_view key, std::string_view reporting) {
    const std::string code = Split(AfterPrefix(key, 2), 2)[0];
    if (!counted.count(code)) return true;
    Area& area = areas[scope.Area(code)];
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
  const Scope scope = ParseScope(params, false);
  Table table;
  table.Column("position", Table::Type::kInt)
      .Column("stream", Table::Type::kText)
      .Column("rule", Table::Type::kText);
  state.Scan("N/", [&](std::string_view key, std::string_view value) {
    std::vector<std::string> f = Split(value, 3);  // stream, code, rule
    if (!scope.prefix.empty() && !(f[1].size() == 12 && scope.Contains(f[1]))) return true;
    table.Row({static_cast<int64_t>(ParsePosition(AfterPrefix(key, 2).substr(0, 16))), f[0], f[2]});
    return true;
  });
  return table;
}

}  // namespace coverage
