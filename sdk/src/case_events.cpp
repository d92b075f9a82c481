// The catalogue: built once from the CaseEvent union of case_events.capnp by reflection,
// so that adding a member to the union is all it takes to add an event type.
#include "caseledger/case_events.h"

#include <algorithm>
#include <vector>

#include "schema/case_events.capnp.h"

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

}  // namespace

std::span<const EventType> EventCatalogue() { return Catalogue(); }

const EventType* FindEventType(std::string_view name) {
  const auto& types = Catalogue();
  auto it = std::find_if(types.begin(), types.end(), [&](const EventType& t) { return t.name == name; });
  return it == types.end() ? nullptr : &*it;
}

Result<const EventType*> LookupEventType(std::string_view name) {
  if (const EventType* t = FindEventType(name)) return t;
  return Status::InvalidArgument("unknown event type \"" + std::string(name) +
                                 "\" (`caseledger types` lists the catalogue; docs/events.md)");
}

}  // namespace v1
}  // namespace caseledger
