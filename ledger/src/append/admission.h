// Admission: everything an append needs before it queues for the sequencer, done on the
// caller's thread (so in parallel across callers): checks that need no ledger state,
// content digests, and for a case-event ledger the catalogue check and sealing.
//
// Case events: each event's type must be in the catalogue and its payload must decode as
// that type with every required field. The content digest is computed over what the
// caller submitted, before sealing (DESIGN.md "Append path"); for an event with personal
// fields it is keyed with the child's key too (seal::PersonalDigestKey). Personal fields
// are then sealed under the key of the event's stream, which is created (durably) on its
// first use. Nothing is written if anything fails.
#pragma once

#include <span>
#include <vector>

#include "caseledger/ledger.h"
#include "envelope/content_digest.h"
#include "seal/key_store.h"
#include "store/ledger_meta.h"

namespace caseledger {

// A batch ready to queue: the requests to write (sealed copies, or the caller's own) and
// one digest per event, in order.
struct AdmittedBatch {
  std::span<const AppendRequest> requests;
  std::vector<AppendRequest> sealed;  // owns the requests when they were rewritten
  std::vector<envelope::ContentDigest> digests;
  size_t events = 0;
  size_t payload_bytes = 0;
};

// "request 3, " for batches of several requests, "" for a single request: how errors
// name a request.
std::string RequestPrefix(size_t r, size_t count);

class Admission {
 public:
  // `keys` may be null: then events with personal fields are refused (no master key).
  Admission(const store::LedgerMeta& meta, const LedgerOptions& options, seal::KeyStore* keys)
      : meta_(meta), options_(options), keys_(keys) {}

  // Who proposes the batch. ErasureRequested and ErasureCompleted come only from the
  // ledger's own erasure (Ledger::EraseChild), so that a completion always means the keys
  // are gone; from anyone else they are refused.
  enum class Origin { kCaller, kErasure };

  Result<AdmittedBatch> Admit(std::span<const AppendRequest> requests,
                              Origin origin = Origin::kCaller) const;

 private:
  Status AdmitCaseEvents(AdmittedBatch& batch, Origin origin) const;

  const store::LedgerMeta& meta_;
  const LedgerOptions& options_;
  seal::KeyStore* keys_;
};

}  // namespace caseledger
