#include "json_document.h"

#include <kj/exception.h>

namespace caseledger::testing {

JsonDocument::JsonDocument(const std::string& text) {
  auto root = message_.initRoot<JsonValue>();
  capnp::JsonCodec codec;
  auto problem = kj::runCatchingExceptions(
      [&] { codec.decodeRaw(kj::ArrayPtr<const char>(text.data(), text.size()), root); });
  ok_ = problem == nullptr;
}

JsonValue::Reader Get(JsonValue::Reader v, const std::string& name) {
  static capnp::MallocMessageBuilder null_message;
  static JsonValue::Reader null_value = null_message.initRoot<JsonValue>().asReader();
  if (!v.isObject()) return null_value;
  for (auto field : v.getObject())
    if (field.getName() == name.c_str()) return field.getValue();
  return null_value;
}

bool Has(JsonValue::Reader v, const std::string& name) {
  if (!v.isObject()) return false;
  for (auto field : v.getObject())
    if (field.getName() == name.c_str()) return true;
  return false;
}

std::string Str(JsonValue::Reader v) {
  return v.isString() ? v.getString().cStr() : "<not a string>";
}

int64_t Num(JsonValue::Reader v) { return v.isNumber() ? static_cast<int64_t>(v.getNumber()) : -1; }

std::vector<int64_t> Nums(JsonValue::Reader v) {
  std::vector<int64_t> out;
  if (v.isArray())
    for (auto item : v.getArray()) out.push_back(Num(item));
  return out;
}

}  // namespace caseledger::testing
