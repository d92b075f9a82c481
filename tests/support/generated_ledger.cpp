#include "generated_ledger.h"

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <set>
#include <sstream>

#include "caseledger/case_events.h"
#include "caseledger/time.h"
#include "gen/generator.h"

namespace caseledger::testing {

std::unique_ptr<GeneratedLedger> BuildGeneratedLedger(
    uint64_t seed, size_t events, const AppendTailFn& append_tail,
    const std::vector<std::string>& plugins,
    const std::vector<std::string>& plugins_that_must_run) {
  auto g = std::make_unique<GeneratedLedger>();
  auto fail = [&g](std::string why) {
    g->error = std::move(why);
    return std::move(g);
  };
  const std::string dir = g->tmp.Sub("ledger"), key = dir + ".key";
  // As ScenarioLedger does: a case-event ledger with its master key beside it.
  if (Status s = CreateMasterKeyFile(key); !s.ok()) return fail(s.ToString());
  CreateOptions create;
  create.segment_bytes = 1 << 20;
  create.master_key_file = key;
  if (Status s = Ledger::Create(dir, create); !s.ok()) return fail(s.ToString());
  {
    LedgerOptions options;
    options.master_key_file = key;
    auto ledger = Ledger::Open(dir, options);
    if (!ledger.ok()) return fail(ledger.status().ToString());
    gen::GeneratorOptions gen_options;
    gen_options.seed = seed;
    gen_options.events = events;
    if (Status s = gen::AppendToLedger(gen_options, **ledger, 1000, nullptr); !s.ok())
      return fail(s.ToString());
    auto scan = [&]() {
      g->events.clear();
      return (*ledger)->ScanAll(1, 0, [&](const EventView& v) {
        RawEvent& r = g->events.emplace_back();
        r.position = v.position;
        r.stream = std::string(v.stream);
        r.type = std::string(v.type);
        r.actor = std::string(v.actor_user);
        r.payload = std::string(v.payload);
        r.recorded = ToMicros(v.recorded_at);
        r.occurred = ToMicros(v.occurred_at);
        r.corrects = v.corrects;
        return true;
      });
    };
    if (Status s = scan(); !s.ok()) return fail(s.ToString());
    if (g->events.size() != events) return fail("not every line was appended");
    if (std::string e = append_tail(**ledger, g->events); !e.empty()) return fail(e);
    if (Status s = scan(); !s.ok()) return fail(s.ToString());
    for (size_t i = 0; i < g->events.size(); ++i)
      if (g->events[i].position != i + 1) return fail("positions are not 1..n");
    g->half = events / 2;
    auto one = (*ledger)->ReadAll(g->half, 1);
    if (!one.ok() || one->size() != 1) return fail("cannot read the half");
    g->half_recorded_at = one->front().recorded_at;
  }
  std::string plugin_dir = BUILTIN_PLUGIN_DIR;
  if (!plugins.empty()) {  // only those: the others would cost time
    plugin_dir = g->tmp.Sub("plugins");
    std::error_code ec;
    std::filesystem::create_directory(plugin_dir, ec);
    for (const auto& entry : std::filesystem::directory_iterator(BUILTIN_PLUGIN_DIR, ec)) {
      const std::string name = entry.path().filename().string();
      if (std::any_of(plugins.begin(), plugins.end(),
                      [&](const std::string& p) { return name.find(p) != std::string::npos; }))
        std::filesystem::copy_file(entry.path(), plugin_dir + "/" + name, ec);
    }
    if (ec) return fail("cannot copy the plugins: " + ec.message());
  }
  projector::ProjectorOptions options;
  options.plugin_dirs = {plugin_dir};
  auto opened = projector::Projector::Open(dir, options);
  if (!opened.ok()) return fail(opened.status().ToString());
  g->projector = std::move(*opened);
  if (auto caught = g->projector->CatchUp(); !caught.ok()) return fail(caught.status().ToString());
  const std::vector<projector::PluginStatus> loaded = g->projector->Plugins();
  for (const std::string& name : plugins_that_must_run) {
    const auto s = std::find_if(loaded.begin(), loaded.end(),
                                [&](const projector::PluginStatus& p) { return p.name == name; });
    if (s == loaded.end())
      g->error += "the " + name + " plugin is not loaded; ";
    else if (s->health.state != projector::Health::State::kRunning)
      g->error += name + " is " + std::string(projector::HealthStateName(s->health.state)) + ": " +
                  s->health.message + "; ";
  }
  return g;
}

Position AppendJsonEvent(Ledger& ledger, const std::string& stream, const std::string& type,
                         Timestamp when, const Actor& actor, const std::string& json,
                         Position corrects, std::string& error) {
  auto event_type = LookupEventType(type);
  auto payload = event_type.ok() ? PayloadFromJson(**event_type, json)
                                 : Result<std::string>(event_type.status());
  if (!payload.ok()) {
    error += type + " " + json + ": " + payload.status().ToString() + "; ";
    return 0;
  }
  AppendRequest request;
  request.stream = stream;
  ProposedEvent& e = request.events.emplace_back();
  e.id = EventId::Random();
  e.type = type;
  e.occurred_at = when;
  e.actor = actor;
  e.corrects = corrects;
  if (corrects) e.correction_reason = "brute-force test";
  e.payload = std::move(*payload);
  auto appended = ledger.Append(request);
  if (!appended.ok()) {
    error += stream + " " + type + ": " + appended.status().ToString() + "; ";
    return 0;
  }
  return appended->last_position;
}

std::string TextOf(capnp::Text::Reader text) { return std::string(text.cStr(), text.size()); }

std::string SexName(schema::Sex sex) {
  switch (sex) {
    case schema::Sex::FEMALE:
      return "female";
    case schema::Sex::MALE:
      return "male";
    default:
      return "unknown";
  }
}

projector::QueryTable NewTable(
    std::initializer_list<std::pair<const char*, projector::QueryTable::Type>> columns) {
  projector::QueryTable table;
  for (const auto& [name, type] : columns) table.columns.push_back({name, type});
  return table;
}

std::string LineDiff(const std::string& expected, const std::string& actual, size_t limit) {
  auto lines = [](const std::string& csv) {
    std::multiset<std::string> out;
    std::istringstream in(csv);
    for (std::string line; std::getline(in, line);) out.insert(line);
    return out;
  };
  const auto e = lines(expected), a = lines(actual);
  std::vector<std::string> only_e, only_a;
  std::set_difference(e.begin(), e.end(), a.begin(), a.end(), std::back_inserter(only_e));
  std::set_difference(a.begin(), a.end(), e.begin(), e.end(), std::back_inserter(only_a));
  std::ostringstream out;
  out << "  rows: brute force " << e.size() << ", plugin " << a.size() << "\n";
  out << "  only in the brute force (" << only_e.size() << "):\n";
  for (size_t i = 0; i < only_e.size() && i < limit; ++i) out << "    " << only_e[i] << "\n";
  out << "  only in the plugin (" << only_a.size() << "):\n";
  for (size_t i = 0; i < only_a.size() && i < limit; ++i) out << "    " << only_a[i] << "\n";
  if (only_e.empty() && only_a.empty()) out << "  (same rows, another order)\n";
  return out.str();
}

}  // namespace caseledger::testing
