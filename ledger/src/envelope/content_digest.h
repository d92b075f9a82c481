// The content digest that makes retries idempotent: a keyed BLAKE2b-128 of what the writer
// submitted (stream and every field of the proposed event), before the ledger adds
// anything or seals personal fields. Keyed with the ledger's digest key (DIR/meta), so the
// digest reveals nothing about payloads to whoever lacks the key.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "caseledger/event.h"

namespace caseledger::envelope {

using ContentDigest = std::array<uint8_t, 16>;
using DigestKey = std::array<uint8_t, 32>;

ContentDigest ComputeContentDigest(const DigestKey& key, std::string_view stream,
                                   const ProposedEvent& event);

}  // namespace caseledger::envelope
