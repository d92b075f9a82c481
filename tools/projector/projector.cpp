#include "projector.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "caseledger/time.h"

namespace caseledger::projector {
namespace {

caseledger_bytes Bytes(std::string_view s) { return {s.data(), s.size()}; }

caseledger_event ToPluginEvent(const EventView& v) {
  caseledger_event e{};
  e.position = v.position;
  e.stream = Bytes(v.stream);
  e.stream_version = v.stream_version;
  e.type = Bytes(v.type);
  e.schema_version = v.schema_version;
  e.recorded_at_micros = ToMicros(v.recorded_at);
  e.occurred_at_micros = ToMicros(v.occurred_at);
  e.actor_user = Bytes(v.actor_user);
  e.actor_role = Bytes(v.actor_role);
  e.actor_agency = Bytes(v.actor_agency);
  e.recorded_by = Bytes(v.recorded_by);
  e.corrects = v.corrects;
  e.correction_reason = Bytes(v.correction_reason);
  e.payload = Bytes(v.payload);
  return e;
}

std::string Range(uint64_t from, uint64_t to) {
  return from == to ? "position " + std::to_string(to)
                    : "positions " + std::to_string(from) + ".." + std::to_string(to);
}

}  // namespace

struct Projector::Running {
  const LoadedPlugin* plugin = nullptr;
  std::string name;
  bool all_types = true;
  std::set<std::string, std::less<>> types;
  std::unique_ptr<StateCache> cache;
  void* instance = nullptr;
  bool started = false;  // init succeeded; shutdown is owed
  Health health;
  std::optional<Checkpoint> checkpoint;

