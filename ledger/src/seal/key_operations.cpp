// Ledger::EraseChild and Ledger::RotateMasterKey: the key store's two destructive
// operations as the ledger offers them.
//
// EraseChild: crypto-shredding a child's personal data (ledger.h has the contract;
// docs/privacy.md the threat model). The order makes every crash recoverable by running
// it again: the request is recorded first, the keys are destroyed (key_store.h: durable
// tombstones, then the journal rewritten without them), and the completion is recorded
// last, so an ErasureCompleted always means the keys are gone.
#include <capnp/message.h>

#include <algorithm>

#include "caseledger/case_events.h"
#include "caseledger/payload_message.h"
#include "ledger_impl.h"
#include "schema/case_events.capnp.h"

namespace caseledger {
namespace {

bool Blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isspace(c) != 0; });
}

// The child named by an ErasureRequested or ErasureCompleted payload ("" if it does not
// decode).
template <typename T>
std::string ChildOf(const RecordedEvent& e) {
  std::string child;
  (void)DecodePayload<T>(e.event.payload,
                         [&](typename T::Reader r) { child = r.getChildRef().cStr(); });
  return child;
}

ProposedEvent ErasureEvent(const char* type, const std::string& payload, const Actor& actor) {
  ProposedEvent e;
  e.id = EventId::Random();
  e.type = type;
  e.occurred_at = Now();
  e.actor = actor;
  e.payload = payload;
  return e;
}

}  // namespace

Result<Ledger::Erasure> LedgerImpl::EraseChild(std::string_view child_ref, std::string_view reason,
                                               const Actor& actor, std::string_view principal) {
  if (meta_.events == EventSchema::kOpaque)
    return Status::InvalidArgument("this ledger stores opaque events: it holds no sealed data");
  if (child_ref.empty()) return Status::InvalidArgument("--child: name the child (its childRef)");
  if (Blank(reason))
    return Status::InvalidArgument("--reason: required, and not blank: say why (it is recorded)");
  if (options_.read_only || !keys_)
    return Status::InvalidArgument(
        "erasure needs the ledger opened as its writer with the master key (--master-key-file "
        "or CASELEDGER_MASTER_KEY_FILE)");

  CASELEDGER_ASSIGN_OR_RETURN(const seal::KeyStore::ChildStreams found,
                              keys_->StreamsOfChild(child_ref));
  Erasure erasure;
  erasure.streams = found.live;
  erasure.streams.insert(erasure.streams.end(), found.erased.begin(), found.erased.end());
  std::sort(erasure.streams.begin(), erasure.streams.end());
  if (erasure.streams.empty())
    return Status::NotFound("no personal data of child \"" + std::string(child_ref) +
                            "\" in this ledger (no child key names it)");

  // What an earlier run already recorded, stream by stream.
  std::vector<AppendRequest> to_request, to_complete;
  for (const std::string& stream : erasure.streams) {
    CASELEDGER_ASSIGN_OR_RETURN(auto events, ReadWholeStream(*this, stream));
    bool requested = false, completed = false;
    for (const RecordedEvent& e : events) {
      if (e.event.type == "ErasureRequested")
        requested |= ChildOf<schema::ErasureRequested>(e) == child_ref;
      else if (e.event.type == "ErasureCompleted")
        completed |= ChildOf<schema::ErasureCompleted>(e) == child_ref;
    }
    if (!requested) to_request.push_back(AppendRequest{stream, ExpectedVersion::Any(), {}});
    if (!completed) to_complete.push_back(AppendRequest{stream, ExpectedVersion::Any(), {}});
  }

  // capnp's Text must be NUL-terminated; a string_view need not be.
  const std::string child(child_ref), why(reason);
  capnp::MallocMessageBuilder request_message, complete_message;
  auto request = request_message.initRoot<schema::ErasureRequested>();
  request.setChildRef(capnp::Text::Reader(child.c_str(), child.size()));
  request.setReason(capnp::Text::Reader(why.c_str(), why.size()));
  const std::string request_payload = CanonicalPayload(capnp::toDynamic(request.asReader()));
  auto complete = complete_message.initRoot<schema::ErasureCompleted>();
  complete.setChildRef(capnp::Text::Reader(child.c_str(), child.size()));
  const std::string complete_payload = CanonicalPayload(capnp::toDynamic(complete.asReader()));

  if (!to_request.empty()) {
    for (AppendRequest& r : to_request)
      r.events.push_back(ErasureEvent("ErasureRequested", request_payload, actor));
    CASELEDGER_ASSIGN_OR_RETURN(erasure.requested,
                                AppendAs(Admission::Origin::kErasure, to_request, principal));
  }
  if (Status destroyed = keys_->EraseChild(child_ref); !destroyed.ok())
    return destroyed.WithContext("destroying the keys of child " + child +
                                 " (the request is recorded; run the erasure again)");
  if (!to_complete.empty()) {
    for (AppendRequest& r : to_complete)
      r.events.push_back(ErasureEvent("ErasureCompleted", complete_payload, actor));
    CASELEDGER_ASSIGN_OR_RETURN(erasure.completed,
                                AppendAs(Admission::Origin::kErasure, to_complete, principal));
  }
  return erasure;
}

Status LedgerImpl::RotateMasterKey(const std::string& new_master_key_file) {
  if (options_.read_only || !keys_)
    return Status::InvalidArgument(
        "rotating the master key needs the ledger opened as its writer with the current master "
        "key (--master-key-file or CASELEDGER_MASTER_KEY_FILE)");
  CASELEDGER_ASSIGN_OR_RETURN(seal::MasterKey next, seal::LoadMasterKey(new_master_key_file));
  return keys_->Rotate(next).WithContext(new_master_key_file);
}

}  // namespace caseledger
