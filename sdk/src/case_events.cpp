// The catalogue: built once from the CaseEvent union of case_events.capnp by reflection,
// so that adding a member to the union is all it takes to add an event type.
#include "caseledger/case_events.h"

#include <algorithm>
#include <vector>

#include "schema/case_events.capnp.h"
#include "schema_annotations.h"

namespace caseledger {
inline namespace v1 {
namespace {

bool HasSealed(capnp::Type type, int depth = 0) {
  if (depth > 8) return false;
  if (type.isList()) return HasSealed(type.asList().getElementType(), depth + 1);
  if (!type.isStruct()) return false;
  auto s = type.asStruct();
  if (s == capnp::Schema::from<schema::Sealed>()) return true;
  for (auto field : s.getFields())
    if (HasSealed(field.getType(), depth + 1)) return true;
  return false;
}

std::vector<EventType> BuildCatalogue() {
  std::vector<EventType> types;
  for (auto member : capnp::Schema::from<schema::CaseEvent>().getUnionFields()) {
    auto s = member.getType().asStruct();
    auto name = s.getShortDisplayName();
    types.push_back({std::string(name.begin(), name.end()), s, HasSealed(member.getType())});
  }
  return types;
}

const std::vector<EventType>& Catalogue() {
  static const std::vector<EventType> types = BuildCatalogue();
  return types;
}

std::string Str(kj::StringPtr s) { return std::string(s.begin(), s.end()); }

std::string TypeName(capnp::Type type) {
  switch (type.which()) {
    case capnp::schema::Type::BOOL:
      return "Bool";
    case capnp::schema::Type::INT8:
      return "Int8";
    case capnp::schema::Type::INT16:
      return "Int16";
    case capnp::schema::Type::INT32:
      return "Int32";
    case capnp::schema::Type::INT64:
      return "Int64";
    case capnp::schema::Type::UINT8:
      return "UInt8";
    case capnp::schema::Type::UINT16:
      return "UInt16";
    case capnp::schema::Type::UINT32:
      return "UInt32";
    case capnp::schema::Type::UINT64:
      return "UInt64";
    case capnp::schema::Type::FLOAT32:
      return "Float32";
    case capnp::schema::Type::FLOAT64:
      return "Float64";
    case capnp::schema::Type::TEXT:
      return "Text";
    case capnp::schema::Type::DATA:
      return "Data";
    case capnp::schema::Type::LIST:
      return "List(" + TypeName(type.asList().getElementType()) + ")";
    case capnp::schema::Type::ENUM: {
      std::string values;
      for (auto e : type.asEnum().getEnumerants())
        values += (values.empty() ? "" : "|") + schema_annotations::JsonName(e);
      return Str(type.asEnum().getShortDisplayName()) + ": " + values;
    }
    case capnp::schema::Type::STRUCT:
      return Str(type.asStruct().getShortDisplayName());
    default:
      return "?";
  }
}

}  // namespace

std::vector<FieldInfo> DescribeFields(const EventType& type) {
  std::vector<FieldInfo> fields;
  for (auto field : type.schema.getFields()) {
    FieldInfo& f = fields.emplace_back();
    f.name = Str(field.getProto().getName());
    f.type = TypeName(field.getType());
    f.required = schema_annotations::IsRequired(field);
    f.personal = HasSealed(field.getType());
  }
  return fields;
}

std::span<const EventType> EventCatalogue() { return Catalogue(); }

const EventType* FindEventType(std::string_view name) {
  const auto& types = Catalogue();
  auto it =
      std::find_if(types.begin(), types.end(), [&](const EventType& t) { return t.name == name; });
  return it == types.end() ? nullptr : &*it;
}

Result<const EventType*> LookupEventType(std::string_view name) {
  if (const EventType* t = FindEventType(name)) return t;
  return Status::InvalidArgument("unknown event type \"" + std::string(name) +
                                 "\" (`caseledger types` lists the catalogue; docs/events.md)");
}

}  // namespace v1
}  // namespace caseledger
