// Reading an event's payload: an unpacked Cap'n Proto message whose root is the type's
// struct (caseledger/case_events.h), as stored in the log or as a client sent it. The
// bytes need not be aligned (the log does not align payloads): they are copied into
// words first. The one way every part of CaseLedger decodes a payload.
//
//   caseledger::Status s = caseledger::DecodePayload<schema::ReferralAccepted>(
//       payload, [&](schema::ReferralAccepted::Reader r) { id = r.getReferralId(); });
//   if (!s.ok()) return s.WithContext("position 12");   // the reason, e.g. truncated
//
// Reading is bounded (traversal limit 4x the payload's words + 64), so hostile bytes cost
// at most a few times their size.
#pragma once

#include <capnp/dynamic.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <cstring>
#include <optional>
#include <string_view>

#include "caseledger/status.h"

namespace caseledger {
inline namespace v1 {

class PayloadMessage {
 public:
  explicit PayloadMessage(std::string_view bytes)
      : words_(kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word))),
        whole_words_(bytes.size() % sizeof(capnp::word) == 0 && !bytes.empty()) {
    std::memcpy(words_.begin(), bytes.data(), words_.size() * sizeof(capnp::word));
  }
  PayloadMessage(const PayloadMessage&) = delete;
  PayloadMessage& operator=(const PayloadMessage&) = delete;

  // The root as `T` / as a struct of `schema`. Throws a kj exception on malformed bytes
  // (use DecodePayload, or call inside kj::runCatchingExceptions). Valid while this lives.
  template <typename T>
  typename T::Reader Root() {
    return Reader().template getRoot<T>();
  }
  capnp::DynamicStruct::Reader Root(capnp::StructSchema schema, unsigned nesting_limit = 64) {
    return Reader(nesting_limit).getRoot<capnp::DynamicStruct>(schema);
  }

 private:
  capnp::FlatArrayMessageReader& Reader(unsigned nesting_limit = 64) {
    KJ_REQUIRE(whole_words_, "the payload is not a whole, non-zero number of 8-byte words");
    capnp::ReaderOptions options;
    options.traversalLimitInWords = words_.size() * 4 + 64;
    options.nestingLimit = static_cast<int>(nesting_limit);
    reader_.emplace(words_.asPtr(), options);
    return *reader_;
  }

  kj::Array<capnp::word> words_;
  bool whole_words_;
  std::optional<capnp::FlatArrayMessageReader> reader_;
};

// Decodes `bytes` as `T` and calls `read` with the root. kInvalidArgument with the reason
// if the bytes do not decode (or `read` throws a kj exception reading a damaged field);
// callers add which event it was.
template <typename T, typename Read>
Status DecodePayload(std::string_view bytes, Read&& read) {
  PayloadMessage message(bytes);
  KJ_IF_MAYBE (problem, kj::runCatchingExceptions([&] { read(message.Root<T>()); })) {
    return Status::InvalidArgument(problem->getDescription().cStr());
  }
  return Status::Ok();
}

}  // namespace v1
}  // namespace caseledger
