#include "request_guard.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <iterator>
#include <map>
#include <set>

#include "caseledger/case_events.h"
#include "caseledger/payload_message.h"
#include "caseledger/read_record.h"

namespace caseledger::server {
namespace {

constexpr std::string_view kSpacePrefix = "space-";
constexpr std::string_view kCommunityPrefix = "community-";
constexpr std::string_view kWorkerPrefix = "worker-";

CaseEventInput AsInput(const RecordedEvent& e) {
  return {e.position,         e.recorded_at,    e.event.occurred_at, e.event.type,
          e.event.actor.user, e.event.corrects, e.event.payload};
}

// The state of case `stream` now (not opened: no such case yet).
Result<CaseState> CaseNow(Ledger& ledger, std::string_view stream) {
  CASELEDGER_ASSIGN_OR_RETURN(auto events, ReadWholeStream(ledger, stream));
  std::vector<CaseEventInput> inputs;
  inputs.reserve(events.size());
  for (const RecordedEvent& e : events) inputs.push_back(AsInput(e));
  return ReduceCase(inputs);
}

// True if `e` can change a case's scope (community, agency, open referrals).
bool MovesScope(const RecordedEvent& e) {
  static const std::set<std::string, std::less<>> kMoving = {
      "CaseOpened",       "TransferAccepted",  "ReferralMade",    "ReferralAccepted",
      "ReferralRejected", "ReferralCompleted", "ReferralRevoked", "EntryVoided"};
  return e.event.corrects != 0 || kMoving.contains(e.event.type);
}

// The most cases whose scope is kept; past it the cache starts again (a scope is only a
// saving: it is always right to compute it afresh).
constexpr size_t kMaxCachedScopes = 100'000;

// A text or integer field of a payload, read through the catalogue's schema. The payload
// may be what a client sent: anything may be wrong with it, so every failure is a Status.
Result<std::string> FieldOf(std::string_view type_name, std::string_view payload,
                            const char* field) {
  CASELEDGER_ASSIGN_OR_RETURN(const EventType* type, LookupEventType(type_name));
  PayloadMessage message(payload);
  std::string out;
  Status read;
  KJ_IF_MAYBE (problem, kj::runCatchingExceptions([&] {
                 auto value = message.Root(type->schema).get(field);
                 if (value.getType() == capnp::DynamicValue::TEXT)
                   out = value.as<capnp::Text>().cStr();
                 else if (value.getType() == capnp::DynamicValue::UINT)
                   out = std::to_string(value.as<uint64_t>());
                 else
                   read = Status::InvalidArgument(std::string(type_name) + "." + field +
                                                  " is neither text nor a number");
               })) {
    return Status::InvalidArgument(std::string(type_name) +
                                   " data does not decode: " + problem->getDescription().cStr());
  }
  if (!read.ok()) return read;
  return out;
}

// The event at `position`, which must belong to `stream` (what a correction or a void in
// `stream` may name).
Result<RecordedEvent> EventInStream(Ledger& ledger, Position position, std::string_view stream,
                                    std::string_view what) {
  CASELEDGER_ASSIGN_OR_RETURN(auto one, ledger.ReadAll(position, 1));
  if (one.empty() || one.front().position != position)
    return Status::InvalidArgument(std::string(what) + " names position " +
                                   std::to_string(position) + ", which holds no event");
  if (one.front().stream != stream)
    return Status::PermissionDenied(std::string(what) + " names position " +
                                    std::to_string(position) +
                                    ", which is not in the stream appended to");
  return std::move(one.front());
}

// The community a space stream belongs to: its SpaceOpened's, or for a new space the
// SpaceOpened that opens it in `request`.
// The community of the space `request` appends to: its SpaceOpened's, in the ledger or,
// for a new space, the first event of `request` (the batch's first request to it).
Result<std::string> SpaceCommunity(Ledger& ledger, const AppendRequest& request) {
  CASELEDGER_ASSIGN_OR_RETURN(auto first,
                              ledger.ReadStream(request.stream, 0, Direction::kForward, 1));
  std::string_view type, payload;
  if (!first.empty()) {
    type = first.front().event.type;
    payload = first.front().event.payload;
  } else {
    type = request.events.front().type;
    payload = request.events.front().payload;
  }
  if (type != "SpaceOpened")
    return Status::InvalidArgument("a space stream starts with SpaceOpened, not " +
                                   std::string(type));
  return FieldOf(type, payload, "communityCode");
}

// The hash of a stream id, for its lock stripe.
size_t Stripe(std::string_view stream, size_t stripes) {
  return std::hash<std::string_view>{}(stream) % stripes;
}

}  // namespace

Status RequestGuard::CheckRequest(const Principal& who, const AppendRequest& request,
                                  const AppendRequest* batch_start) {
  if (request.events.empty()) return Status::Ok();  // the ledger names the empty request
  const std::string_view stream = request.stream;
  const AppendRequest& start = batch_start ? *batch_start : request;
  Scope scope;
  if (IsCaseStream(stream)) {
    CASELEDGER_ASSIGN_OR_RETURN(auto opened_scope, CaseScope(stream));
    scope = std::move(opened_scope.second);
    if (!opened_scope.first) {
      // A new case: its scope is the one it is opened with.
      if (start.events.empty())
        return Status::InvalidArgument("a case stream starts with CaseOpened");
      const ProposedEvent& first = start.events.front();
      if (first.type != "CaseOpened")
        return Status::InvalidArgument("a case stream starts with CaseOpened, not " + first.type);
      const CaseEventInput opening{1, Now(),        first.occurred_at, first.type, who.worker_id,
                                   0, first.payload};
      auto opened = ReduceCase(std::span(&opening, 1));
      if (!opened.ok()) return Status::InvalidArgument(opened.status().message());
      scope = ScopeOfCase(*opened);
    }
  } else if (stream.starts_with(kSpacePrefix)) {
    if (start.events.empty())
      return Status::InvalidArgument("a space stream starts with SpaceOpened");
    CASELEDGER_ASSIGN_OR_RETURN(scope.community_code, SpaceCommunity(ledger_, start));
  } else if (stream.starts_with(kCommunityPrefix)) {
    scope.community_code = std::string(stream.substr(kCommunityPrefix.size()));
  } else if (stream.starts_with(kWorkerPrefix)) {
    // Workers are managed by admins; no place applies.
  } else if (stream.starts_with(kAccessStreamPrefix)) {
    return Status::PermissionDenied("the stream " + std::string(stream) +
                                    " is written by the ledger itself (the record of reads)");
  } else {
    return Status::InvalidArgument("the stream " + std::string(stream) +
                                   " is of no kind the server accepts (case-, space-, "
                                   "community-, worker-)");
  }

  for (size_t i = 0; i < request.events.size(); ++i) {
    const ProposedEvent& e = request.events[i];
    auto context = [&](const Status& s) {
      return s.WithContext("event " + std::to_string(i) + " (" + e.type + ")");
    };
    if (e.type == "ErasureRequested" || e.type == "ErasureCompleted")
      // Only an erasure writes these, so that an ErasureCompleted always means the keys
      // are gone.
      return context(Status::PermissionDenied(
          e.type +
          " is written by the erasure itself (eraseChild, `caseledger erase`), never "
          "appended by a client"));
    std::string type = e.type;
    std::string payload = e.payload;
    if (e.type == "EntryVoided") {
      auto voided = FieldOf(e.type, e.payload, "position");
      if (!voided.ok()) return context(voided.status());
      auto target = EventInStream(ledger_, std::stoull(*voided), stream, "the EntryVoided");
      if (!target.ok()) return context(target.status());
      type = target->event.type;
      payload = target->event.payload;
    } else if (e.corrects != 0) {
      auto target = EventInStream(ledger_, e.corrects, stream, "the correction");
      if (!target.ok()) return context(target.status());
    }
    auto op = OperationOfEvent(type, payload);
    if (!op.ok()) return context(op.status());
    Scope where = scope;
    if (*op == Operation::kServeReferral && type != "ServiceDelivered") {
      auto referral = FieldOf(type, payload, "referralId");
      if (!referral.ok()) return context(referral.status());
      where.referral_id = *referral;
    }
    if (Status allowed = Authorize(who, *op, where); !allowed.ok()) return context(allowed);
  }
  return Status::Ok();
}

Result<std::pair<bool, Scope>> RequestGuard::CaseScope(std::string_view stream) {
  CASELEDGER_ASSIGN_OR_RETURN(StreamVersion version, ledger_.GetStreamVersion(stream));
  if (version == kNoStream) return std::pair<bool, Scope>{false, Scope{}};
  const std::string key(stream);
  std::optional<CachedScope> cached;
  {
    std::lock_guard lock(cache_mutex_);
    if (auto it = case_scopes_.find(key); it != case_scopes_.end()) cached = it->second;
  }
  bool fresh = cached && cached->version == version;
  if (cached && cached->version < version) {
    // Only what was appended since: if none of it can move the scope, the scope stands.
    CASELEDGER_ASSIGN_OR_RETURN(auto later,
                                ledger_.ReadStream(stream, cached->version + 1, Direction::kForward,
                                                   static_cast<size_t>(version - cached->version)));
    fresh = std::none_of(later.begin(), later.end(), MovesScope);
  }
  CachedScope now;
  now.version = version;
  if (fresh) {
    now.scope = std::move(cached->scope);
  } else {
    CASELEDGER_ASSIGN_OR_RETURN(CaseState state, CaseNow(ledger_, stream));
    now.scope = ScopeOfCase(state);
    // A stream can grow between the two reads; the scope is then of a later version,
    // which only makes the next check read a little more.
  }
  {
    std::lock_guard lock(cache_mutex_);
    if (case_scopes_.size() >= kMaxCachedScopes) case_scopes_.clear();
    case_scopes_[key] = now;
  }
  return std::pair<bool, Scope>{true, std::move(now.scope)};
}

Result<std::vector<AppendResult>> RequestGuard::Append(const Principal& who,
                                                       std::span<const AppendRequest> requests) {
  // Lock every stream's stripe, in order (no two appends wait on each other in a cycle).
  std::set<size_t> stripes;
  for (const AppendRequest& r : requests) stripes.insert(Stripe(r.stream, stream_locks_.size()));
  std::vector<std::unique_lock<std::mutex>> held;
  for (size_t s : stripes) held.emplace_back(stream_locks_[s]);

  std::vector<AppendRequest> checked(requests.begin(), requests.end());
  std::map<std::string_view, const AppendRequest*> first_to;  // stream -> its first request
  for (size_t r = 0; r < checked.size(); ++r) {
    auto [first, is_first] = first_to.emplace(requests[r].stream, &requests[r]);
    Status allowed = CheckRequest(who, checked[r], is_first ? nullptr : first->second);
    if (!allowed.ok())
      return requests.size() == 1 ? allowed : allowed.WithContext("request " + std::to_string(r));
    for (ProposedEvent& e : checked[r].events)
      e.actor = Actor{who.worker_id, std::string(RoleName(who.role)), who.agency};
  }
  if (checked.size() == 1) {
    CASELEDGER_ASSIGN_OR_RETURN(AppendResult one,
                                ledger_.Append(checked.front(), who.RecordedBy()));
    return std::vector<AppendResult>{one};
  }
  return ledger_.AppendBatch(checked, who.RecordedBy());
}

Result<StreamReadGrant> RequestGuard::CheckStreamRead(const Principal& who, std::string_view stream,
                                                      std::optional<std::string_view> purpose) {
  StreamReadGrant grant;
  if (IsCaseStream(stream)) {
    if (purpose) CASELEDGER_RETURN_IF_ERROR(CheckCaseHistoryRead(stream, *purpose));
    CASELEDGER_ASSIGN_OR_RETURN(auto scope, CaseScope(stream));
    CASELEDGER_RETURN_IF_ERROR(Authorize(who, Operation::kReadCaseHistory, scope.second));
    grant.record_read = purpose.has_value();
    grant.open_personal = purpose.has_value();
    return grant;
  }
  if (who.role == Role::kAuditor) return grant;  // reads every stream, personal fields redacted
  const std::string_view access_of =
      stream.starts_with(kAccessStreamPrefix) ? stream.substr(kAccessStreamPrefix.size()) : "";
  if (IsCaseStream(access_of)) {
    CASELEDGER_ASSIGN_OR_RETURN(auto scope, CaseScope(access_of));
    CASELEDGER_RETURN_IF_ERROR(Authorize(who, Operation::kReadCaseHistory, scope.second));
    return grant;
  }
  if (stream.starts_with(kWorkerPrefix)) {
    if (who.role == Role::kAdmin || stream.substr(kWorkerPrefix.size()) == who.worker_id)
      return grant;
    return Status::PermissionDenied("worker " + who.worker_id + " (" +
                                    std::string(RoleName(who.role)) + ") may not read " +
                                    std::string(stream));
  }
  Scope place;
  if (stream.starts_with(kSpacePrefix)) {
    AppendRequest probe;
    probe.stream = std::string(stream);
    probe.events.emplace_back();  // an unknown space reads as empty: its scope is none
    auto community = SpaceCommunity(ledger_, probe);
    place.community_code = community.ok() ? *community : "";
  } else if (stream.starts_with(kCommunityPrefix)) {
    place.community_code = std::string(stream.substr(kCommunityPrefix.size()));
  } else {
    return Status::PermissionDenied("worker " + who.worker_id + " (" +
                                    std::string(RoleName(who.role)) + ") may not read " +
                                    std::string(stream) + ": only auditors read every stream");
  }
  CASELEDGER_RETURN_IF_ERROR(Authorize(who, Operation::kRunSpaces, place));
  return grant;
}

Status RequestGuard::CheckReadAll(const Principal& who) {
  if (who.role == Role::kAuditor) return Status::Ok();
  return Status::PermissionDenied("worker " + who.worker_id + " (" +
                                  std::string(RoleName(who.role)) +
                                  ") may not read the whole log: only auditors do");
}

}  // namespace caseledger::server
