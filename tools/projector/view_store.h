// ViewStore: DIR/views, the projector's RocksDB: each plugin's state, checkpoint and health
// (key layout in views.capnp). One projector process owns it at a time (RocksDB's LOCK).
//
//   auto store = ViewStore::Open(dir + "/views");
//   auto checkpoint = (*store)->GetCheckpoint("caseload");   // nullopt: never ran
//   rocksdb::WriteBatch batch;
//   cache.AddTo(batch);  store->PutCheckpoint(batch, "caseload", next);
//   store->Commit(batch);                                     // state + checkpoint, atomically
//
// Views are derived data: writes go through RocksDB's WAL without fsync, so a crash can
// lose the last batches but never splits state from its checkpoint (WriteBatch is
// atomic and the WAL recovers a prefix of batches); the projector then re-applies them.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "caseledger/status.h"
#include "caseledger/tree_head.h"

namespace caseledger::projector {

struct Checkpoint {
  uint64_t position = 0;  // the state covers positions 1..position
  Hash256 root{};         // Merkle root over 1..position
  Hash256 plugin_sha256{};
  std::string plugin_name;
  std::string plugin_version;
  uint32_t state_schema = 0;
  int64_t committed_at_micros = 0;
};

struct Health {
  enum class State { kRunning, kFailed, kQuarantined };
  State state = State::kRunning;
  std::string message;
  uint64_t position = 0;
  uint32_t crashes = 0;
};
const char* HealthStateName(Health::State state);  // "running", "failed", "quarantined"

class ViewStore {
 public:
  // Opens (creating if missing) the RocksDB at `path`. kBusy if another process has it.
  static Result<std::unique_ptr<ViewStore>> Open(const std::string& path);

  Result<std::optional<Checkpoint>> GetCheckpoint(std::string_view plugin);
  Result<Health> GetHealth(std::string_view plugin);  // running with no crashes if none stored

  void PutCheckpoint(rocksdb::WriteBatch& batch, std::string_view plugin, const Checkpoint& c);
  void PutHealth(rocksdb::WriteBatch& batch, std::string_view plugin, const Health& health);
  // Deletes the plugin's state, checkpoint and health: it starts again from position 1.
  void DeleteAll(rocksdb::WriteBatch& batch, std::string_view plugin);
  Status Commit(rocksdb::WriteBatch& batch);

  // The prefix of the plugin's state keys: "s/<name>/".
  static std::string StatePrefix(std::string_view plugin);
  rocksdb::DB& db() { return *db_; }

 private:
  explicit ViewStore(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace caseledger::projector
