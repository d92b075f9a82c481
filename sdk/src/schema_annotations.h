// The annotations of case_events.capnp the SDK reads by reflection: one place for their
// ids and meaning (the catalogue listing and the JSON codec both use them).
#pragma once

#include <capnp/schema.h>

#include <cstdint>
#include <string>

namespace caseledger::schema_annotations {

inline constexpr uint64_t kRequired = 0xca609028ae014081;  // case_events.capnp `required`
inline constexpr uint64_t kJsonName = 0xfa5b1fd61c2e7c3d;  // capnp/compat/json.capnp `name`

// True if the field carries $required.
inline bool IsRequired(capnp::StructSchema::Field field) {
  for (auto a : field.getProto().getAnnotations())
    if (a.getId() == kRequired) return true;
  return false;
}

// An enumerant's name in JSON: its $Json.name, else its schema name.
inline std::string JsonName(capnp::EnumSchema::Enumerant e) {
  for (auto a : e.getProto().getAnnotations())
    if (a.getId() == kJsonName) {
      auto text = a.getValue().getText();
      return std::string(text.begin(), text.end());
    }
  auto name = e.getProto().getName();
  return std::string(name.begin(), name.end());
}

}  // namespace caseledger::schema_annotations
