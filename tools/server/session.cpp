#include "session.h"

#include <kj/timer.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>

#include "access_policy.h"
#include "caseledger/case_events.h"
#include "caseledger/checkpoint.h"
#include "caseledger/read_record.h"
#include "rpc_codec.h"
#include "schema/rpc.capnp.h"

namespace caseledger::server {
namespace {

using rpc_codec::FromRpc;
using rpc_codec::ToRpc;

// The most events one read or one subscription step returns.
constexpr size_t kMaxEventsPerAnswer = 10'000;
// The most bytes of events one answer carries: well inside Cap'n Proto's 64 MiB message
// limit (which neither side can pass), with room for the encoding around them.
constexpr size_t kMaxAnswerBytes = 48u << 20;

// What `e` adds to an answer, near enough: its fields and a bound on their framing.
size_t AnswerBytes(const RecordedEvent& e) {
  const ProposedEvent& p = e.event;
  return 256 + e.stream.size() + e.recorded_by.size() + p.type.size() + p.actor.user.size() +
         p.actor.role.size() + p.actor.agency.size() + p.correction_reason.size() +
         p.payload.size();
}

// How many of `events`, from the first, fit in one answer: at least one (a single event
// is at most the ledger's payload limit, far below the message limit).
size_t FittingInAnswer(const std::vector<RecordedEvent>& events) {
  size_t bytes = 0, n = 0;
  for (const RecordedEvent& e : events) {
    bytes += AnswerBytes(e);
    if (n > 0 && bytes > kMaxAnswerBytes) break;
    ++n;
  }
  return n;
}

// Keeps the events that fit in one answer; the caller asks again from the next.
void TrimToAnswer(std::vector<RecordedEvent>& events) { events.resize(FittingInAnswer(events)); }

// Personal fields in clear where the grant says the worker may see them (DOMAIN.md's
// roles x operations table), redacted otherwise: no ciphertext leaves the server but in
// readRecord's raw records, which proofs need.
Status ShowPersonalFields(Ledger& ledger, const StreamReadGrant& grant,
                          std::span<RecordedEvent> events) {
  if (!grant.open_personal) return ledger.RedactPersonalFields(events);
  OpenPersonalFieldsWherePossible(ledger, events);
  return Status::Ok();
}

// How often a waiting subscription looks for new events, and the longest wait asked.
constexpr auto kSubscriptionPoll = std::chrono::milliseconds(5);
constexpr uint32_t kMaxWaitMillis = 30'000;

Actor ActorOf(const Principal& who) {
  return Actor{who.worker_id, std::string(RoleName(who.role)), who.agency};
}

template <typename Results>
void Fail(Results results, const Status& status) {
  ToRpc(status, results.initStatus());
}

// The events of a Next, waited for on the event loop (a pool thread is never parked on an
// idle subscription): the subscription is asked without waiting, and again after each
// poll interval until the deadline.
class EventSubscriptionImpl final : public rpc::EventSubscription::Server {
 public:
  EventSubscriptionImpl(ServerContext& context, std::string token,
                        std::unique_ptr<Subscription> subscription)
      : context_(context),
        token_(std::move(token)),
        state_(std::make_shared<State>(std::move(subscription))) {}

  kj::Promise<void> next(NextContext call) override {
    auto params = call.getParams();
    if (params.getMaxEvents() == 0) return kj::READY_NOW;  // none asked: none given, none lost
    const size_t max = std::min<size_t>(params.getMaxEvents(), kMaxEventsPerAnswer);
    const auto deadline =
        std::chrono::steady_clock::now() +
        std::chrono::milliseconds(std::min(params.getTimeoutMillis(), kMaxWaitMillis));
    return Poll(call, max, deadline, /*first=*/true);
  }

 private:
  struct State {
    explicit State(std::unique_ptr<Subscription> s) : subscription(std::move(s)) {}
    std::mutex mutex;  // a client may send the next `next` before the last one is answered
    std::unique_ptr<Subscription> subscription;
    // Taken from the subscription but not yet sent (an answer full): sent first next time.
    std::vector<RecordedEvent> pending;
  };

