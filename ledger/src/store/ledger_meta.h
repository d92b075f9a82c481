// DIR/meta: what identifies a ledger and cannot be derived from the log.
//
//   DIR/meta/ledger      text, written once by Create:
//                          format_version = 1
//                          ledger_id = <32 hex digits>
//                          segment_bytes = 268435456
//                          created_at = 2026-11-29T08:00:00Z
//                          events = case-events-v1        (or "opaque")
//   DIR/meta/digest.key  32 random bytes (mode 0600): the key of content digests
//
// Later issues add signed checkpoints and token hashes here, as append-only files.
#pragma once

#include <string>

#include "caseledger/ledger.h"
#include "caseledger/status.h"
#include "caseledger/time.h"
#include "envelope/content_digest.h"
#include "log/segment.h"

namespace caseledger::store {

inline constexpr uint32_t kLedgerFormatVersion = 1;

struct LedgerMeta {
  uint32_t format_version = kLedgerFormatVersion;
  log::LedgerId ledger_id{};
  uint64_t segment_bytes = 0;
  Timestamp created_at{};
  envelope::DigestKey digest_key{};
  EventSchema events = EventSchema::kCaseEvents;
};

// Writes DIR/meta for a new ledger (fresh id and key); kAlreadyExists if present.
Result<LedgerMeta> CreateLedgerMeta(const std::string& meta_dir, uint64_t segment_bytes,
                                    EventSchema events);
// Reads DIR/meta; NotFound if `meta_dir` holds no ledger, Corruption if malformed.
Result<LedgerMeta> ReadLedgerMeta(const std::string& meta_dir);

}  // namespace caseledger::store
