// A test plugin written with caseledger/projection.h: counts events per type.
// Built several times under different names (COUNTER_NAME) and versions (COUNTER_VERSION).
// Faults on demand, from environment variables named after the plugin (upper case):
//   <NAME>_THROW_AT=P   Apply throws when it sees position P
//   <NAME>_CRASH_AT=P   Apply writes to an unmapped address at position P (SIGSEGV)
//   <NAME>_SLOW_MS=N    Apply sleeps N ms per batch (to kill the projector mid-batch)
#include <caseledger/projection.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>

#ifndef COUNTER_NAME
#define COUNTER_NAME "counter"
#endif
#ifndef COUNTER_VERSION
#define COUNTER_VERSION "1.0.0"
#endif

// Exported on purpose, under the same name in every build of this file: with RTLD_LOCAL
// each plugin must still call its own (the "identity" query shows which one ran).
extern "C" __attribute__((visibility("default"))) const char* caseledger_test_identity() {
  return COUNTER_NAME;
}

namespace {

uint64_t EnvPosition(const char* suffix) {
  std::string name = COUNTER_NAME;
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return c == '-' ? '_' : std::toupper(c); });
  const char* value = std::getenv((name + suffix).c_str());
  return value ? std::strtoull(value, nullptr, 10) : 0;
}

class EventCounter : public caseledger::Projection {
 public:
  static constexpr const char* kName = COUNTER_NAME;
  static constexpr const char* kVersion = COUNTER_VERSION;
  static constexpr uint32_t kStateSchema = 1;
  static constexpr const char* kDescription = "Counts events per type (a test plugin)";
  static constexpr const char* const* kEventTypes = nullptr;  // every type
  static constexpr const char* kQueries[] = {"counts: events per type",
                                             "total: all events and the last position",
                                             "identity: which library answered", nullptr};

  void Apply(std::span<const caseledger::Event> events, caseledger::State& state) override {
    if (const uint64_t ms = EnvPosition("_SLOW_MS"))
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    const uint64_t throw_at = EnvPosition("_THROW_AT");
    const uint64_t crash_at = EnvPosition("_CRASH_AT");
    for (const caseledger::Event& e : events) {
      if (e.position() == throw_at)
        throw std::runtime_error("refusing position " + std::to_string(e.position()));
      if (e.position() == crash_at) {
        // A write to an unmapped page: SIGSEGV (a null pointer would be caught by UBSan).
        *reinterpret_cast<volatile int*>(uintptr_t{16}) = 1;
      }
      Add(state, "count/" + std::string(e.type()), 1);
      Add(state, "total", 1);
      state.Put("last", std::to_string(e.position()));
    }
  }

  caseledger::Table Query(std::string_view name, const caseledger::QueryParams& params,
                          caseledger::State& state) override {
    params.AllowOnly({"as_of", "as_of_position"});
    caseledger::Table table;
    if (name == "counts") {
      table.Column("type", caseledger::Table::Type::kText)
          .Column("events", caseledger::Table::Type::kInt);
      state.Scan("count/", [&](std::string_view key, std::string_view value) {
        table.Row(
            {std::string(key.substr(6)), static_cast<int64_t>(std::stoll(std::string(value)))});
        return true;
      });
    } else if (name == "total") {
      table.Column("events", caseledger::Table::Type::kInt)
          .Column("last_position", caseledger::Table::Type::kInt)
          .Column("as_of", caseledger::Table::Type::kText);
      table.Row({Get(state, "total"), Get(state, "last"), std::string(*params.Get("as_of"))});
    } else if (name == "identity") {
      table.Column("identity", caseledger::Table::Type::kText);
      table.Row({std::string(caseledger_test_identity())});
    } else {
      throw caseledger::PluginError("unknown query \"" + std::string(name) + "\"");
    }
    return table;
  }

 private:
  static int64_t Get(const caseledger::State& state, std::string_view key) {
    auto value = state.Get(key);
    return value ? std::stoll(*value) : 0;
  }
  static void Add(caseledger::State& state, std::string_view key, int64_t n) {
    state.Put(key, std::to_string(Get(state, key) + n));
  }
};

}  // namespace

CASELEDGER_REGISTER_PROJECTION(EventCounter)