  kj::Promise<void> Poll(NextContext call, size_t max,
                         std::chrono::steady_clock::time_point deadline, bool first) {
    auto state = state_;
    auto& context = context_;
    const std::string token = first ? token_ : std::string();
    auto step = context_.pool->Run<Result<std::vector<RecordedEvent>>>(
        [state, &context, token, max]() -> Result<std::vector<RecordedEvent>> {
          if (!token.empty()) {  // each call authenticates again; the polls of one need not
            CASELEDGER_ASSIGN_OR_RETURN(Principal who, context.auth.Authenticate(token));
            CASELEDGER_RETURN_IF_ERROR(context.guard.CheckReadAll(who));
          }
          std::lock_guard lock(state->mutex);
          if (state->pending.empty()) {
            CASELEDGER_ASSIGN_OR_RETURN(
                state->pending, state->subscription->Next(max, std::chrono::milliseconds(0)));
          }
          // Whole-log readers see no personal field (redacting twice changes nothing).
          CASELEDGER_RETURN_IF_ERROR(context.ledger.RedactPersonalFields(state->pending));
          const size_t n = std::min(max, FittingInAnswer(state->pending));
          std::vector<RecordedEvent> answer(std::make_move_iterator(state->pending.begin()),
                                            std::make_move_iterator(state->pending.begin() + n));
          state->pending.erase(state->pending.begin(), state->pending.begin() + n);
          return answer;
        });
    return step.then([this, call, max, deadline](
                         Result<std::vector<RecordedEvent>> events) mutable -> kj::Promise<void> {
      auto results = call.getResults();
      if (!events.ok()) {
        Fail(results, events.status());
        return kj::READY_NOW;
      }
      if (events->empty() && std::chrono::steady_clock::now() < deadline) {
        return context_.timer->afterDelay(kSubscriptionPoll.count() * kj::MILLISECONDS)
            .then([this, call, max, deadline]() mutable {
              return Poll(call, max, deadline, /*first=*/false);
            });
      }
      ToRpc(*events, results.initEvents(static_cast<unsigned>(events->size())));
      return kj::READY_NOW;
    });
  }

  ServerContext& context_;
  std::string token_;
  std::shared_ptr<State> state_;
};

class SessionImpl final : public rpc::Session::Server {
 public:
  SessionImpl(ServerContext& context, std::string token)
      : context_(context), token_(std::move(token)) {}

  kj::Promise<void> whoAmI(WhoAmIContext call) override {
    return Blocking<Principal>(
        call, [](ServerContext&, const Principal& who) -> Result<Principal> { return who; },
        [ledger_id = context_.ledger.LedgerId()](WhoAmIContext& c, const Principal& who) {
          ToRpc(ClientIdentity{who.RecordedBy(), std::string(RoleName(who.role)), who.location_code,
                               who.agency, ledger_id},
                c.getResults().initIdentity());
        });
  }

  kj::Promise<void> append(AppendContext call) override {
    std::vector<AppendRequest> requests;
    for (auto r : call.getParams().getRequests()) {
      auto request = FromRpc(r);
      if (!request.ok()) {
        Fail(call.getResults(),
             request.status().WithContext("request " + std::to_string(requests.size())));
        return kj::READY_NOW;
      }
      requests.push_back(std::move(*request));
    }
    if (requests.empty()) {
      Fail(call.getResults(), Status::InvalidArgument("an append of no requests"));
      return kj::READY_NOW;
    }
    return Blocking<std::vector<AppendResult>>(
        call,
        [requests = std::move(requests)](ServerContext& context, const Principal& who) {
          return context.guard.Append(who, requests);
        },
        [](AppendContext& c, const std::vector<AppendResult>& results) {
          auto list = c.getResults().initResults(static_cast<unsigned>(results.size()));
          for (unsigned i = 0; i < results.size(); ++i) ToRpc(results[i], list[i]);
        });
  }

  kj::Promise<void> streamVersion(StreamVersionContext call) override {
    std::string stream = call.getParams().getStream();
    return Blocking<StreamVersion>(
        call,
        [stream](ServerContext& context, const Principal& who) -> Result<StreamVersion> {
          // A stream's length says little, but only to those who may read the stream.
          CASELEDGER_RETURN_IF_ERROR(
              context.guard.CheckStreamRead(who, stream, std::nullopt).status());
          return context.ledger.GetStreamVersion(stream);
        },
        [](StreamVersionContext& c, StreamVersion v) { c.getResults().setVersion(v); });
  }

