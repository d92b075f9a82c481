// Subscriptions read the log itself, from the mapped segments, up to the committed
// position, and sleep on CommitState between commits. There is no per-subscriber buffer
// for the writer to fill: a slow subscriber costs the writer nothing, is never dropped,
// and holds memory only for the batch it is handed.
#include <optional>

#include "ledger_impl.h"

namespace caseledger {
namespace {

// How often a read-only ledger looks for the writer's new commits (there is no
// cross-process wake-up).
constexpr auto kReadOnlyPollInterval = std::chrono::milliseconds(20);

class SubscriptionImpl final : public Subscription {
 public:
  SubscriptionImpl(LedgerImpl& ledger, Position from) : ledger_(ledger), last_(from - 1) {}

  Result<std::vector<RecordedEvent>> Next(size_t max_events,
                                          std::chrono::milliseconds timeout) override {
    std::vector<RecordedEvent> out;
    if (max_events == 0) return out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    CommitState& commits = ledger_.commits();
    while (commits.committed() <= last_) {
      if (commits.closed()) return Status::Cancelled("the ledger is closing");
      if (ledger_.read_only()) {
        CASELEDGER_RETURN_IF_ERROR(ledger_.Refresh());
        if (commits.committed() > last_) break;
        auto now = std::chrono::steady_clock::now();
        if (now >= deadline) return out;
        commits.WaitBeyond(last_, std::min(deadline, now + kReadOnlyPollInterval));
      } else if (!commits.WaitBeyond(last_, deadline)) {
        if (commits.closed()) return Status::Cancelled("the ledger is closing");
        return out;
      }
    }
    const Position last = std::min<Position>(commits.committed(), last_ + max_events);
    if (!cursor_) {
      CASELEDGER_ASSIGN_OR_RETURN(auto cursor, ledger_.CursorAt(last_ + 1));
      cursor_.emplace(std::move(cursor));
    }
    out.reserve(static_cast<size_t>(last - last_));
    EventView view;
    while (true) {
      auto more = cursor_->Next(last, view);
      if (!more.ok()) {
        // Deliver nothing of a failed batch, and start over from the last event handed
        // out, so that a retry after the cause is gone loses nothing.
        cursor_.reset();
        return more.status();
      }
      if (!*more) break;
      out.push_back(view.ToRecordedEvent());
    }
    if (!out.empty()) last_ = out.back().position;
    return out;
  }

  Position last_position() const override { return last_; }

 private:
  LedgerImpl& ledger_;
  Position last_;
  std::optional<log::LogCursor> cursor_;
};

}  // namespace

Result<std::unique_ptr<Subscription>> LedgerImpl::Subscribe(Position from) {
  if (from == 0) return Status::InvalidArgument("positions start at 1");
  return std::unique_ptr<Subscription>(new SubscriptionImpl(*this, from));
}

}  // namespace caseledger
