// StrictJsonObject: one JSON object of a file format we define (checkpoints, proofs), read
// strictly: every field known, none missing or given twice, each of the expected type.
// Errors are kInvalidArgument naming the document and the field.
//
//   auto o = StrictJsonObject::Parse(json, "proof", {"format", "tree_size", "path"});
//   if (!o.ok()) return o.status();
//   CASELEDGER_ASSIGN_OR_RETURN(uint64_t size, o->Integer("tree_size"));
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "caseledger/status.h"

namespace caseledger::util {

class StrictJsonObject {
 public:
  // `what` names the document in errors ("checkpoint", "proof").
  static Result<StrictJsonObject> Parse(std::string_view json, std::string what,
                                        std::initializer_list<std::string_view> fields);
  // The string field `field` of the object alone, to choose the field set of a document
  // with several kinds before parsing it strictly.
  static Result<std::string> Peek(std::string_view json, std::string what, std::string_view field);

  StrictJsonObject(StrictJsonObject&&) noexcept;
  StrictJsonObject& operator=(StrictJsonObject&&) noexcept;
  ~StrictJsonObject();

  Result<std::string> Text(std::string_view field) const;
  // A whole number from 0 to 2^53 (what a JSON number holds exactly).
  Result<uint64_t> Integer(std::string_view field) const;
  // Exactly out.size() bytes as lowercase hex.
  Status Hex(std::string_view field, std::span<uint8_t> out) const;
  // Lowercase hex of any even length.
  Result<std::vector<uint8_t>> HexBytes(std::string_view field) const;
  // An array of strings.
  Result<std::vector<std::string>> TextArray(std::string_view field) const;
  bool IsNull(std::string_view field) const;

 private:
  struct Parsed;
  explicit StrictJsonObject(std::unique_ptr<Parsed> parsed);
  std::string Name(std::string_view field) const;
  std::unique_ptr<Parsed> parsed_;
};

}  // namespace caseledger::util