  kj::Promise<void> readStream(ReadStreamContext call) override {
    auto p = call.getParams();
    std::string stream = p.getStream(), purpose = p.getPurpose();
    const StreamVersion from = p.getFrom();
    const Direction direction = p.getBackward() ? Direction::kBackward : Direction::kForward;
    const size_t limit = std::min<size_t>(p.getLimit(), kMaxEventsPerAnswer);
    return Blocking<std::vector<RecordedEvent>>(
        call,
        [stream, purpose, from, direction, limit](
            ServerContext& context, const Principal& who) -> Result<std::vector<RecordedEvent>> {
          CASELEDGER_ASSIGN_OR_RETURN(
              StreamReadGrant grant,
              context.guard.CheckStreamRead(who, stream, std::string_view(purpose)));
          if (grant.record_read)
            CASELEDGER_RETURN_IF_ERROR(RecordCaseHistoryRead(context.ledger, stream, purpose,
                                                             ActorOf(who), who.RecordedBy())
                                           .status());
          CASELEDGER_ASSIGN_OR_RETURN(auto events,
                                      context.ledger.ReadStream(stream, from, direction, limit));
          TrimToAnswer(events);
          CASELEDGER_RETURN_IF_ERROR(ShowPersonalFields(context.ledger, grant, events));
          return events;
        },
        [](ReadStreamContext& c, const std::vector<RecordedEvent>& events) {
          ToRpc(events, c.getResults().initEvents(static_cast<unsigned>(events.size())));
        });
  }

  kj::Promise<void> readCaseHistory(ReadCaseHistoryContext call) override {
    auto p = call.getParams();
    std::string stream = p.getStream(), purpose = p.getPurpose();
    const AsOf as_of = FromRpc(p.getAsOf());
    return Blocking<CaseHistoryAsOf>(
        call,
        [stream, purpose, as_of](ServerContext& context,
                                 const Principal& who) -> Result<CaseHistoryAsOf> {
          if (!IsCaseStream(stream))
            return Status::InvalidArgument("\"" + stream +
                                           "\" is not a case stream (case-<id>, e.g. case-00042)");
          CASELEDGER_ASSIGN_OR_RETURN(
              StreamReadGrant grant,
              context.guard.CheckStreamRead(who, stream, std::string_view(purpose)));
          // One answer carries the whole history: refused before the read is recorded
          // if it cannot.
          auto fits = [](const CaseHistoryAsOf& h) {
            size_t bytes = 0;
            for (const RecordedEvent& e : h.events) bytes += AnswerBytes(e);
            for (const RecordedEvent& e : h.reads) bytes += AnswerBytes(e);
            if (bytes <= kMaxAnswerBytes) return Status::Ok();
            return Status::InvalidArgument(
                h.stream + "'s history as of position " + std::to_string(h.position) + " is " +
                std::to_string(bytes >> 20) + " MiB, more than one answer carries (" +
                std::to_string(kMaxAnswerBytes >> 20) +
                " MiB); ask as of an earlier position, or read the stream in pages");
          };
          CASELEDGER_ASSIGN_OR_RETURN(
              auto history, ReadCaseHistory(context.ledger, stream, purpose, as_of, ActorOf(who),
                                            who.RecordedBy(), fits));
          CASELEDGER_RETURN_IF_ERROR(ShowPersonalFields(context.ledger, grant, history.events));
          return history;
        },
        [](ReadCaseHistoryContext& c, const CaseHistoryAsOf& history) {
          ToRpc(history, c.getResults().initHistory());
        });
  }

  kj::Promise<void> readRecord(ReadRecordContext call) override {
    const Position position = call.getParams().getPosition();
    return Blocking<std::string>(
        call,
        [position](ServerContext& context, const Principal& who) -> Result<std::string> {
          CASELEDGER_RETURN_IF_ERROR(context.guard.CheckReadAll(who));
          return ReadRecord(context.ledger, position);
        },
        [](ReadRecordContext& c, const std::string& record) {
          c.getResults().setRecord(capnp::Data::Reader(
              reinterpret_cast<const capnp::byte*>(record.data()), record.size()));
        });
  }

