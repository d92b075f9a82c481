#include "server.h"

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <kj/compat/tls.h>
#include <kj/timer.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <memory>

#include "blocking_pool.h"
#include "caseledger/checkpoint.h"
#include "caseledger/ledger.h"
#include "pem_file.h"
#include "projector_link.h"
#include "request_guard.h"
#include "session.h"

namespace caseledger::server {
namespace {

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

// --checkpoint-every: signs on a pool thread, one signature at a time, and once more at
// stop, over everything committed.
class CheckpointSigner {
 public:
  CheckpointSigner(const ServerOptions& options, Ledger& ledger)
      : options_(options), ledger_(ledger), state_(std::make_shared<State>()) {
    if (auto stored = ReadCheckpointStore(options.dir); stored.ok() && !stored->checkpoints.empty())
      state_->signed_size = stored->checkpoints.back().tree_size;
  }

  // Posts a signature to `pool` when `checkpoint_every` events were committed since the
  // last one and none is being made.
  void SignIfDue(BlockingPool& pool) {
    if (!Due(options_.checkpoint_every) || state_->busy.exchange(true)) return;
    pool.Post([state = state_, &options = options_, &ledger = ledger_] {
      Sign(*state, options, ledger);
      state->busy = false;
    });
  }

  // When nothing is appended any more (and no signature is being made): signs what was
  // committed since the last one.
  void SignAtStop() {
    if (Due(1)) Sign(*state_, options_, ledger_);
  }

 private:
  struct State {
    std::atomic<bool> busy{false};
    std::atomic<bool> failed{false};
    std::atomic<uint64_t> signed_size{0};
  };

  bool Due(uint64_t events) const {
    if (options_.signing_key.empty() || options_.checkpoint_every == 0) return false;
    if (state_->failed) return false;
    const uint64_t committed = ledger_.CommittedPosition();
    return committed > state_->signed_size && committed - state_->signed_size >= events;
  }

  static void Sign(State& state, const ServerOptions& options, Ledger& ledger) {
    auto cp = SignAndStoreCheckpoint(options.dir, ledger, options.signing_key, std::nullopt);
    if (cp.ok()) {
      state.signed_size = cp->tree_size;
      spdlog::info("serve: signed a checkpoint at size {}", cp->tree_size);
      return;
    }
    // Not retried every tick: the cause (a key file, a ledger that disagrees with its last
    // checkpoint) needs an operator.
    spdlog::error("serve: could not sign a checkpoint, and signs no more until restarted: {}",
                  cp.status().ToString());
    state.failed = true;
  }

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

  if (options.signing_key.empty() != (options.checkpoint_every == 0))
    return Status::InvalidArgument("--key and --checkpoint-every go together");
  if (!options.signing_key.empty()) {
    // A key that cannot sign is found now, not at the first checkpoint.
    if (auto inside = LedgerDirContaining(options.signing_key))
      return Status::InvalidArgument("--key " + options.signing_key +
                                     " is inside the ledger directory " + *inside +
                                     ": keep the signing key outside it");
    CASELEDGER_RETURN_IF_ERROR(
        ReadSigningKeyFile(options.signing_key).status().WithContext("--key"));
  }
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
      CASELEDGER_ASSIGN_OR_RETURN(std::string cert,
                                  client_internal::ReadPemFile(options.tls_cert, "--tls-cert"));
      CASELEDGER_ASSIGN_OR_RETURN(std::string key,
                                  client_internal::ReadPemFile(options.tls_key, "--tls-key"));
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

    // Stopping goes in this order: no new calls (the connections close), then the calls
    // already running finish (the pool drains: their appends commit), then the last
    // checkpoint is signed over everything committed.
    RequestGuard guard(**ledger);
    Authenticator auth(options.dir, **ledger);
    ServerContext context{options.dir, **ledger, guard, auth};
    context.projector = projector.get();
    context.timer = &io.provider->getTimer();
    CheckpointSigner signer(options, **ledger);
    {
      BlockingPool pool(options.threads);
      context.pool = &pool;
      capnp::TwoPartyServer rpc(NewGateway(context));
      Listener listener(rpc, *receiver, tls.get());
      auto listening = listener.Run().eagerlyEvaluate([](kj::Exception&& e) {
        spdlog::error("serve: no longer accepting connections: {}", e.getDescription().cStr());
      });
      spdlog::info("serve: {} on {}{}", options.dir, bound, tls ? " (TLS)" : "");
      on_listening(bound);
      while (!stop_requested()) {
        io.provider->getTimer().afterDelay(100 * kj::MILLISECONDS).wait(io.waitScope);
        signer.SignIfDue(pool);
      }
      spdlog::info("serve: stopping");
    }  // connections closed, then the pool joined: nothing is appended any more
    signer.SignAtStop();
  } catch (const kj::Exception& e) {
    return Status::IOError("serve " + options.listen + ": " + e.getDescription().cStr());
  }
  return Status::Ok();
}

}  // namespace caseledger::server
