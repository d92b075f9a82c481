// Reading the log as it grows: the direction of a stream read, and a subscription that
// follows the log from a position. The same for an embedded ledger (caseledger/ledger.h)
// and for a Client, embedded or remote (caseledger/client.h).
//
//   auto subscription = client->Subscribe(last_seen + 1);
//   while (true) {
//     auto events = (*subscription)->Next(500, std::chrono::seconds(1));
//     if (!events.ok()) break;                 // kCancelled: closing; remote: connection lost
//     for (const auto& e : *events) handle(e);  // each event once, in position order
//   }
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

#include "caseledger/event.h"
#include "caseledger/status.h"

namespace caseledger {
inline namespace v1 {

enum class Direction { kForward, kBackward };

class Subscription {
 public:
  virtual ~Subscription() = default;
  // Waits up to `timeout` for events after the last one returned, and returns up to
  // `max_events` of them in position order. Empty when the timeout passed first;
  // kCancelled once the ledger is closing. A remote subscription that lost its connection
  // returns an error; resume with Subscribe(last_position() + 1) on a new connection.
  virtual Result<std::vector<RecordedEvent>> Next(size_t max_events,
                                                  std::chrono::milliseconds timeout) = 0;
  // The position of the last event returned (from - 1 before the first).
  virtual Position last_position() const = 0;
};

}  // namespace v1
}  // namespace caseledger
