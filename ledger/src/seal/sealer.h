// Sealing and opening the personal fields (type Sealed) of a case-event payload.
//
// A sealed field holds the key id, a random 24-byte nonce and the XChaCha20-Poly1305
// ciphertext of its clear text, with associated data that binds it to its stream, event
// type and field path: moved to another case or field, it no longer opens.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "caseledger/case_events.h"
#include "caseledger/status.h"
#include "envelope/content_digest.h"
#include "seal/key_store.h"

namespace caseledger::seal {

// The payload with every clear personal field sealed under `key`; nothing of the clear
// text remains in the result. A field already sealed is kInvalidArgument: callers give
// personal fields in clear, and only the ledger seals.
Result<std::string> SealPayload(const EventType& type, std::string_view stream,
                                std::string_view payload, const ChildKey& key);

// The payload with every sealed field that `keys` can open in clear, and every field
// whose key was destroyed marked erased; the others stay sealed. A field whose key exists
// but whose ciphertext does not open is kCorruption.
Result<std::string> OpenPayload(const EventType& type, std::string_view stream,
                                std::string_view payload, KeyStore& keys);

// The payload for a reader who may not see its personal fields: each sealed field keeps
// only its key id, marked erased if `keys` knows the key was destroyed (as of its last
// look: call keys.RefreshErased() first), else redacted. Nothing of the ciphertext
// remains in the result. Opens no key.
Result<std::string> RedactPayload(const EventType& type, std::string_view payload, KeyStore& keys);

// The key id of the payload's first sealed field, if it has one: the key its personal
// fields are sealed under (all of one event's are under its stream's key).
std::optional<KeyId> SealingKeyOf(const EventType& type, std::string_view payload);

// The child reference a payload names (CaseOpened.childRef), or "".
std::string ChildRefOf(const EventType& type, std::string_view payload);

// The key of content digests for an event with personal fields: derived from the
// ledger's digest key and the child's key, so that once the child's key is destroyed the
// stored digest no longer lets anyone test a guess of the erased text.
envelope::DigestKey PersonalDigestKey(const envelope::DigestKey& ledger_key, const ChildKey& key);

}  // namespace caseledger::seal
