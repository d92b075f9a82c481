// Projector: runs projection plugins over a ledger and keeps their views in DIR/views.
// The only code that calls plugins; it runs in its own process (`caseledger project`),
// beside the writer, reading the log read-only: appends never wait for it.
//
//   auto projector = Projector::Open("/srv/ledger", options);
//   (*projector)->CatchUp();                       // every plugin up to the committed position
//   auto table = (*projector)->Query("caseload", "open_cases", {{"as_of_position", "1200"}});
//
// Guarantees:
// - Exactly once: a plugin's state and its checkpoint are committed in one WriteBatch per
//   batch of events; a crash anywhere re-applies from the checkpoint, never twice.
// - A plugin whose apply or init fails is stopped at its last good checkpoint (health
//   "failed", with its message and position) while the others go on; it stays stopped
//   until rebuilt. A crash inside plugin code is charged to that plugin when the next
//   projector starts; after `quarantine_after` crashes it is not run again until rebuilt.
// - A new plugin version or state schema starts its view again from position 1.
// - Each checkpoint attests the position and Merkle root it covers and the SHA-256,
//   name and version of the plugin file that produced it.
// Not thread-safe: one thread drives a Projector.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "caseledger/ledger.h"
#include "crash_marker.h"
#include "plugin_loader.h"
#include "query_table.h"
#include "state_cache.h"
#include "view_store.h"

namespace caseledger::projector {

struct ProjectorOptions {
  // Directories searched for plugins ("*.so", not recursive). Required.
  std::vector<std::string> plugin_dirs;
  // Events read from the log per batch (and so per checkpoint). Default: 4,096.
  size_t batch_events = 4096;
  // Crashes inside one plugin's code, with no checkpoint in between, after which it is
  // quarantined. Default: 3.
  uint32_t quarantine_after = 3;
};

// What `caseledger plugins status` shows for one plugin.
struct PluginStatus {
  std::string name, version, description, path;
  Hash256 sha256{};
  std::vector<std::string> queries;
  std::optional<Checkpoint> checkpoint;
  Health health;
  uint64_t lag = 0;  // committed position - checkpoint position
};

class Projector {
 public:
  static Result<std::unique_ptr<Projector>> Open(const std::string& dir, ProjectorOptions options);
  ~Projector();

  // Catches up with the writer (Ledger::Refresh) and applies committed events to every
  // running plugin, at most `max_batches` batches (then CaughtUp() may still be false).
  // Returns the number of batches applied. An error is the projector's own (log, views);
  // plugin failures only change that plugin's health.
  Result<uint64_t> CatchUp(uint64_t max_batches = UINT64_MAX);
  // True when every running plugin is at the committed position.
  bool CaughtUp() const;

  std::vector<PluginStatus> Plugins() const;
  const std::vector<RefusedPlugin>& refused() const { return plugins_.refused; }

  // Forgets the plugin's view (state, checkpoint, health, quarantine) and starts it again
  // from position 1; the next CatchUp rebuilds it.
  caseledger::Status Rebuild(const std::string& plugin);

  // Asks `plugin` the query. Parameters "as_of" (a UTC time) or "as_of_position" answer
  // as of that moment: the plugin is replayed into scratch state up to the last position
  // recorded by then, and the query gets both parameters. Without them the query sees the
  // current view, and both parameters are set to its checkpoint. kNotFound for an
  // unknown plugin; kStopped for a failed or quarantined one (its figures would silently
  // stop at its last checkpoint); kInvalidArgument for what the plugin refuses.
  Result<QueryTable> Query(const std::string& plugin, const std::string& query,
                           std::vector<std::pair<std::string, std::string>> params);

  Ledger& ledger() { return *ledger_; }

 private:
  struct Running;
  Projector() = default;
  caseledger::Status Start(Running& p);
  caseledger::Status ApplyBatch(const std::vector<EventView>& events, const TreeHead& head);
  caseledger::Status Fail(Running& p, Health::State state, std::string message, uint64_t position);
  Result<QueryTable> Ask(Running& p, void* instance, StateCache& cache, const std::string& query,
                         const std::vector<std::pair<std::string, std::string>>& params);
  Result<QueryTable> AskAsOf(Running& p, Position as_of, const std::string& query,
                             const std::vector<std::pair<std::string, std::string>>& params);

  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<ViewStore> views_;
  std::optional<CrashMarker> marker_;
  ProjectorOptions options_;
  PluginSet plugins_;
  std::vector<std::unique_ptr<Running>> running_;
};

}  // namespace caseledger::projector
