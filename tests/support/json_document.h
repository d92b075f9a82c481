// Reading JSON a command printed (e.g. `caseledger history --format json`) in tests, with
// capnp's JsonCodec, the project's one JSON codec.
//
//   testing::JsonDocument doc(run.out);
//   ASSERT_TRUE(doc.ok());
//   EXPECT_EQ(testing::Str(testing::Get(doc.root(), "stream")), "case-1");
#pragma once

#include <capnp/compat/json.h>
#include <capnp/message.h>

#include <cstdint>
#include <string>
#include <vector>

namespace caseledger::testing {

using capnp::JsonValue;

class JsonDocument {
 public:
  explicit JsonDocument(const std::string& text);
  bool ok() const { return ok_; }  // false: `text` is not JSON
  JsonValue::Reader root() { return message_.getRoot<JsonValue>().asReader(); }

 private:
  capnp::MallocMessageBuilder message_;
  bool ok_ = false;
};

// The member `name` of an object; a null value if there is none (or `v` is no object).
JsonValue::Reader Get(JsonValue::Reader v, const std::string& name);
bool Has(JsonValue::Reader v, const std::string& name);
// A string's text, else "<not a string>"; a number, else -1; an array's numbers.
std::string Str(JsonValue::Reader v);
int64_t Num(JsonValue::Reader v);
std::vector<int64_t> Nums(JsonValue::Reader v);

}  // namespace caseledger::testing
