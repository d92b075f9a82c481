// CrashMarker: which plugin the projector was running when it died.
//
// Before every call into plugin code the projector writes "<plugin> <position>" to
// DIR/run/projector.inflight and clears it after the call returns. A process that dies
// inside the call (a segfault, an abort, kill -9) leaves the file behind: the next
// projector reads it at start and charges the crash to that plugin. The file is not
// fsync'd: it must survive the process, not the machine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "caseledger/status.h"

namespace caseledger::projector {

class CrashMarker {
 public:
  struct Entry {
    std::string plugin;
    uint64_t position = 0;  // the last position of the batch being applied (0: init / query)
  };

  // Opens (creating) the marker file; `left_over` receives what a dead projector left.
  static Result<CrashMarker> Open(const std::string& path, std::optional<Entry>& left_over);
  CrashMarker(CrashMarker&& other) noexcept;
  CrashMarker& operator=(CrashMarker&&) = delete;
  ~CrashMarker();

  void Enter(const std::string& plugin, uint64_t position);
  void Leave();

 private:
  explicit CrashMarker(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace caseledger::projector
