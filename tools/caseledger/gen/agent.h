// The simulation's moving parts. Each stream (a case, a children's place, the setup
// registrations, ...) is an Agent that the generator wakes at the simulated time it asked
// for; a woken agent writes at most one line, so lines of many streams interleave in the
// order of their times.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gen/line_writer.h"
#include "gen/model.h"
#include "gen/random.h"
#include "gen/world.h"

namespace caseledger::gen {

class Emitter;

class Agent {
 public:
  virtual ~Agent() = default;
  // Called at the simulated time this agent asked for (`now`). Writes at most one line
  // through `out` and returns when to be called next; nothing when the agent is done.
  virtual std::optional<int64_t> Step(int64_t now, Emitter& out) = 0;
};

// Rates the generator derives from --events and the world, so the output spans about
// World::horizon whatever its size.
struct Rates {
  double sessions_per_week = 2;    // attendance sessions of a children's place
  double case_arrival_gap = kDay;  // mean simulated seconds between two CaseOpened
};

// What an agent writes through, and how it reaches the rest of the simulation.
class Emitter {
 public:
  Emitter(uint64_t seed, World& world, const Rates& rates)
      : seed(seed), world(world), rates(rates), writer_(seed) {}

  // Starts the next line (see LineWriter::Begin); the agent adds the data fields and calls
  // End() on the returned writer. `actor` is a worker index.
  LineWriter& Begin(std::string_view stream, std::string_view type, int64_t version_before,
                    int64_t occurred, uint32_t actor, uint64_t corrects = 0,
                    std::string_view correction_reason = {}) {
    const Worker& w = world.workers[actor];
    writer_.Begin(line_number_, stream, type, version_before, occurred,
                  {w.id, kRoleNames[static_cast<int>(w.role)], world.agencies[w.agency].id},
                  corrects, correction_reason);
    wrote_ = true;
    type_ = type;
    stream_.assign(stream);
    corrects_ = corrects;
    rule_ = Rule::kNone;
    return writer_;
  }
  // Labels the line being written as a deliberate break of `rule`.
  void Label(Rule rule) { rule_ = rule; }
  // Schedules a new agent at simulated time `at`.
  void Spawn(int64_t at, std::unique_ptr<Agent> agent) {
    spawned_.push_back({at, std::move(agent)});
  }
  // The number of the line Begin writes (1-based): its position when the output is appended
  // to an empty ledger, which is what `corrects` and EntryVoided.position name.
  uint64_t line_number() const { return line_number_; }
  // A buffer for building text fields; any agent may clear and use it between Begin and End.
  std::string scratch;

  const uint64_t seed;
  World& world;
  const Rates& rates;

 private:
  friend class Simulation;
  LineWriter writer_;
  uint64_t line_number_ = 1;
  bool wrote_ = false;
  std::string_view type_;
  std::string stream_;
  uint64_t corrects_ = 0;
  Rule rule_ = Rule::kNone;
  std::vector<std::pair<int64_t, std::unique_ptr<Agent>>> spawned_;
};

// Whose child reference: one kind per agent type, so that no two children share one.
enum ChildRefKind : uint64_t { kCaseChild = 1, kEnrolledChild = 2, kStrayChild = 3 };

// A child's pseudonymous reference, "ch-" and 12 hex digits of a keyed hash: unrelated to
// any name, the same for the same (seed, kind, index), unique in practice (48 bits).
inline void AppendChildRef(std::string& out, uint64_t seed, uint64_t kind, uint64_t index) {
  static const char kHex[] = "0123456789abcdef";
  const uint64_t h = Mix64(seed ^ Mix64((kind << 40) ^ index));
  out += "ch-";
  for (int i = 0; i < 12; ++i) out += kHex[(h >> (44 - 4 * i)) & 15];
}

// Agents of the other files, created by the generator.
std::unique_ptr<Agent> NewSetupAgent(const World& world);
std::unique_ptr<Agent> NewCommunityCorrection(uint32_t community, uint64_t registration_line,
                                              int64_t registered_at);
std::unique_ptr<Agent> NewHire(uint32_t worker);
std::unique_ptr<Agent> NewSpaceAgent(uint32_t space_number, const PlannedSpace& plan,
                                     uint64_t seed);
std::unique_ptr<Agent> NewCaseSource(const World& world, uint64_t seed);

// The events one case writes on average (for the rates), estimated by building `samples`
// case timelines of `world` without writing them.
double MeanCaseLines(const World& world, uint64_t seed, int samples);
// The events one children's place writes in `weeks` weeks at `sessions_per_week`.
double ExpectedSpaceLines(double weeks, double sessions_per_week, uint32_t capacity);

}  // namespace caseledger::gen
