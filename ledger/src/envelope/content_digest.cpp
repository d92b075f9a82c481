#include "envelope/content_digest.h"

#include <sodium.h>

namespace caseledger::envelope {
namespace {

// Feeds length-prefixed fields, so that no two different inputs share an encoding.
class DigestWriter {
 public:
  explicit DigestWriter(const DigestKey& key) {
    crypto_generichash_init(&state_, key.data(), key.size(), 16);
  }
  void Bytes(const void* data, size_t size) {
    uint64_t n = size;
    crypto_generichash_update(&state_, reinterpret_cast<const uint8_t*>(&n), sizeof n);
    crypto_generichash_update(&state_, static_cast<const uint8_t*>(data), size);
  }
  void Text(std::string_view s) { Bytes(s.data(), s.size()); }
  void Int(int64_t v) { Bytes(&v, sizeof v); }
  ContentDigest Finish() {
    ContentDigest out;
    crypto_generichash_final(&state_, out.data(), out.size());
    return out;
  }

 private:
  crypto_generichash_state state_;
};

}  // namespace

ContentDigest ComputeContentDigest(const DigestKey& key, std::string_view stream,
                                   const ProposedEvent& e) {
  DigestWriter w(key);
  w.Text(stream);
  w.Bytes(e.id.bytes.data(), e.id.bytes.size());
  w.Text(e.type);
  w.Int(e.schema_version);
  w.Int(ToMicros(e.occurred_at));
  w.Text(e.actor.user);
  w.Text(e.actor.role);
  w.Text(e.actor.agency);
  w.Bytes(e.correlation_id.bytes.data(), e.correlation_id.bytes.size());
  w.Bytes(e.causation_id.bytes.data(), e.causation_id.bytes.size());
  w.Int(static_cast<int64_t>(e.corrects));
  w.Text(e.correction_reason);
  w.Text(e.payload);
  return w.Finish();
}

}  // namespace caseledger::envelope
