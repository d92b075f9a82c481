// Registrations: the setup phase (workers and communities, in World::setup order), later
// hires, and the odd corrected community registration.
#include "gen/agent.h"
#include "gen/random.h"

namespace caseledger::gen {
namespace {

std::string WorkerStream(const Worker& w) { return "worker-" + w.id; }

void WriteWorkerRegistered(Emitter& out, uint32_t worker, int64_t at) {
  const World& world = out.world;
  const Worker& w = world.workers[worker];
  LineWriter& line = out.Begin(WorkerStream(w), "WorkerRegistered", -1, at, world.admin);
  line.Text("workerId", w.id);
  line.Text("role", kRoleNames[static_cast<int>(w.role)]);
  if (!w.location_code.empty()) line.Text("locationCode", w.location_code);
  line.Text("agency", world.agencies[w.agency].id);
  line.End();
}

void WriteCommunityRegistered(Emitter& out, const Community& c, uint32_t population, int64_t at,
                              uint64_t corrects = 0, std::string_view reason = {}) {
  const World& world = out.world;
  const uint32_t supervisor = world.townships[c.township].supervisors.front();
  LineWriter& line = out.Begin("community-" + c.code, "CommunityRegistered", corrects ? 0 : -1, at,
                               supervisor, corrects, reason);
  line.Text("code", c.code);
  out.scratch = c.name;
  out.scratch += c.urban ? " Community" : " Village";
  line.Text("name", out.scratch);
  line.Text("setting", c.urban ? "urban" : "rural");
  if (population > 0) line.Number("childPopulation", population);
  line.End();
}

// The setup: every registration of World::setup, evenly spread over [start, setup_end).
// A few community registrations (2%) are corrected later (a mistyped child population).
class SetupAgent final : public Agent {
 public:
  explicit SetupAgent(const World& world)
      : spacing_(std::max<int64_t>(
            1, (world.setup_end - world.start) / std::max<int64_t>(1, world.setup.size()))) {}

  std::optional<int64_t> Step(int64_t now, Emitter& out) override {
    const World& world = out.world;
    if (next_ >= world.setup.size()) return std::nullopt;
    const SetupStep step = world.setup[next_++];
    if (step.community) {
      const Community& c = world.communities[step.index];
      Random rng = Random::For(out.seed, kCorrectionPurpose, step.index);
      if (rng.Chance(0.02) && c.child_population > 0) {
        // Registered with two digits swapped; the correction restores the estimate.
        const uint32_t typo = Swapped(c.child_population);
        WriteCommunityRegistered(out, c, typo, now);
        out.Spawn(now + rng.Between(20 * kDay, 200 * kDay),
                  NewCommunityCorrection(step.index, out.line_number(), now));
      } else {
        WriteCommunityRegistered(out, c, c.child_population, now);
      }
    } else {
      WriteWorkerRegistered(out, step.index, now);
    }
    if (next_ >= world.setup.size()) return std::nullopt;
    return now + spacing_;
  }

 private:
  // 1234 -> 1324: the last two digits but one swapped (or a digit added when too short).
  static uint32_t Swapped(uint32_t n) {
    const uint32_t tens = n / 10 % 10, hundreds = n / 100 % 10;
    if (tens == hundreds) return n + 100;
    return n - tens * 10 - hundreds * 100 + hundreds * 10 + tens * 100;
  }

  int64_t spacing_;
  size_t next_ = 0;
};

class CommunityCorrection final : public Agent {
 public:
  CommunityCorrection(uint32_t community, uint64_t line, int64_t registered_at)
      : community_(community), line_(line), registered_at_(registered_at) {}

  std::optional<int64_t> Step(int64_t, Emitter& out) override {
    // The correction restates the registration (same occurredAt) with the right figure.
    WriteCommunityRegistered(out, out.world.communities[community_],
                             out.world.communities[community_].child_population, registered_at_,
                             line_, "child population mistyped at registration; census figure");
    return std::nullopt;
  }

 private:
  uint32_t community_;
  uint64_t line_;
  int64_t registered_at_;
};

// A caseworker hired after setup: registered, then available to own new cases.
class Hire final : public Agent {
 public:
  explicit Hire(uint32_t worker) : worker_(worker) {}

  std::optional<int64_t> Step(int64_t now, Emitter& out) override {
    WriteWorkerRegistered(out, worker_, now);
    const Worker& w = out.world.workers[worker_];
    out.world.counties[w.county].caseworkers.push_back(worker_);
    return std::nullopt;
  }

 private:
  uint32_t worker_;
};

}  // namespace

std::unique_ptr<Agent> NewSetupAgent(const World& world) {
  return std::make_unique<SetupAgent>(world);
}

std::unique_ptr<Agent> NewCommunityCorrection(uint32_t community, uint64_t registration_line,
                                              int64_t registered_at) {
  return std::make_unique<CommunityCorrection>(community, registration_line, registered_at);
}

std::unique_ptr<Agent> NewHire(uint32_t worker) { return std::make_unique<Hire>(worker); }

}  // namespace caseledger::gen
