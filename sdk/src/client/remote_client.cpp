// The remote caseledger::Client: a Cap'n Proto RPC connection to `caseledger serve`
// (sdk/schema/rpc.capnp), plain on loopback or TLS (kj-tls), authenticated once per
// connection with the worker's token. Every call waits on this thread's event loop.
#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <kj/compat/tls.h>

#include <algorithm>

#include "caseledger/client.h"
#include "event_loop.h"
#include "pem_file.h"
#include "rpc_codec.h"

namespace caseledger {
inline namespace v1 {
namespace {

using rpc_codec::FromRpc;
using rpc_codec::ToRpc;

// A call that failed in transport, not in the ledger.
Status CallFailed(const kj::Exception& e, const std::string& address) {
  if (e.getType() == kj::Exception::Type::DISCONNECTED)
    return Status::IOError("the connection to " + address +
                           " was lost: " + e.getDescription().cStr());
  return Status::IOError("server " + address + ": " + e.getDescription().cStr());
}

// One connection, on the event loop of the thread that made it.
struct Connection {
  // Declared first, so destroyed last: everything below lives on its loop.
  std::shared_ptr<kj::AsyncIoContext> loop = client_internal::ThisThreadsEventLoop();
  kj::AsyncIoContext& io = *loop;
  kj::Own<kj::TlsContext> tls;
  kj::Own<kj::AsyncIoStream> stream;
  kj::Own<capnp::TwoPartyClient> rpc;
  rpc::Session::Client session = nullptr;
  std::string address;
};

class RemoteSubscription final : public Subscription {
 public:
  RemoteSubscription(Connection& connection, rpc::EventSubscription::Client subscription,
                     Position from)
      : connection_(connection),
        subscription_(std::make_unique<rpc::EventSubscription::Client>(kj::mv(subscription))),
        last_(from - 1) {}

  Result<std::vector<RecordedEvent>> Next(size_t max_events,
                                          std::chrono::milliseconds timeout) override {
    try {
      auto request = subscription_->nextRequest();
      request.setMaxEvents(static_cast<uint32_t>(std::min<size_t>(max_events, UINT32_MAX)));
      request.setTimeoutMillis(
          static_cast<uint32_t>(std::clamp<int64_t>(timeout.count(), 0, 30'000)));
      auto response = request.send().wait(connection_.io.waitScope);
      CASELEDGER_RETURN_IF_ERROR(FromRpc(response.getStatus()));
      CASELEDGER_ASSIGN_OR_RETURN(auto events, FromRpc(response.getEvents()));
      for (const RecordedEvent& e : events) {
        if (e.position != last_ + 1)
          return Status::Corruption("the server sent position " + std::to_string(e.position) +
                                    " after " + std::to_string(last_));
        last_ = e.position;
      }
      return events;
    } catch (const kj::Exception& e) {
      return CallFailed(e, connection_.address);
    }
  }

  Position last_position() const override { return last_; }

 private:
  Connection& connection_;
  // Behind a pointer: a capability's destructor may throw, which a Subscription's may not.
  std::unique_ptr<rpc::EventSubscription::Client> subscription_;
  Position last_;
};

class RemoteClient final : public Client {
 public:
  explicit RemoteClient(std::unique_ptr<Connection> connection)
      : connection_(std::move(connection)) {}

  Result<ClientIdentity> WhoAmI() override {
    return Call([&]() -> Result<ClientIdentity> {
      auto response = Session().whoAmIRequest().send().wait(Wait());
      CASELEDGER_RETURN_IF_ERROR(FromRpc(response.getStatus()));
      return FromRpc(response.getIdentity());
    });
  }

  Result<AppendResult> Append(const AppendRequest& request) override {
    CASELEDGER_ASSIGN_OR_RETURN(auto results, AppendBatch(std::span(&request, 1)));
    return results.front();
  }

  Result<std::vector<AppendResult>> AppendBatch(std::span<const AppendRequest> requests) override {
    return Call([&]() -> Result<std::vector<AppendResult>> {
      auto call = Session().appendRequest();
      auto list = call.initRequests(static_cast<unsigned>(requests.size()));
      for (unsigned i = 0; i < requests.size(); ++i) ToRpc(requests[i], list[i]);
      auto response = call.send().wait(Wait());
      CASELEDGER_RETURN_IF_ERROR(FromRpc(response.getStatus()));
      std::vector<AppendResult> out;
      for (auto r : response.getResults()) out.push_back(FromRpc(r));
      if (out.size() != requests.size())
        return Status::IOError("the server answered " + std::to_string(out.size()) +
                               " results for " + std::to_string(requests.size()) + " requests");
      return out;
    });
  }

  Result<StreamVersion> GetStreamVersion(std::string_view stream) override {
    return Call([&]() -> Result<StreamVersion> {
      auto call = Session().streamVersionRequest();
      call.setStream(Text(std::string(stream)));
      auto response = call.send().wait(Wait());
      CASELEDGER_RETURN_IF_ERROR(FromRpc(response.getStatus()));
      return response.getVersion();
    });
  }

  Result<std::vector<RecordedEvent>> ReadStream(std::string_view stream, StreamVersion from,
                                                Direction direction, size_t limit,
                                                std::string_view purpose) override {
    return Call([&]() -> Result<std::vector<RecordedEvent>> {
      auto call = Session().readStreamRequest();
      call.setStream(Text(std::string(stream)));
      call.setFrom(from);
      call.setBackward(direction == Direction::kBackward);
      call.setLimit(static_cast<uint32_t>(std::min<size_t>(limit, UINT32_MAX)));
      call.setPurpose(Text(std::string(purpose)));
      auto response = call.send().wait(Wait());
      CASELEDGER_RETURN_IF_ERROR(FromRpc(response.getStatus()));
      return FromRpc(response.getEvents());
    });
  }

  Result<CaseHistoryAsOf> ReadCaseHistory(std::string_view case_stream, std::string_view purpose,
                                          const AsOf& as_of) override {
    return Call([&]() -> Result<CaseHistoryAsOf> {
      auto call = Session().readCaseHistoryRequest();
      call.setStream(Text(std::string(case_stream)));
      call.setPurpose(Text(std::string(purpose)));
      ToRpc(as_of, call.initAsOf());
      auto response = call.send().wait(Wait());
      CASELEDGER_RETURN_IF_ERROR(FromRpc(response.getStatus()));
      return FromRpc(response.getHistory());
    });
  }

  Result<std::string> ReadRecord(Position position) override {
    return Call([&]() -> Result<std::string> {
      auto call = Session().readRecordRequest();
      call.setPosition(position);
      auto response = call.send().wait(Wait());
      CASELEDGER_RETURN_IF_ERROR(FromRpc(response.getStatus()));
      auto record = response.getRecord();
      return std::string(reinterpret_cast<const char*>(record.begin()), record.size());
    });
  }

  Result<std::vector<RecordedEvent>> ReadAll(Position from, size_t limit) override {
    return Call([&]() -> Result<std::vector<RecordedEvent>> {
      auto call = Session().readAllRequest();
      call.setFrom(from);
      call.setLimit(static_cast<uint32_t>(std::min<size_t>(limit, UINT32_MAX)));
      auto response = call.send().wait(Wait());
      CASELEDGER_RETURN_IF_ERROR(FromRpc(response.getStatus()));
      return FromRpc(response.getEvents());
    });
  }

  Result<std::unique_ptr<Subscription>> Subscribe(Position from) override {
    return Call([&]() -> Result<std::unique_ptr<Subscription>> {
      auto call = Session().subscribeRequest();
      call.setFrom(from);
      auto response = call.send().wait(Wait());
      CASELEDGER_RETURN_IF_ERROR(FromRpc(response.getStatus()));
      return std::unique_ptr<Subscription>(
          new RemoteSubscription(*connection_, response.getSubscription(), from));
    });
  }

  Result<QueryTable> Query(
      std::string_view plugin, std::string_view query,
      const std::vector<std::pair<std::string, std::string>>& params) override {
    return Call([&]() -> Result<QueryTable> {
      auto call = Session().queryRequest();
      call.setPlugin(Text(std::string(plugin)));
      call.setQuery(Text(std::string(query)));
      auto list = call.initParams(static_cast<unsigned>(params.size()));
      for (unsigned i = 0; i < params.size(); ++i) {
        list[i].setName(params[i].first);
        list[i].setValue(params[i].second);
      }
      auto response = call.send().wait(Wait());
      CASELEDGER_RETURN_IF_ERROR(FromRpc(response.getStatus()));
      return FromRpc(response.getResult());
    });
  }

  Result<TreeHead> GetTreeHead() override { return TreeHeadCall(true, 0); }
  Result<TreeHead> GetTreeHeadAt(uint64_t size) override { return TreeHeadCall(false, size); }

  Result<InclusionProof> ProveInclusion(Position position, uint64_t tree_size) override {
    return Call([&]() -> Result<InclusionProof> {
      auto call = Session().proveInclusionRequest();
      call.setPosition(position);
      call.setTreeSize(tree_size);
      auto response = call.send().wait(Wait());
      CASELEDGER_RETURN_IF_ERROR(FromRpc(response.getStatus()));
      InclusionProof proof;
      proof.leaf_index = response.getProof().getFirst();
      proof.tree_size = response.getProof().getSecond();
      CASELEDGER_ASSIGN_OR_RETURN(proof.path, rpc_codec::PathFromRpc(response.getProof()));
      return proof;
    });
  }

  Result<ConsistencyProof> ProveConsistency(uint64_t first_size, uint64_t second_size) override {
    return Call([&]() -> Result<ConsistencyProof> {
      auto call = Session().proveConsistencyRequest();
      call.setFirstSize(first_size);
      call.setSecondSize(second_size);
      auto response = call.send().wait(Wait());
      CASELEDGER_RETURN_IF_ERROR(FromRpc(response.getStatus()));
      ConsistencyProof proof;
      proof.first_size = response.getProof().getFirst();
      proof.second_size = response.getProof().getSecond();
      CASELEDGER_ASSIGN_OR_RETURN(proof.path, rpc_codec::PathFromRpc(response.getProof()));
      return proof;
    });
  }

  Result<ErasureResult> EraseChild(std::string_view child_ref, std::string_view reason) override {
    return Call([&]() -> Result<ErasureResult> {
      auto call = Session().eraseChildRequest();
      call.setChildRef(Text(std::string(child_ref)));
      call.setReason(Text(std::string(reason)));
      auto response = call.send().wait(Wait());
      CASELEDGER_RETURN_IF_ERROR(FromRpc(response.getStatus()));
      ErasureResult result;
      for (auto stream : response.getStreams()) result.streams.emplace_back(stream);
      result.already_erased = response.getAlreadyErased();
      return result;
    });
  }

  Result<std::string> LatestCheckpoint() override {
    return Call([&]() -> Result<std::string> {
      auto response = Session().latestCheckpointRequest().send().wait(Wait());
      CASELEDGER_RETURN_IF_ERROR(FromRpc(response.getStatus()));
      return std::string(response.getCheckpoint());
    });
  }

 private:
  // capnp's Text must be NUL-terminated; a string_view need not be (nor even non-null).
  static capnp::Text::Reader Text(const std::string& s) { return {s.c_str(), s.size()}; }
  rpc::Session::Client& Session() { return connection_->session; }
  kj::WaitScope& Wait() { return connection_->io.waitScope; }

  // Runs one call, turning transport failures into kIOError.
  template <typename F>
  auto Call(F&& call) -> decltype(call()) {
    try {
      return call();
    } catch (const kj::Exception& e) {
      return CallFailed(e, connection_->address);
    }
  }

  Result<TreeHead> TreeHeadCall(bool latest, uint64_t size) {
    return Call([&]() -> Result<TreeHead> {
      auto call = Session().treeHeadRequest();
      call.setLatest(latest);
      call.setAtSize(size);
      auto response = call.send().wait(Wait());
      CASELEDGER_RETURN_IF_ERROR(FromRpc(response.getStatus()));
      return FromRpc(response.getHead());
    });
  }

  std::unique_ptr<Connection> connection_;
};

}  // namespace

Result<std::unique_ptr<Client>> ConnectClient(const RemoteOptions& options) {
  if (options.address.empty())
    return Status::InvalidArgument("the server address is empty (HOST:PORT or unix:PATH)");
  auto connection = std::make_unique<Connection>();
  connection->address = options.address;
  try {
    auto& network = connection->io.provider->getNetwork();
    auto address = network.parseAddress(options.address, 7400).wait(connection->io.waitScope);
    connection->stream = address->connect().wait(connection->io.waitScope);
    if (!options.tls_ca_file.empty()) {
      CASELEDGER_ASSIGN_OR_RETURN(
          std::string pem, client_internal::ReadPemFile(options.tls_ca_file, "the TLS CA file"));
      kj::TlsCertificate ca(kj::StringPtr(pem.c_str()));
      kj::TlsContext::Options tls_options;
      tls_options.useSystemTrustStore = false;
      tls_options.trustedCertificates = kj::arrayPtr(&ca, 1);
      connection->tls = kj::heap<kj::TlsContext>(kj::mv(tls_options));
      std::string host = options.address.substr(0, options.address.rfind(':'));
      connection->stream = connection->tls->wrapClient(kj::mv(connection->stream), host.c_str())
                               .wait(connection->io.waitScope);
    }
    connection->rpc = kj::heap<capnp::TwoPartyClient>(*connection->stream);
    auto gateway = connection->rpc->bootstrap().castAs<rpc::Gateway>();
    auto call = gateway.authenticateRequest();
    call.setToken(options.token);
    auto response = call.send().wait(connection->io.waitScope);
    CASELEDGER_RETURN_IF_ERROR(FromRpc(response.getStatus()));
    connection->session = response.getSession();
  } catch (const kj::Exception& e) {
    return Status::IOError("cannot connect to " + options.address + ": " +
                           e.getDescription().cStr());
  }
  return std::unique_ptr<Client>(new RemoteClient(std::move(connection)));
}

}  // namespace v1
}  // namespace caseledger
