// FigureScope: what every built-in figure query takes besides its own parameters: the
// moment T (the projector's as_of), an optional location prefix, and the roll-up level.
//
//   params.AllowOnly({"as_of", "as_of_position", "prefix", "level"});
//   caseledger::FigureScope scope = caseledger::ParseFigureScope(params, LocationLevel::kCounty);
//   if (!community.starts_with(scope.prefix)) skip();
//   std::string_view area = caseledger::AreaOf(community, scope.level);
#pragma once

#include <string>

#include "caseledger/location.h"
#include "caseledger/projection.h"
#include "caseledger/time.h"

namespace caseledger {
inline namespace v1 {

struct FigureScope {
  Timestamp as_of{};   // T: the projector always passes as_of
  std::string prefix;  // only what lies under this location code ("" = everything)
  LocationLevel level = LocationLevel::kProvince;  // the `area` of each row
};

// Reads as_of (required), prefix and level (default `default_level`). Throws PluginError
// naming the parameter that is wrong.
inline FigureScope ParseFigureScope(const QueryParams& params, LocationLevel default_level) {
  FigureScope scope;
  auto as_of = ParseTimestamp(params.Get("as_of").value_or(""));
  if (!as_of.ok()) throw PluginError("as_of: " + as_of.status().message());
  scope.as_of = *as_of;
  scope.prefix = std::string(params.Get("prefix").value_or(""));
  if (Status s = ValidateCodePrefix(scope.prefix); !s.ok()) throw PluginError(s.message());
  scope.level = default_level;
  if (auto level = params.Get("level")) {
    auto parsed = ParseLocationLevel(*level);
    if (!parsed.ok()) throw PluginError(parsed.status().message());
    scope.level = *parsed;
  }
  return scope;
}

}  // namespace v1
}  // namespace caseledger
