// StateCache: one plugin instance's view of its state, and the caseledger_host it is given.
//
// Writes made during apply stay in memory (write-back) until the projector either adds
// them to the WriteBatch that also carries the plugin's checkpoint (AddTo) or throws them
// away with a failed batch (Discard). Reads see the pending writes over what is committed.
// Without a store (an as-of replay) all state lives in memory and is never written.
//
// Point reads of committed keys (found or not) are remembered, up to kReadCacheBytes, so
// that a plugin which reads the same keys batch after batch (coverage's enrolments) pays a
// RocksDB lookup once. Only this object writes its keys, so the remembered values stay
// true; AddTo updates them with what it commits, Discard forgets them all.
//
// Not thread-safe: one plugin instance is called from one thread at a time.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include "caseledger/plugin.h"

namespace caseledger::projector {

class StateCache {
 public:
  // `db` may be null (scratch state); `prefix` scopes the plugin's keys in it. `plugin`
  // names it in logs.
  StateCache(rocksdb::DB* db, std::string prefix, std::string plugin);
  StateCache(const StateCache&) = delete;
  StateCache& operator=(const StateCache&) = delete;

  // The callbacks given to the plugin's init; valid as long as this object.
  const caseledger_host* host() const { return &host_; }

  // Queries may not write: state_put / state_delete fail while read-only.
  void set_read_only(bool read_only) { read_only_ = read_only; }

  // Moves the pending writes into `batch` (prefixed) and forgets them. Scratch state keeps
  // them: it has nowhere else to go.
  // If committing `batch` fails, call Discard.
  void AddTo(rocksdb::WriteBatch& batch);
  // Forgets the pending writes and every remembered read (after a failed batch or commit,
  // or when the store's keys were deleted).
  void Discard();

  // What the plugin reported through `fail` since the last TakeFailure (a stock sentence
  // if it reported nothing). Call it after the plugin returned an error.
  std::string TakeFailure();
  size_t pending_writes() const { return pending_.size(); }

 private:
  static void Log(void* context, int level, caseledger_bytes message);
  static void Fail(void* context, caseledger_bytes message);
  static int Get(void* context, caseledger_bytes key, caseledger_bytes* value);
  static int Put(void* context, caseledger_bytes key, caseledger_bytes value);
  static int Delete(void* context, caseledger_bytes key);
  static int Scan(void* context, caseledger_bytes prefix, caseledger_scan_visitor visitor,
                  void* visitor_context);
  int ScanMerged(const std::string& prefix, caseledger_scan_visitor visitor, void* visitor_context);

  rocksdb::DB* db_;
  const std::string prefix_;
  const std::string plugin_;
  caseledger_host host_;
  bool read_only_ = false;
  std::map<std::string, std::optional<std::string>, std::less<>> pending_;  // nullopt = deleted
  // Remembered committed values (nullopt = absent) and their approximate size.
  static constexpr size_t kReadCacheBytes = 64 << 20;
  void Remember(const std::string& key, std::optional<std::string> value);
  std::unordered_map<std::string, std::optional<std::string>> committed_;
  size_t committed_bytes_ = 0;
  std::string last_value_;  // backs the view state_get returns
  std::string failure_;
};

}  // namespace caseledger::projector
