// QueryTable: a projection query's result, as the projector hands it on (named, typed
// columns and rows of cells), and the sink that collects it from a plugin with checks.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "caseledger/plugin.h"

namespace caseledger::projector {

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
const char* ColumnTypeName(QueryTable::Type type);  // "text", "int", "real"

// Collects what a plugin writes through a caseledger_table_sink. The first misuse (a
// column after a cell, an unknown type, a cell of the wrong type) is kept in error().
class TableCollector {
 public:
  TableCollector();
  TableCollector(const TableCollector&) = delete;
  TableCollector& operator=(const TableCollector&) = delete;

  const caseledger_table_sink* sink() const { return &sink_; }
  // The table, or "" in error() if the plugin misused the sink or left a row unfinished.
  QueryTable Take();
  const std::string& error() const { return error_; }

 private:
  void Add(QueryTable::Cell cell, int type);
  caseledger_table_sink sink_;
  QueryTable table_;
  std::vector<QueryTable::Cell> row_;
  std::string error_;
};

}  // namespace caseledger::projector
