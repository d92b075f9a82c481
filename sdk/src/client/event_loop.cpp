#include "event_loop.h"

namespace caseledger::client_internal {

std::shared_ptr<kj::AsyncIoContext> ThisThreadsEventLoop() {
  thread_local std::weak_ptr<kj::AsyncIoContext> current;
  auto io = current.lock();
  if (!io) {
    io = std::make_shared<kj::AsyncIoContext>(kj::setupAsyncIo());
    current = io;
  }
  return io;
}

}  // namespace caseledger::client_internal
