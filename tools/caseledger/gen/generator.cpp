// The scheduler: a min-heap of agents keyed by (simulated time, order of scheduling),
// woken one at a time; each writes at most one line. Ties are broken by the order in
// which agents were scheduled, so the interleaving is deterministic.
#include "gen/generator.h"

#include <algorithm>
#include <vector>

#include "gen/agent.h"

namespace caseledger::gen {

uint32_t DefaultCommunities(uint64_t events) {
  return static_cast<uint32_t>(std::clamp<uint64_t>(events / 485, 4, 100'000));
}

Status ValidateOptions(const GeneratorOptions& options) {
  if (options.events == 0) return Status::InvalidArgument("--events must be at least 1");
  if (options.communities != 0 && (options.communities < 2 || options.communities > 100'000))
    return Status::InvalidArgument(
        "--communities must be between 2 and 100,000 (two counties need two)");
  return Status::Ok();
}

class Simulation {
 public:
  explicit Simulation(const GeneratorOptions& options)
      : events_(options.events),
        world_(BuildWorld(options.seed, options.communities ? options.communities
                                                            : DefaultCommunities(options.events))),
        emitter_(options.seed, world_, rates_) {
    Calibrate(options.seed);
    summary_.province = world_.province;
    Schedule(world_.start, NewSetupAgent(world_));
    for (uint32_t w : world_.later_hires) Schedule(world_.workers[w].hired_at, NewHire(w));
    for (uint32_t s = 0; s < world_.spaces.size(); ++s)
      Schedule(world_.spaces[s].opens_at, NewSpaceAgent(s + 1, world_.spaces[s], options.seed));
    Schedule(world_.cases_start, NewCaseSource(world_, options.seed));
  }

  bool Next(std::string_view& line, LineInfo& info) {
    while (summary_.lines < events_ && !heap_.empty()) {
      std::pop_heap(heap_.begin(), heap_.end(), Later);
      Entry entry = std::move(heap_.back());
      heap_.pop_back();
      emitter_.wrote_ = false;
      emitter_.line_number_ = summary_.lines + 1;
      const std::optional<int64_t> next = entry.agent->Step(entry.at, emitter_);
      for (auto& [at, agent] : emitter_.spawned_)
        Schedule(std::max(at, entry.at), std::move(agent));
      emitter_.spawned_.clear();
      if (next) Schedule(std::max(*next, entry.at), std::move(entry.agent));
      // The next agent's state was last touched long ago (simulated weeks for a case): start
      // fetching it now, while this line is accounted for and handed out.
      if (!heap_.empty()) __builtin_prefetch(heap_.front().agent.get());
      if (emitter_.wrote_) {
        Account(info);
        line = emitter_.writer_.line();
        return true;
      }
    }
    return false;
  }

  const GeneratorSummary& summary() const { return summary_; }

 private:
  struct Entry {
    int64_t at;
    uint64_t order;
    std::unique_ptr<Agent> agent;
  };
  // The heap's order: std::*_heap keep the greatest on top, so "later" is "less".
  static bool Later(const Entry& a, const Entry& b) {
    return a.at != b.at ? a.at > b.at : a.order > b.order;
  }

  void Schedule(int64_t at, std::unique_ptr<Agent> agent) {
    heap_.push_back({at, next_order_++, std::move(agent)});
    std::push_heap(heap_.begin(), heap_.end(), Later);
  }

  // Rates that spread the requested number of lines over about World::horizon: places
  // take about a third of the lines (attendance sessions per week adapt, within a
  // plausible 0.25-3.5), registrations what the world needs, cases the rest (at least a
  // quarter), opened at the rate their mean length allows.
  void Calibrate(uint64_t seed) {
    const auto n = static_cast<double>(events_);
    const double span = static_cast<double>(world_.horizon - world_.cases_start);
    double weeks = 0, fixed = 0;
    for (const PlannedSpace& s : world_.spaces) {
      const int64_t end = s.closes_at ? std::min(s.closes_at, world_.horizon) : world_.horizon;
      const double w = std::max<double>(0, static_cast<double>(end - s.opens_at) / kWeek);
      weeks += w;
      fixed += ExpectedSpaceLines(w, 0, kMeanCapacity);
    }
    if (weeks > 0)
      rates_.sessions_per_week = std::clamp((n * 0.35 - fixed) / (weeks * 1.61), 0.25, 3.5);
    double space_lines = 0;
    for (const PlannedSpace& s : world_.spaces) {
      const int64_t end = s.closes_at ? std::min(s.closes_at, world_.horizon) : world_.horizon;
      space_lines +=
          ExpectedSpaceLines(std::max<double>(0, static_cast<double>(end - s.opens_at) / kWeek),
                             rates_.sessions_per_week, kMeanCapacity);
    }
    const double registrations =
        static_cast<double>(world_.setup.size() + world_.later_hires.size()) +
        0.02 * world_.communities.size();
    const double case_lines = std::max(0.25 * n, n - registrations - space_lines);
    // Cases opened late in the period have written only part of their lines by its end.
    const double lines_per_case = MeanCaseLines(world_, seed, 256) * kWrittenShare;
    rates_.case_arrival_gap = std::max(60.0, span * lines_per_case / case_lines);
  }

  void Account(LineInfo& info) {
    GeneratorSummary& s = summary_;
    ++s.lines;
    info.number = s.lines;
    info.stream = emitter_.stream_;
    info.type = emitter_.type_;
    info.anomaly = emitter_.rule_;
    info.correction = emitter_.corrects_ != 0;
    const int64_t occurred = emitter_.writer_.occurred_wall();
    info.late = !info.correction && s.lines > 1 && occurred < max_occurred_;
    max_occurred_ = std::max(max_occurred_, occurred);
    if (s.lines == 1) s.first_occurred = occurred;
    s.first_occurred = std::min(s.first_occurred, occurred);
    s.last_occurred = max_occurred_;
    s.late += info.late;
    s.corrections += info.correction;
    s.anomalies += info.anomaly != Rule::kNone;
    if (info.type == "EntryVoided") ++s.voided;
    if (!info.correction) {  // each stream's first line
      if (info.type == "CaseOpened") ++s.cases;
      if (info.type == "SpaceOpened") ++s.spaces;
      if (info.type == "CommunityRegistered") ++s.communities;
      if (info.type == "WorkerRegistered") ++s.workers;
    }
    s.streams = s.cases + s.spaces + s.communities + s.workers;
  }

  static constexpr uint32_t kMeanCapacity = 60;
  static constexpr double kWrittenShare = 0.8;

  uint64_t events_;
  World world_;
  Rates rates_;
  Emitter emitter_;
  std::vector<Entry> heap_;
  uint64_t next_order_ = 0;
  int64_t max_occurred_ = INT64_MIN;
  GeneratorSummary summary_;
};

Generator::Generator(const GeneratorOptions& options)
    : simulation_(std::make_unique<Simulation>(options)) {}
Generator::~Generator() = default;

bool Generator::Next(std::string_view& line, LineInfo& info) {
  return simulation_->Next(line, info);
}
const GeneratorSummary& Generator::summary() const { return simulation_->summary(); }

}  // namespace caseledger::gen
