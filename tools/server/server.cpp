#include "server.h"

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <kj/compat/tls.h>
#include <kj/timer.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <sstream>

#include "blocking_pool.h"
#include "caseledger/checkpoint.h"
#include "caseledger/ledger.h"
#include "projector_link.h"
#include "request_guard.h"
#include "session.h"

namespace caseledger::server {
namespace {

Result<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(std::string(what) + " " + path + " cannot be read");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// True for addresses only this machine can reach: a Unix socket, 127.0.0.0/8, ::1,
// localhost.
bool IsLoopback(const std::string& listen) {
  if (listen.starts_with("unix:")) return true;
  std::string host = listen.substr(0, listen.rfind(':'));
  if (host.starts_with("[") && host.ends_with("]")) host = host.substr(1, host.size() - 2);
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

// Accepts connections one by one; a connection whose TLS handshake fails is logged and
// dropped without disturbing the others.
class Listener final : private kj::TaskSet::ErrorHandler {
 public:
  Listener(capnp::TwoPartyServer& rpc, kj::ConnectionReceiver& receiver, kj::TlsContext* tls)
      : rpc_(rpc), receiver_(receiver), tls_(tls), tasks_(*this) {}

  kj::Promise<void> Run() {
    return receiver_.accept().then([this](kj::Own<kj::AsyncIoStream>&& stream) {
      if (tls_ == nullptr) {
        rpc_.accept(kj::mv(stream));
      } else {
        tasks_.add(tls_->wrapServer(kj::mv(stream)).then([this](kj::Own<kj::AsyncIoStream>&& s) {
          rpc_.accept(kj::mv(s));
        }));
      }
      return Run();
    });
  }

 private:
  void taskFailed(kj::Exception&& e) override {
    spdlog::warn("serve: a connection failed to open: {}", e.getDescription().cStr());
  }
  capnp::TwoPartyServer& rpc_;
  kj::ConnectionReceiver& receiver_;
  kj::TlsContext* tls_;
  kj::TaskSet tasks_;
};

// --checkpoint-every: signs on a pool thread, one signature at a time.
class CheckpointSigner {
 public:
  CheckpointSigner(const ServerOptions& options, Ledger& ledger)
      : options_(options), ledger_(ledger), state_(std::make_shared<State>()) {
    if (auto stored = ReadCheckpointStore(options.dir); stored.ok() && !stored->checkpoints.empty())
      state_->signed_size = stored->checkpoints.back().tree_size;
  }

  void SignIfDue(BlockingPool& pool, bool stopping) {
    if (options_.signing_key.empty() || options_.checkpoint_every == 0) return;
    const uint64_t committed = ledger_.CommittedPosition();
    if (state_->busy.load() || state_->failed.load()) return;
    if (committed <= state_->signed_size) return;
    if (!stopping && committed - state_->signed_size < options_.checkpoint_every) return;
    state_->busy = true;
    auto work = [state = state_, &options = options_, &ledger = ledger_] {
      auto cp = SignAndStoreCheckpoint(options.dir, ledger, options.signing_key, std::nullopt);
      if (cp.ok()) {
        state->signed_size = cp->tree_size;
        spdlog::info("serve: signed a checkpoint at size {}", cp->tree_size);
      } else {
        // Not retried every tick: the cause (a key file, a ledger that disagrees with its
        // last checkpoint) needs an operator.
        spdlog::error("serve: could not sign a checkpoint, and signs no more until restarted: {}",
                      cp.status().ToString());
        state->failed = true;
      }
      state->busy = false;
    };
    if (stopping)
      work();  // the pool is about to stop; sign here, before the ledger closes
    else
      pool.Post(work);
  }

 private:
  struct State {
    std::atomic<bool> busy{false};
    std::atomic<bool> failed{false};
    std::atomic<uint64_t> signed_size{0};
  };
  const ServerOptions& options_;
  Ledger& ledger_;
  std::shared_ptr<State> state_;
};

}  // namespace

Status RunServer(const ServerOptions& options, const std::function<bool()>& stop_requested,
                 const std::function<void(const std::string&)>& on_listening) {
  const bool tls_wanted = !options.tls_cert.empty() || !options.tls_key.empty();
  if (tls_wanted && (options.tls_cert.empty() || options.tls_key.empty()))
    return Status::InvalidArgument("TLS needs both --tls-cert and --tls-key");
  if (!tls_wanted && !IsLoopback(options.listen))
    return Status::InvalidArgument(
        "--listen " + options.listen +
        " is reachable from other machines: give --tls-cert and --tls-key, or listen on "
        "127.0.0.1 (personal fields travel in clear over the connection)");

  LedgerOptions ledger_options;
  ledger_options.master_key_file = options.master_key_file;
  auto ledger = Ledger::Open(options.dir, ledger_options);
  if (!ledger.ok()) return ledger.status().WithContext("opening " + options.dir);

  std::unique_ptr<ProjectorLink> projector;
  if (!options.projector_argv.empty()) {
    projector = std::make_unique<ProjectorLink>(options.dir, options.projector_argv);
    CASELEDGER_RETURN_IF_ERROR(projector->Start());
  }

  try {
    auto io = kj::setupAsyncIo();
    kj::Own<kj::TlsContext> tls;
    if (tls_wanted) {
      CASELEDGER_ASSIGN_OR_RETURN(std::string cert, ReadPem(options.tls_cert, "--tls-cert"));
      CASELEDGER_ASSIGN_OR_RETURN(std::string key, ReadPem(options.tls_key, "--tls-key"));
      kj::TlsKeypair keypair{kj::TlsPrivateKey(kj::StringPtr(key.c_str())),
                             kj::TlsCertificate(kj::StringPtr(cert.c_str()))};
      kj::TlsContext::Options tls_options;
      tls_options.defaultKeypair = keypair;
      tls = kj::heap<kj::TlsContext>(kj::mv(tls_options));
    }
    auto address = io.provider->getNetwork().parseAddress(options.listen, 7400).wait(io.waitScope);
    auto receiver = address->listen();
    std::string bound = options.listen;
    if (!options.listen.starts_with("unix:"))
      bound = options.listen.substr(0, options.listen.rfind(':') + 1) +
              std::to_string(receiver->getPort());

    // Destroyed in reverse: connections first, then the pool (its jobs still see the
    // context and the guard), then the rest.
    RequestGuard guard(**ledger);
    ServerContext context{options.dir, **ledger, guard};
    context.projector = projector.get();
    context.timer = &io.provider->getTimer();
    BlockingPool pool(options.threads);
    context.pool = &pool;
    {
      capnp::TwoPartyServer rpc(NewGateway(context));
      Listener listener(rpc, *receiver, tls.get());
      auto listening = listener.Run().eagerlyEvaluate([](kj::Exception&& e) {
        spdlog::error("serve: no longer accepting connections: {}", e.getDescription().cStr());
      });
      spdlog::info("serve: {} on {}{}", options.dir, bound, tls ? " (TLS)" : "");
      on_listening(bound);
      CheckpointSigner signer(options, **ledger);
      while (!stop_requested()) {
        io.provider->getTimer().afterDelay(100 * kj::MILLISECONDS).wait(io.waitScope);
        signer.SignIfDue(pool, /*stopping=*/false);
      }
      spdlog::info("serve: stopping");
      signer.SignIfDue(pool, /*stopping=*/true);
    }
  } catch (const kj::Exception& e) {
    return Status::IOError("serve " + options.listen + ": " + e.getDescription().cStr());
  }
  return Status::Ok();
}

}  // namespace caseledger::server