  kj::Promise<void> readAll(ReadAllContext call) override {
    const Position from = call.getParams().getFrom();
    const size_t limit = std::min<size_t>(call.getParams().getLimit(), kMaxEventsPerAnswer);
    return Blocking<std::vector<RecordedEvent>>(
        call,
        [from, limit](ServerContext& context,
                      const Principal& who) -> Result<std::vector<RecordedEvent>> {
          CASELEDGER_RETURN_IF_ERROR(context.guard.CheckReadAll(who));
          CASELEDGER_ASSIGN_OR_RETURN(auto events, context.ledger.ReadAll(from, limit));
          TrimToAnswer(events);
          CASELEDGER_RETURN_IF_ERROR(context.ledger.RedactPersonalFields(events));
          return events;
        },
        [](ReadAllContext& c, const std::vector<RecordedEvent>& events) {
          ToRpc(events, c.getResults().initEvents(static_cast<unsigned>(events.size())));
        });
  }

  kj::Promise<void> subscribe(SubscribeContext call) override {
    const Position from = call.getParams().getFrom();
    auto opened = std::make_shared<std::unique_ptr<Subscription>>();
    return Blocking<bool>(
        call,
        [from, opened](ServerContext& context, const Principal& who) -> Result<bool> {
          CASELEDGER_RETURN_IF_ERROR(context.guard.CheckReadAll(who));
          CASELEDGER_ASSIGN_OR_RETURN(*opened, context.ledger.Subscribe(from));
          return true;
        },
        [this, opened](SubscribeContext& c, bool) {
          c.getResults().setSubscription(
              kj::heap<EventSubscriptionImpl>(context_, token_, std::move(*opened)));
        });
  }

  kj::Promise<void> query(QueryContext call) override {
    auto p = call.getParams();
    std::string plugin = p.getPlugin(), query = p.getQuery();
    std::vector<std::pair<std::string, std::string>> params;
    std::string asked_prefix;
    for (auto param : p.getParams()) {
      if (param.getName() == "prefix")
        asked_prefix = param.getValue();
      else
        params.emplace_back(param.getName(), param.getValue());
    }
    if (!context_.projector) {
      Fail(call.getResults(),
           Status::NotFound("this server runs without a projector (no plugins)"));
      return kj::READY_NOW;
    }
    // Who may ask, and the place the figures are cut to, first (pool); then the projector.
    auto checked = context_.pool->Run<Result<std::string>>(
        [&context = context_, token = token_, asked_prefix]() -> Result<std::string> {
          CASELEDGER_ASSIGN_OR_RETURN(Principal who, context.auth.Authenticate(token));
          return FigurePrefixFor(who, asked_prefix);
        });
    return checked.then([this, call, plugin, query,
                         params](Result<std::string> prefix) mutable -> kj::Promise<void> {
      if (!prefix.ok()) {
        Fail(call.getResults(), prefix.status());
        return kj::READY_NOW;
      }
      if (!prefix->empty()) params.emplace_back("prefix", *prefix);
      return context_.projector->Query(plugin, query, params)
          .then([call](Result<QueryTable> table) mutable {
            auto results = call.getResults();
            if (!table.ok())
              Fail(results, table.status());
            else
              ToRpc(*table, results.initResult());
          });
    });
  }

  kj::Promise<void> treeHead(TreeHeadContext call) override {
    const bool latest = call.getParams().getLatest();
    const uint64_t size = call.getParams().getAtSize();
    return Blocking<TreeHead>(
        call,
        [latest, size](ServerContext& context, const Principal&) -> Result<TreeHead> {
          if (latest) return context.ledger.GetTreeHead();
          return context.ledger.GetTreeHeadAt(size);
        },
        [](TreeHeadContext& c, const TreeHead& head) { ToRpc(head, c.getResults().initHead()); });
  }