  const caseledger_plugin& table() const { return *plugin->table; }
  uint64_t position() const { return checkpoint ? checkpoint->position : 0; }
  bool active() const { return started && health.state == Health::State::kRunning; }
  bool Wants(std::string_view type) const { return all_types || types.contains(type); }
};

Result<std::unique_ptr<Projector>> Projector::Open(const std::string& dir,
                                                   ProjectorOptions options) {
  if (options.plugin_dirs.empty())
    return Status::InvalidArgument("no plugin directory given (--plugin-dir)");
  std::unique_ptr<Projector> self(new Projector());
  self->options_ = std::move(options);
  LedgerOptions ledger_options;
  ledger_options.read_only = true;  // beside the writer; appends never wait for us
  CASELEDGER_ASSIGN_OR_RETURN(self->ledger_, Ledger::Open(dir, ledger_options));
  std::error_code ec;
  std::filesystem::create_directories(dir + "/run", ec);
  CASELEDGER_ASSIGN_OR_RETURN(self->views_, ViewStore::Open(dir + "/views"));
  std::optional<CrashMarker::Entry> crashed;
  CASELEDGER_ASSIGN_OR_RETURN(CrashMarker marker,
                              CrashMarker::Open(dir + "/run/projector.inflight", crashed));
  self->marker_.emplace(std::move(marker));
  CASELEDGER_ASSIGN_OR_RETURN(self->plugins_, LoadPlugins(self->options_.plugin_dirs));

  for (const LoadedPlugin& plugin : self->plugins_.loaded) {
    auto p = std::make_unique<Running>();
    p->plugin = &plugin;
    p->name = plugin.name();
    if (const char* const* t = plugin.table->event_types; t != nullptr) {
      p->all_types = false;
      for (; *t != nullptr; ++t) p->types.insert(*t);
    }
    p->cache =
        std::make_unique<StateCache>(&self->views_->db(), ViewStore::StatePrefix(p->name), p->name);
    CASELEDGER_ASSIGN_OR_RETURN(p->checkpoint, self->views_->GetCheckpoint(p->name));
    CASELEDGER_ASSIGN_OR_RETURN(p->health, self->views_->GetHealth(p->name));

    // A new version or state schema derives its view again from the start.
    if (p->checkpoint && (p->checkpoint->plugin_version != p->table().version ||
                          p->checkpoint->state_schema != p->table().state_schema)) {
      spdlog::info(
          "plugin {}: version {} (state schema {}) replaces {} ({}): rebuilding from "
          "position 1",
          p->name, p->table().version, p->table().state_schema, p->checkpoint->plugin_version,
          p->checkpoint->state_schema);
      rocksdb::WriteBatch batch;
      self->views_->DeleteAll(batch, p->name);
      CASELEDGER_RETURN_IF_ERROR(self->views_->Commit(batch));
      p->checkpoint.reset();
      p->health = Health{};
    }
    if (crashed && crashed->plugin == p->name && p->health.state != Health::State::kQuarantined) {
      Health& h = p->health;
      ++h.crashes;
      h.position = crashed->position;
      const std::string where =
          crashed->position ? "in its batch ending at position " + std::to_string(crashed->position)
                            : "in init or a query";
      spdlog::error("plugin {} crashed the projector {}", p->name, where);
      if (h.crashes >= self->options_.quarantine_after) {
        h.state = Health::State::kQuarantined;
        h.message = "crashed the projector " + std::to_string(h.crashes) + " times, last " + where +
                    "; not run again until rebuilt";
      } else {
        h.message = "crashed the projector " + where;
      }
      rocksdb::WriteBatch batch;
      self->views_->PutHealth(batch, p->name, h);
      CASELEDGER_RETURN_IF_ERROR(self->views_->Commit(batch));
    }
    self->running_.push_back(std::move(p));
  }
  for (auto& p : self->running_)
    if (p->health.state != Health::State::kQuarantined) CASELEDGER_RETURN_IF_ERROR(self->Start(*p));
  return self;
}

Projector::~Projector() {
  for (auto& p : running_) {
    if (!p->started) continue;
    marker_->Enter(p->name, 0);
    p->table().shutdown(p->instance);
    marker_->Leave();
  }
}

Status Projector::Start(Running& p) {
  marker_->Enter(p.name, 0);
  const int rc = p.table().init(p.cache->host(), &p.instance);
  marker_->Leave();
  if (rc != CASELEDGER_PLUGIN_OK)
    return Fail(p, Health::State::kFailed, "init failed: " + p.cache->TakeFailure(), 0);
  p.started = true;
  return Status::Ok();
}

Status Projector::Fail(Running& p, Health::State state, std::string message, uint64_t position) {
  spdlog::error("plugin {} stopped at position {}: {}", p.name, p.position(), message);
  p.cache->Discard();
  p.health.state = state;
  p.health.message = std::move(message);
  p.health.position = position;
  rocksdb::WriteBatch batch;
  views_->PutHealth(batch, p.name, p.health);
  return views_->Commit(batch);
}

bool Projector::CaughtUp() const {
  const Position committed = ledger_->CommittedPosition();
  return std::all_of(running_.begin(), running_.end(),
                     [&](const auto& p) { return !p->active() || p->position() >= committed; });
}

Result<uint64_t> Projector::CatchUp(uint64_t max_batches) {
  CASELEDGER_RETURN_IF_ERROR(ledger_->Refresh());
  uint64_t batches = 0;
  std::vector<EventView> events;
  while (batches < max_batches) {
    const Position committed = ledger_->CommittedPosition();
    Position lowest = committed;
    for (const auto& p : running_)
      if (p->active()) lowest = std::min(lowest, p->position());
    if (lowest >= committed) return batches;
    const Position last = std::min<Position>(committed, lowest + options_.batch_events);
    events.clear();
    CASELEDGER_RETURN_IF_ERROR(ledger_->ScanAll(lowest + 1, last, [&](const EventView& v) {
      events.push_back(v);
      return true;
    }));
    if (events.empty() || events.back().position != last)
      return Status::Corruption("log: positions " + Range(lowest + 1, last) +
                                " could not all be read");
    CASELEDGER_ASSIGN_OR_RETURN(TreeHead head, ledger_->GetTreeHeadAt(last));
    CASELEDGER_RETURN_IF_ERROR(ApplyBatch(events, head));
    ++batches;
  }
  return batches;
}

Status Projector::ApplyBatch(const std::vector<EventView>& events, const TreeHead& head) {
  std::vector<caseledger_event> batch;
  for (auto& p : running_) {
    if (!p->active() || p->position() >= head.size) continue;
    batch.clear();
    for (const EventView& e : events)
      if (e.position > p->position() && p->Wants(e.type)) batch.push_back(ToPluginEvent(e));
    marker_->Enter(p->name, head.size);
    const int rc = p->table().apply(p->instance, batch.data(), batch.size());
    marker_->Leave();
    if (rc != CASELEDGER_PLUGIN_OK) {
      CASELEDGER_RETURN_IF_ERROR(Fail(*p, Health::State::kFailed,
                                      "apply failed in the batch of " +
                                          Range(p->position() + 1, head.size) + ": " +
                                          p->cache->TakeFailure(),
                                      head.size));
      continue;
    }
    Checkpoint c;
    c.position = head.size;
    c.root = head.root;
    c.plugin_sha256 = p->plugin->sha256;
    c.plugin_name = p->name;
    c.plugin_version = p->table().version;
    c.state_schema = p->table().state_schema;
    c.committed_at_micros = ToMicros(Now());
    rocksdb::WriteBatch write;
    p->cache->AddTo(write);
    views_->PutCheckpoint(write, p->name, c);
    if (p->health.crashes != 0 || !p->health.message.empty()) {
      p->health = Health{};  // progress clears earlier crashes
      views_->PutHealth(write, p->name, p->health);
    }
    if (Status committed = views_->Commit(write); !committed.ok()) {
      p->cache->Discard();  // what it remembered as committed was not
      return committed;
    }
    p->checkpoint = std::move(c);
  }
  return Status::Ok();
}

std::vector<PluginStatus> Projector::Plugins() const {
  const Position committed = ledger_->CommittedPosition();
  std::vector<PluginStatus> out;
  for (const auto& p : running_) {
    PluginStatus s;
    s.name = p->name;
    s.version = p->table().version;
    s.description = p->table().description ? p->table().description : "";
    s.path = p->plugin->path;
    s.sha256 = p->plugin->sha256;
    if (const char* const* q = p->table().queries; q != nullptr)
      for (; *q != nullptr; ++q) s.queries.emplace_back(*q);
    s.checkpoint = p->checkpoint;
    s.health = p->health;
    s.lag = committed - std::min(committed, p->position());
    out.push_back(std::move(s));
  }
  return out;
}

Status Projector::Rebuild(const std::string& plugin) {
  for (auto& p : running_) {
    if (p->name != plugin) continue;
    rocksdb::WriteBatch batch;
    views_->DeleteAll(batch, p->name);
    CASELEDGER_RETURN_IF_ERROR(views_->Commit(batch));
    p->cache->Discard();
    p->checkpoint.reset();
    p->health = Health{};
    if (!p->started) return Start(*p);
    return Status::Ok();
  }
  return Status::NotFound("no plugin named \"" + plugin + "\" is loaded");
}

Result<QueryTable> Projector::Query(const std::string& plugin, const std::string& query,
                                    std::vector<std::pair<std::string, std::string>> params) {
  auto found = std::find_if(running_.begin(), running_.end(),
                            [&](const auto& p) { return p->name == plugin; });
  if (found == running_.end()) {
    std::string names;
    for (const auto& p : running_) names += (names.empty() ? "" : ", ") + p->name;
    return Status::NotFound("no plugin named \"" + plugin +
                            "\" is loaded (loaded: " + (names.empty() ? "none" : names) + ")");
  }
  Running& p = **found;
  if (!p.active())
    return Status::Stopped("plugin " + p.name + " is " + HealthStateName(p.health.state) + " (" +
                           p.health.message + "); its view stops at position " +
                           std::to_string(p.position()) + ". `caseledger plugins DIR rebuild " +
                           p.name + "` derives it again from position 1");

  // The moment asked for: a position, a time, or the view's own checkpoint.
  std::optional<Position> position;
  std::optional<Timestamp> time;
  for (const auto& [name, value] : params) {
    if (name == "as_of_position") {
      uint64_t n = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size())
        return Status::InvalidArgument("as_of_position: \"" + value + "\" is not a position");
      position = n;
    } else if (name == "as_of") {
      Result<Timestamp> parsed = ParseTimestamp(value);
      if (!parsed.ok()) return parsed.status().WithContext("as_of");
      time = *parsed;
    }
  }
  CASELEDGER_RETURN_IF_ERROR(ledger_->Refresh());
  const Position committed = ledger_->CommittedPosition();
  if (position && *position > committed)
    return Status::InvalidArgument("as_of_position " + std::to_string(*position) +
                                   " is beyond the committed position " +
                                   std::to_string(committed));
  auto recorded_at = [&](Position at) -> Result<Timestamp> {
    if (at == 0) return Timestamp{};
    CASELEDGER_ASSIGN_OR_RETURN(auto one, ledger_->ReadAll(at, 1));
    if (one.empty()) return Status::NotFound("position " + std::to_string(at) + " cannot be read");
    return one.front().recorded_at;
  };
  if (time && !position) {
    // Recorded-at never decreases along positions: the last one recorded by `time`.
    Position low = 0, high = committed;
    while (low < high) {
      const Position mid = low + (high - low + 1) / 2;
      CASELEDGER_ASSIGN_OR_RETURN(Timestamp at, recorded_at(mid));
      if (at <= *time)
        low = mid;
      else
        high = mid - 1;
    }
    position = low;
  }
  if (!position) position = p.position();
  if (!time) {
    CASELEDGER_ASSIGN_OR_RETURN(Timestamp at, recorded_at(*position));
    time = at;
  }
  std::erase_if(params,
                [](const auto& kv) { return kv.first == "as_of" || kv.first == "as_of_position"; });
  params.emplace_back("as_of", FormatTimestamp(*time));
  params.emplace_back("as_of_position", std::to_string(*position));

