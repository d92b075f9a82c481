// CommitNotice: DIR/run/committed, where the writer announces each position it publishes,
// so that readers in other processes can tell when their view of the index is behind.
//
// Why: a read-only ledger follows the writer's RocksDB index as a secondary instance. In
// RocksDB 7.8 a secondary that replayed part of the writer's WAL can keep serving that
// memtable after the writer flushed it and dropped the WAL (the writer flushes at every
// clean close), and so stay behind for good. A reader that finds the index behind the
// announced position opens the index afresh (LedgerImpl::Refresh).
//
// Format: 16 bytes, rewritten in place after each commit (pwrite, not synced: it only has
// to outlive the writer process): position (u64, little-endian), then the XXH3-64 of
// those 8 bytes, so that a read racing a write is recognised and ignored.
#pragma once

#include <memory>
#include <string>

#include "caseledger/event.h"
#include "caseledger/status.h"

namespace caseledger::store {

class CommitNotice {
 public:
  // Opens (creating) the file for the writer.
  static Result<std::unique_ptr<CommitNotice>> OpenForWriter(const std::string& path);
  ~CommitNotice();

  // Records `position` as the last published one. Best effort: a failure only costs
  // readers the early detection of a stale index.
  void Announce(Position position);

  // The last position announced in `path`; 0 if there is none or it cannot be read whole.
  static Position Read(const std::string& path);

 private:
  explicit CommitNotice(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace caseledger::store
