#include "append/admission.h"

#include <algorithm>
#include <unordered_set>

#include "caseledger/case_events.h"
#include "seal/sealer.h"

namespace caseledger {
namespace {

// The most payload bytes one batch may carry, whatever LedgerOptions says: a group commit
// must stay under log::kMaxUnsyncedBytes, which recovery relies on.
constexpr size_t kMaxAppendBytesCap = 32u << 20;

// "request 1, event 3 (ReferralMade, id 0f...)": how errors name an event.
std::string Where(size_t r, size_t count, size_t i, const ProposedEvent& e) {
  return RequestPrefix(r, count) + "event " + std::to_string(i) + " (" +
         (e.type.empty() ? "" : e.type + ", ") + "id " + e.id.ToHex() + ")";
}

// Checks everything that needs no ledger state. Fills the batch's totals.
Status ValidateBatch(std::span<const AppendRequest> requests, const LedgerOptions& options,
                     size_t& events, size_t& payload_bytes) {
  if (requests.empty()) return Status::InvalidArgument("append batch has no requests");
  events = 0;
  payload_bytes = 0;
  std::unordered_set<std::string_view> ids;
  for (size_t r = 0; r < requests.size(); ++r) {
    const AppendRequest& request = requests[r];
    const std::string prefix = RequestPrefix(r, requests.size());
    Status s = ValidateStreamId(request.stream);
    if (!s.ok()) return s.WithContext(prefix.empty() ? "stream" : prefix + "stream");
    if (request.events.empty())
      return Status::InvalidArgument(prefix + "append request has no events");
    for (size_t i = 0; i < request.events.size(); ++i) {
      const ProposedEvent& e = request.events[i];
      auto where = [&] { return Where(r, requests.size(), i, e); };
      s = ValidateProposedEvent(e);
      if (!s.ok()) return s.WithContext(where());
      if (e.payload.size() > options.max_payload_bytes)
        return Status::InvalidArgument(
            where() + ": payload of " + std::to_string(e.payload.size()) +
            " bytes exceeds the limit of " + std::to_string(options.max_payload_bytes));
      std::string_view key(reinterpret_cast<const char*>(e.id.bytes.data()), 16);
      if (!ids.insert(key).second)
        return Status::InvalidArgument(where() + ": the same event id appears twice in one append");
      payload_bytes += e.payload.size();
    }
    events += request.events.size();
  }
  if (events > options.max_events_per_append)
    return Status::InvalidArgument("append has " + std::to_string(events) + " events; at most " +
                                   std::to_string(options.max_events_per_append) + " are allowed");
  const size_t max_bytes = std::min(options.max_append_bytes, kMaxAppendBytesCap);
  if (payload_bytes > max_bytes)
    return Status::InvalidArgument("append carries " + std::to_string(payload_bytes) +
                                   " payload bytes; at most " + std::to_string(max_bytes) +
                                   " are allowed");
  return Status::Ok();
}

}  // namespace

std::string RequestPrefix(size_t r, size_t count) {
  return count > 1 ? "request " + std::to_string(r) + ", " : std::string();
}

Result<AdmittedBatch> Admission::Admit(std::span<const AppendRequest> requests,
                                       Origin origin) const {
  AdmittedBatch batch;
  CASELEDGER_RETURN_IF_ERROR(ValidateBatch(requests, options_, batch.events, batch.payload_bytes));
  batch.requests = requests;
  if (meta_.events == EventSchema::kCaseEvents) {
    CASELEDGER_RETURN_IF_ERROR(AdmitCaseEvents(batch, origin));
    return batch;
  }
  batch.digests.reserve(batch.events);
  for (const AppendRequest& request : requests)
    for (const ProposedEvent& e : request.events)
      batch.digests.push_back(envelope::ComputeContentDigest(meta_.digest_key, request.stream, e));
  return batch;
}

Status Admission::AdmitCaseEvents(AdmittedBatch& batch, Origin origin) const {
  const auto requests = batch.requests;
  // Types and payloads first, so that a bad event refuses the batch before any key is made.
  std::vector<const EventType*> types;
  std::vector<bool> personal;  // per event: holds a personal field to seal
  std::vector<seal::KeyRequest> key_requests;
  std::vector<std::string> child_refs;
  types.reserve(batch.events);
  for (size_t r = 0; r < requests.size(); ++r) {
    for (size_t i = 0; i < requests[r].events.size(); ++i) {
      const ProposedEvent& e = requests[r].events[i];
      const EventType* type = FindEventType(e.type);
      if (!type)
        return Status::InvalidArgument(Where(r, requests.size(), i, e) + ": unknown event type \"" +
                                       e.type + "\" (docs/events.md lists the catalogue)");
      if (origin != Origin::kErasure &&
          (e.type == "ErasureRequested" || e.type == "ErasureCompleted"))
        return Status::InvalidArgument(
            Where(r, requests.size(), i, e) + ": " + e.type +
            " is written only by an erasure (`caseledger erase`), which destroys the child's "
            "keys between the two; nothing was written");
      Status s = ValidatePayload(*type, e.payload);
      if (!s.ok()) return s.WithContext(Where(r, requests.size(), i, e));
      types.push_back(type);
      personal.push_back(CarriesPersonalData(*type, e.payload));
      if (personal.back()) {
        if (!keys_)
          return Status::InvalidArgument(
              Where(r, requests.size(), i, e) +
              ": it has personal fields to seal, and the ledger was opened without its master key "
              "(give --master-key-file or set CASELEDGER_MASTER_KEY_FILE); nothing was written");
        child_refs.push_back(seal::ChildRefOf(*type, e.payload));
      }
    }
  }
  std::vector<std::shared_ptr<const seal::ChildKey>> keys;
  if (!child_refs.empty()) {
    size_t k = 0, n = 0;
    for (const AppendRequest& request : requests)
      for (size_t i = 0; i < request.events.size(); ++i, ++n)
        if (personal[n]) key_requests.push_back({request.stream, child_refs[k++]});
    CASELEDGER_ASSIGN_OR_RETURN(keys, keys_->EnsureKeys(key_requests));
    batch.sealed.assign(requests.begin(), requests.end());
  }

  batch.digests.reserve(batch.events);
  batch.payload_bytes = 0;
  size_t n = 0, k = 0;
  for (size_t r = 0; r < requests.size(); ++r) {
    for (size_t i = 0; i < requests[r].events.size(); ++i, ++n) {
      const ProposedEvent& e = requests[r].events[i];
      if (!personal[n]) {
        batch.digests.push_back(
            envelope::ComputeContentDigest(meta_.digest_key, requests[r].stream, e));
        batch.payload_bytes += e.payload.size();
        continue;
      }
      const seal::ChildKey& key = *keys[k++];
      batch.digests.push_back(envelope::ComputeContentDigest(
          seal::PersonalDigestKey(meta_.digest_key, key), requests[r].stream, e));
      auto sealed = seal::SealPayload(*types[n], requests[r].stream, e.payload, key);
      if (!sealed.ok()) return sealed.status().WithContext(Where(r, requests.size(), i, e));
      batch.sealed[r].events[i].payload = std::move(*sealed);
      batch.payload_bytes += batch.sealed[r].events[i].payload.size();
    }
  }
  if (!batch.sealed.empty()) batch.requests = batch.sealed;
  return Status::Ok();
}

}  // namespace caseledger