  kj::Promise<void> proveInclusion(ProveInclusionContext call) override {
    const Position position = call.getParams().getPosition();
    const uint64_t size = call.getParams().getTreeSize();
    return Blocking<InclusionProof>(
        call,
        [position, size](ServerContext& context, const Principal&) {
          return context.ledger.ProveInclusion(position, size);
        },
        [](ProveInclusionContext& c, const InclusionProof& proof) {
          ToRpc(proof.leaf_index, proof.tree_size, proof.path, c.getResults().initProof());
        });
  }

  kj::Promise<void> proveConsistency(ProveConsistencyContext call) override {
    const uint64_t first = call.getParams().getFirstSize();
    const uint64_t second = call.getParams().getSecondSize();
    return Blocking<ConsistencyProof>(
        call,
        [first, second](ServerContext& context, const Principal&) {
          return context.ledger.ProveConsistency(first, second);
        },
        [](ProveConsistencyContext& c, const ConsistencyProof& proof) {
          ToRpc(proof.first_size, proof.second_size, proof.path, c.getResults().initProof());
        });
  }

  kj::Promise<void> eraseChild(EraseChildContext call) override {
    std::string child = call.getParams().getChildRef(), reason = call.getParams().getReason();
    return Blocking<Ledger::Erasure>(
        call,
        [child, reason](ServerContext& context, const Principal& who) -> Result<Ledger::Erasure> {
          CASELEDGER_RETURN_IF_ERROR(Authorize(who, Operation::kErase, Scope{}));
          return context.ledger.EraseChild(child, reason, ActorOf(who), who.RecordedBy());
        },
        [](EraseChildContext& c, const Ledger::Erasure& erased) {
          auto results = c.getResults();
          auto streams = results.initStreams(static_cast<unsigned>(erased.streams.size()));
          for (unsigned i = 0; i < erased.streams.size(); ++i) streams.set(i, erased.streams[i]);
          results.setAlreadyErased(erased.already_erased());
        });
  }

  kj::Promise<void> latestCheckpoint(LatestCheckpointContext call) override {
    return Blocking<std::string>(
        call,
        [](ServerContext& context, const Principal&) -> Result<std::string> {
          CASELEDGER_ASSIGN_OR_RETURN(auto store, ReadCheckpointStore(context.dir));
          if (store.checkpoints.empty())
            return Status::NotFound("no checkpoint has been signed for this ledger yet");
          return CheckpointToJson(store.checkpoints.back());
        },
        [](LatestCheckpointContext& c, const std::string& json) {
          c.getResults().setCheckpoint(json);
        });
  }

 private:
  // Runs `work` on the pool as the authenticated worker, then `encode` on the event loop
  // with its value; an error of either step becomes the answer's status.
  template <typename T, typename Call, typename Work, typename Encode>
  kj::Promise<void> Blocking(Call& call, Work work, Encode encode) {
    auto done = context_.pool->Run<Result<T>>(
        [&context = context_, token = token_, work = std::move(work)]() mutable -> Result<T> {
          CASELEDGER_ASSIGN_OR_RETURN(Principal who, context.auth.Authenticate(token));
          return work(context, who);
        });
    return done.then([call, encode = std::move(encode)](Result<T> value) mutable {
      if (!value.ok())
        Fail(call.getResults(), value.status());
      else
        encode(call, *value);
    });
  }

  ServerContext& context_;
  std::string token_;
};

class GatewayImpl final : public rpc::Gateway::Server {
 public:
  explicit GatewayImpl(ServerContext& context) : context_(context) {}

  kj::Promise<void> authenticate(AuthenticateContext call) override {
    std::string token = call.getParams().getToken();
    auto checked = context_.pool->Run<Result<Principal>>(
        [&context = context_, token]() { return context.auth.Authenticate(token); });
    return checked.then([this, call, token](Result<Principal> who) mutable {
      auto results = call.getResults();
      if (!who.ok()) {
        Fail(results, who.status());
        return;
      }
      results.setSession(kj::heap<SessionImpl>(context_, token));
    });
  }

 private:
  ServerContext& context_;
};

}  // namespace

capnp::Capability::Client NewGateway(ServerContext& context) {
  return kj::heap<GatewayImpl>(context);
}

}  // namespace caseledger::server
