// The sink that collects a projection query's result (caseledger/query_table.h) from a
// plugin, with checks.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "caseledger/plugin.h"
#include "caseledger/query_table.h"

namespace caseledger::projector {

using caseledger::QueryTable;
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