  if (*position == p.position()) return Ask(p, p.instance, *p.cache, query, params);
  return AskAsOf(p, *position, query, params);
}

Result<QueryTable> Projector::Ask(Running& p, void* instance, StateCache& cache,
                                  const std::string& query,
                                  const std::vector<std::pair<std::string, std::string>>& params) {
  std::vector<caseledger_param> c_params;
  for (const auto& [name, value] : params) c_params.push_back({Bytes(name), Bytes(value)});
  TableCollector collector;
  cache.set_read_only(true);
  marker_->Enter(p.name, 0);
  const int rc =
      p.table().query(instance, Bytes(query), c_params.data(), c_params.size(), collector.sink());
  marker_->Leave();
  cache.set_read_only(false);
  if (rc != CASELEDGER_PLUGIN_OK)
    return Status::InvalidArgument(p.name + " " + query + ": " + cache.TakeFailure());
  QueryTable table = collector.Take();
  if (!collector.error().empty())
    return Status::InvalidArgument(p.name + " " + query +
                                   " wrote a malformed table: " + collector.error());
  return table;
}

Result<QueryTable> Projector::AskAsOf(
    Running& p, Position as_of, const std::string& query,
    const std::vector<std::pair<std::string, std::string>>& params) {
  // A second instance over scratch state, replayed from position 1: the current view is
  // untouched, and the answer is exactly what the view held at `as_of`.
  StateCache scratch(nullptr, "", p.name);
  void* instance = nullptr;
  marker_->Enter(p.name, 0);
  int rc = p.table().init(scratch.host(), &instance);
  marker_->Leave();
  if (rc != CASELEDGER_PLUGIN_OK)
    return Status::InvalidArgument(p.name +
                                   ": init for an as-of replay failed: " + scratch.TakeFailure());
  caseledger::Status replayed;
  std::vector<caseledger_event> batch;
  Position next = 1;
  while (replayed.ok() && next <= as_of) {
    const Position last = std::min<Position>(as_of, next + options_.batch_events - 1);
    batch.clear();
    replayed = ledger_->ScanAll(next, last, [&](const EventView& e) {
      if (p.Wants(e.type)) batch.push_back(ToPluginEvent(e));
      return true;
    });
    if (!replayed.ok()) break;
    marker_->Enter(p.name, last);
    rc = p.table().apply(instance, batch.data(), batch.size());
    marker_->Leave();
    if (rc != CASELEDGER_PLUGIN_OK)
      replayed = Status::InvalidArgument(p.name + ": replaying " + Range(next, last) +
                                         " failed: " + scratch.TakeFailure());
    next = last + 1;
  }
  Result<QueryTable> answer =
      replayed.ok() ? Ask(p, instance, scratch, query, params) : Result<QueryTable>(replayed);
  marker_->Enter(p.name, 0);
  p.table().shutdown(instance);
  marker_->Leave();
  return answer;
}

}  // namespace caseledger::projector
