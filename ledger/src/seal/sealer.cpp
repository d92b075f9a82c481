#include "seal/sealer.h"

#include <capnp/dynamic.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>
#include <sodium.h>

#include <cstring>
#include <functional>

#include "schema/case_events.capnp.h"

namespace caseledger::seal {
namespace {

constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr int kMaxDepth = 16;

using FieldFn = std::function<Status(const std::string& path, schema::Sealed::Builder field)>;

std::string Str(kj::StringPtr s) { return std::string(s.begin(), s.end()); }

bool IsSealed(capnp::Type type) {
  return type.isStruct() && type.asStruct() == capnp::Schema::from<schema::Sealed>();
}

Status Walk(capnp::DynamicStruct::Builder s, const std::string& path, const FieldFn& fn,
            int depth) {
  if (depth > kMaxDepth) return Status::InvalidArgument(path + ": nested too deeply");
  for (auto field : s.getSchema().getFields()) {
    auto type = field.getType();
    if (!(type.isStruct() || type.isList()) || !s.has(field)) continue;
    const std::string field_path = path + "." + Str(field.getProto().getName());
    if (IsSealed(type)) {
      CASELEDGER_RETURN_IF_ERROR(fn(field_path, s.get(field).as<schema::Sealed>()));
    } else if (type.isStruct()) {
      CASELEDGER_RETURN_IF_ERROR(
          Walk(s.get(field).as<capnp::DynamicStruct>(), field_path, fn, depth + 1));
    } else if (type.asList().getElementType().isStruct()) {
      auto list = s.get(field).as<capnp::DynamicList>();
      const bool sealed = IsSealed(type.asList().getElementType());
      for (uint i = 0; i < list.size(); ++i) {
        const std::string item_path = field_path + "[" + std::to_string(i) + "]";
        if (sealed)
          CASELEDGER_RETURN_IF_ERROR(fn(item_path, list[i].as<schema::Sealed>()));
        else
          CASELEDGER_RETURN_IF_ERROR(
              Walk(list[i].as<capnp::DynamicStruct>(), item_path, fn, depth + 1));
      }
    }
  }
  return Status::Ok();
}

// Copies the payload into a builder, lets `fn` change its Sealed fields, and returns the
// result in canonical form: only what the root reaches is encoded, so no byte of a
// replaced value survives in the output.
Result<std::string> Transform(const EventType& type, std::string_view payload, const FieldFn& fn) {
  if (payload.size() % 8 != 0)
    return Status::InvalidArgument("the " + type.name + " payload is not a whole number of words");
  auto words = kj::heapArray<capnp::word>(payload.size() / 8);
  std::memcpy(words.begin(), payload.data(), payload.size());
  std::string out;
  Status status;
  KJ_IF_MAYBE (e, kj::runCatchingExceptions([&] {
                 capnp::ReaderOptions options;
                 options.traversalLimitInWords = words.size() * 4 + 64;
                 capnp::FlatArrayMessageReader reader(words.asPtr(), options);
                 capnp::MallocMessageBuilder work;
                 work.setRoot(reader.getRoot<capnp::DynamicStruct>(type.schema));
                 status = Walk(work.getRoot<capnp::DynamicStruct>(type.schema), "data", fn, 0);
                 if (!status.ok()) return;
                 out = CanonicalPayload(work.getRoot<capnp::DynamicStruct>(type.schema).asReader());
                 // The working copy held clear text; the builder owns (and may write) its segments.
                 for (auto segment : work.getSegmentsForOutput())
                   sodium_memzero(const_cast<capnp::word*>(segment.begin()),
                                  segment.asBytes().size());
               })) {
    return Status::InvalidArgument("the payload is not a " + type.name + ": " +
                                   Str(e->getDescription()));
  }
  sodium_memzero(words.begin(), words.asBytes().size());
  CASELEDGER_RETURN_IF_ERROR(status);
  return out;
}

std::string Ad(const KeyId& key_id, std::string_view stream, const EventType& type,
               const std::string& path) {
  std::string ad = "caseledger sealed v1";
  ad.push_back('\0');
  ad.append(reinterpret_cast<const char*>(key_id.data()), key_id.size());
  ad.append(stream);
  ad.push_back('\0');
  ad.append(type.name);
  ad.push_back('\0');
  ad.append(path);
  return ad;
}

}  // namespace

Result<std::string> SealPayload(const EventType& type, std::string_view stream,
                                std::string_view payload, const ChildKey& key) {
  return Transform(
      type, payload, [&](const std::string& path, schema::Sealed::Builder field) -> Status {
        if (!field.isClear())
          return Status::InvalidArgument(
              path + ": give personal fields in clear; only the ledger seals them");
        auto clear = field.getClear();
        std::string ciphertext(clear.size() + kTag, '\0');
        uint8_t nonce[kNonce];
        randombytes_buf(nonce, sizeof nonce);
        const std::string ad = Ad(key.id, stream, type, path);
        crypto_aead_xchacha20poly1305_ietf_encrypt(
            reinterpret_cast<uint8_t*>(ciphertext.data()), nullptr,
            reinterpret_cast<const uint8_t*>(clear.begin()), clear.size(),
            reinterpret_cast<const uint8_t*>(ad.data()), ad.size(), nullptr, nonce, key.key.data());
        sodium_memzero(const_cast<char*>(clear.begin()), clear.size());
        auto sealed = field.initLocked();
        sealed.setKeyId(capnp::Data::Reader(key.id.data(), key.id.size()));
        sealed.setNonce(capnp::Data::Reader(nonce, sizeof nonce));
        sealed.setCiphertext(capnp::Data::Reader(
            reinterpret_cast<const uint8_t*>(ciphertext.data()), ciphertext.size()));
        return Status::Ok();
      });
}

Result<std::string> OpenPayload(const EventType& type, std::string_view stream,
                                std::string_view payload, KeyStore& keys) {
  if (!type.has_personal_fields) return std::string(payload);
  return Transform(
      type, payload, [&](const std::string& path, schema::Sealed::Builder field) -> Status {
        if (field.isClear()) return Status::Ok();
        auto sealed = field.getLocked();
        KeyId id{};
        auto key_id = sealed.getKeyId();
        auto nonce = sealed.getNonce();
        auto ciphertext = sealed.getCiphertext();
        if (key_id.size() != id.size() || nonce.size() != kNonce || ciphertext.size() < kTag)
          return Status::Corruption(path + ": a sealed field of the wrong shape");
        std::memcpy(id.data(), key_id.begin(), id.size());
        auto key = keys.Find(id);
        if (!key) {
          // Erased: marked so for every reader. Otherwise (another ledger's key): sealed.
          if (keys.IsErased(id)) {
            field.initLocked();  // no stale nonce or ciphertext behind the erased mark
            field.setErased(capnp::Data::Reader(id.data(), id.size()));
          }
          return Status::Ok();
        }
        std::string clear(ciphertext.size() - kTag, '\0');
        const std::string ad = Ad(id, stream, type, path);
        if (crypto_aead_xchacha20poly1305_ietf_decrypt(
                reinterpret_cast<uint8_t*>(clear.data()), nullptr, nullptr, ciphertext.begin(),
                ciphertext.size(), reinterpret_cast<const uint8_t*>(ad.data()), ad.size(),
                nonce.begin(), key->key.data()) != 0)
          return Status::Corruption(
              path +
              ": the sealed field does not open with its key (altered, or moved from "
              "another event)");
        field.initLocked();  // clears key id, nonce and ciphertext: the copy keeps only the clear
                             // text
        field.setClear(capnp::Text::Reader(clear.data(), clear.size()));
        sodium_memzero(clear.data(), clear.size());
        return Status::Ok();
      });
}

Result<std::string> RedactPayload(const EventType& type, std::string_view payload, KeyStore& keys) {
  if (!type.has_personal_fields) return std::string(payload);
  return Transform(type, payload,
                   [&](const std::string& path, schema::Sealed::Builder field) -> Status {
                     if (field.isClear()) {  // never stored; an opened copy given by mistake
                       field.setRedacted(capnp::Data::Reader());
                       return Status::Ok();
                     }
                     if (!field.isLocked()) return Status::Ok();  // already erased or redacted
                     KeyId id{};
                     auto key_id = field.getLocked().getKeyId();
                     if (key_id.size() != id.size())
                       return Status::Corruption(path + ": a sealed field of the wrong shape");
                     std::memcpy(id.data(), key_id.begin(), id.size());
                     // Switching the union's member leaves the locked group's pointers in place:
                     // clear them first (initLocked), so that Transform's output holds no byte of
                     // them.
                     field.initLocked();
                     if (keys.IsErased(id))
                       field.setErased(capnp::Data::Reader(id.data(), id.size()));
                     else
                       field.setRedacted(capnp::Data::Reader(id.data(), id.size()));
                     return Status::Ok();
                   });
}

std::optional<KeyId> SealingKeyOf(const EventType& type, std::string_view payload) {
  if (!type.has_personal_fields) return std::nullopt;
  std::optional<KeyId> found;
  // Transform copies the payload; this is for tools that read a ledger once, not hot paths.
  (void)Transform(type, payload, [&](const std::string&, schema::Sealed::Builder field) {
    if (found || !field.isLocked()) return Status::Ok();
    auto id = field.getLocked().getKeyId();
    if (id.size() == KeyId{}.size()) {
      found.emplace();
      std::memcpy(found->data(), id.begin(), id.size());
    }
    return Status::Ok();
  });
  return found;
}

std::string ChildRefOf(const EventType& type, std::string_view payload) {
  if (type.schema != capnp::Schema::from<schema::CaseOpened>() || payload.size() % 8 != 0)
    return "";
  auto words = kj::heapArray<capnp::word>(payload.size() / 8);
  std::memcpy(words.begin(), payload.data(), payload.size());
  std::string ref;
  kj::runCatchingExceptions([&] {
    capnp::FlatArrayMessageReader reader(words.asPtr());
    auto text = reader.getRoot<schema::CaseOpened>().getChildRef();
    ref.assign(text.begin(), text.size());
  });
  return ref;
}

envelope::DigestKey PersonalDigestKey(const envelope::DigestKey& ledger_key, const ChildKey& key) {
  envelope::DigestKey out{};
  crypto_generichash(out.data(), out.size(), key.key.data(), key.key.size(), ledger_key.data(),
                     ledger_key.size());
  return out;
}

}  // namespace caseledger::seal
