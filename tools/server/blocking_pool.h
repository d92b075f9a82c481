// BlockingPool: where the server's blocking calls run (appends waiting for fdatasync,
// reads that fault pages in, the projector), so that the event loop only moves messages.
//
//   BlockingPool pool(64);
//   kj::Promise<Result<AppendResult>> done =
//       pool.Run<Result<AppendResult>>([&] { return ledger.Append(request); });
//
// A job's result comes back to the event loop that called Run, as a promise fulfilled
// from the worker thread (kj's cross-thread fulfiller). Jobs run in any order, each on
// one worker; the destructor lets queued jobs finish, then joins the workers.
#pragma once

#include <kj/async.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace caseledger::server {

class BlockingPool {
 public:
  explicit BlockingPool(size_t threads);
  ~BlockingPool();
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  template <typename T>
  kj::Promise<T> Run(std::function<T()> work) {
    auto pair = kj::newPromiseAndCrossThreadFulfiller<T>();
    // std::function must be copyable; the fulfiller is not.
    auto fulfiller =
        std::make_shared<kj::Own<kj::CrossThreadPromiseFulfiller<T>>>(kj::mv(pair.fulfiller));
    Post([work = std::move(work), fulfiller] { (*fulfiller)->fulfill(work()); });
    return kj::mv(pair.promise);
  }

  // Queues `job` with no result to hand back.
  void Post(std::function<void()> job);

 private:
  void Work();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;  // guarded by mutex_
  bool stopping_ = false;                   // guarded by mutex_
  std::vector<std::thread> workers_;
};

}  // namespace caseledger::server
