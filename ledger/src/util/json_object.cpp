#include "util/json_object.h"

#include "caseledger/checkpoint.h"  // the hex helpers

#include <capnp/compat/json.h>
#include <capnp/message.h>
#include <kj/exception.h>

#include <algorithm>
#include <cmath>

namespace caseledger::util {
namespace {

constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53
constexpr int kMaxDepth = 8;

// Decodes `json` into `message` and returns its root, which must be an object.
Result<capnp::JsonValue::Reader> DecodeObject(std::string_view json, const std::string& what,
                                              capnp::MallocMessageBuilder& message) {
  capnp::JsonCodec codec;
  codec.setMaxNestingDepth(kMaxDepth);
  auto root = message.initRoot<capnp::JsonValue>();
  KJ_IF_MAYBE (e, kj::runCatchingExceptions([&] {
                 codec.decodeRaw(kj::ArrayPtr<const char>(json.data(), json.size()), root);
               })) {
    return Status::InvalidArgument(what + ": not valid JSON: " + e->getDescription().cStr());
  }
  auto value = root.asReader();
  if (!value.isObject()) return Status::InvalidArgument(what + ": not a JSON object");
  return value;
}

}  // namespace

struct StrictJsonObject::Parsed {
  std::string what;
  capnp::MallocMessageBuilder message;
  std::map<std::string, capnp::JsonValue::Reader, std::less<>> fields;
};

StrictJsonObject::StrictJsonObject(std::unique_ptr<Parsed> parsed) : parsed_(std::move(parsed)) {}
StrictJsonObject::StrictJsonObject(StrictJsonObject&&) noexcept = default;
StrictJsonObject& StrictJsonObject::operator=(StrictJsonObject&&) noexcept = default;
StrictJsonObject::~StrictJsonObject() = default;

Result<StrictJsonObject> StrictJsonObject::Parse(std::string_view json, std::string what,
                                                 std::initializer_list<std::string_view> fields) {
  auto parsed = std::make_unique<Parsed>();
  parsed->what = std::move(what);
  CASELEDGER_ASSIGN_OR_RETURN(auto value, DecodeObject(json, parsed->what, parsed->message));
  for (auto field : value.getObject()) {
    const std::string name(field.getName().cStr(), field.getName().size());
    if (std::find(fields.begin(), fields.end(), name) == fields.end())
      return Status::InvalidArgument(parsed->what + ": unknown field \"" + name + "\"");
    if (!parsed->fields.emplace(name, field.getValue()).second)
      return Status::InvalidArgument(parsed->what + ": field \"" + name + "\" given twice");
  }
  for (std::string_view name : fields)
    if (parsed->fields.find(name) == parsed->fields.end())
      return Status::InvalidArgument(parsed->what + ": missing field \"" + std::string(name) +
                                     "\"");
  return StrictJsonObject(std::move(parsed));
}

Result<std::string> StrictJsonObject::Peek(std::string_view json, std::string what,
                                           std::string_view field) {
  capnp::MallocMessageBuilder message;
  CASELEDGER_ASSIGN_OR_RETURN(auto value, DecodeObject(json, what, message));
  for (auto f : value.getObject())
    if (std::string_view(f.getName().cStr(), f.getName().size()) == field) {
      if (!f.getValue().isString())
        return Status::InvalidArgument(what + ": field \"" + std::string(field) +
                                       "\" must be a string");
      return std::string(f.getValue().getString().cStr(), f.getValue().getString().size());
    }
  return Status::InvalidArgument(what + ": missing field \"" + std::string(field) + "\"");
}

std::string StrictJsonObject::Name(std::string_view field) const {
  return parsed_->what + ": field \"" + std::string(field) + "\"";
}

Result<std::string> StrictJsonObject::Text(std::string_view field) const {
  auto v = parsed_->fields.find(field)->second;
  if (!v.isString()) return Status::InvalidArgument(Name(field) + " must be a string");
  return std::string(v.getString().cStr(), v.getString().size());
}

Result<uint64_t> StrictJsonObject::Integer(std::string_view field) const {
  auto v = parsed_->fields.find(field)->second;
  if (!v.isNumber()) return Status::InvalidArgument(Name(field) + " must be a number");
  const double n = v.getNumber();
  if (!std::isfinite(n) || n < 0 || n > kMaxExactInteger || std::floor(n) != n)
    return Status::InvalidArgument(Name(field) + " must be a whole number from 0 to 2^53");
  return static_cast<uint64_t>(n);
}

Status StrictJsonObject::Hex(std::string_view field, std::span<uint8_t> out) const {
  CASELEDGER_ASSIGN_OR_RETURN(std::string text, Text(field));
  return HexToBytes(text, out, Name(field));
}

Result<std::vector<uint8_t>> StrictJsonObject::HexBytes(std::string_view field) const {
  CASELEDGER_ASSIGN_OR_RETURN(std::string text, Text(field));
  if (text.size() % 2 != 0)
    return Status::InvalidArgument(Name(field) + " has an odd number of hex digits");
  std::vector<uint8_t> bytes(text.size() / 2);
  CASELEDGER_RETURN_IF_ERROR(HexToBytes(text, bytes, Name(field)));
  return bytes;
}

Result<std::vector<std::string>> StrictJsonObject::TextArray(std::string_view field) const {
  auto v = parsed_->fields.find(field)->second;
  if (!v.isArray()) return Status::InvalidArgument(Name(field) + " must be an array");
  std::vector<std::string> out;
  for (auto item : v.getArray()) {
    if (!item.isString()) return Status::InvalidArgument(Name(field) + " must hold strings only");
    out.emplace_back(item.getString().cStr(), item.getString().size());
  }
  return out;
}

bool StrictJsonObject::IsNull(std::string_view field) const {
  return parsed_->fields.find(field)->second.isNull();
}

}  // namespace caseledger::util
