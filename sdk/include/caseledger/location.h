// Location codes and roll-ups (DOMAIN.md "Locations"): a community's 12-digit code starts
// with its township's 9 digits, its county's 6, its prefecture's 4 and its province's 2,
// so every roll-up is a prefix.
//
//   auto level = caseledger::ParseLocationLevel("county");      // kCounty
//   std::string_view area = caseledger::AreaOf("130111200201", *level);  // "130111"
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

#include "caseledger/status.h"

namespace caseledger {
inline namespace v1 {

// The value is the number of digits of that level's code.
enum class LocationLevel {
  kProvince = 2,
  kPrefecture = 4,
  kCounty = 6,
  kTownship = 9,
  kCommunity = 12
};

// "province", "prefecture", "county", "township" or "community"; kInvalidArgument otherwise.
inline Result<LocationLevel> ParseLocationLevel(std::string_view name) {
  if (name == "province") return LocationLevel::kProvince;
  if (name == "prefecture") return LocationLevel::kPrefecture;
  if (name == "county") return LocationLevel::kCounty;
  if (name == "township") return LocationLevel::kTownship;
  if (name == "community") return LocationLevel::kCommunity;
  return Status::InvalidArgument("level \"" + std::string(name) +
                                 "\" is not one of province, prefecture, county, township, "
                                 "community");
}

// The code of the area at `level` that contains `code` (its prefix).
inline std::string_view AreaOf(std::string_view code, LocationLevel level) {
  return code.substr(0, std::min(code.size(), static_cast<size_t>(level)));
}

// OK if `prefix` can start a location code: 0 to 12 decimal digits.
inline Status ValidateCodePrefix(std::string_view prefix) {
  if (prefix.size() > 12 ||
      !std::all_of(prefix.begin(), prefix.end(), [](unsigned char c) { return std::isdigit(c); }))
    return Status::InvalidArgument("prefix \"" + std::string(prefix) +
                                   "\" is not the start of a location code (0-12 digits)");
  return Status::Ok();
}

}  // namespace v1
}  // namespace caseledger
