// QueryTable: a projection query's result as it reaches a reader (the CLI, the server, a
// Client): named, typed columns and rows of cells, as the plugin wrote them.
//
//   auto table = client->Query("coverage", "coverage", {{"as_of", "2026-03-01T00:00:00Z"}});
//   for (const auto& row : table->rows)
//     if (const double* share = std::get_if<double>(&row[3])) ...
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "caseledger/plugin.h"

namespace caseledger {
inline namespace v1 {

struct QueryTable {
  enum class Type {
    kText = CASELEDGER_COLUMN_TEXT,
    kInt = CASELEDGER_COLUMN_INT,
    kReal = CASELEDGER_COLUMN_REAL
  };
  using Cell = std::variant<std::monostate, std::string, int64_t, double>;  // monostate = null
  struct Column {
    std::string name;
    Type type;
  };
  std::vector<Column> columns;
  std::vector<std::vector<Cell>> rows;
};

}  // namespace v1
}  // namespace caseledger
