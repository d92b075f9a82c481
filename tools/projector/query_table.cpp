#include "query_table.h"

#include <string_view>
#include <utility>

namespace caseledger::projector {

const char* ColumnTypeName(QueryTable::Type type) {
  switch (type) {
    case QueryTable::Type::kText:
      return "text";
    case QueryTable::Type::kInt:
      return "int";
    case QueryTable::Type::kReal:
      return "real";
  }
  return "?";
}

TableCollector::TableCollector() {
  sink_.struct_size = sizeof(caseledger_table_sink);
  sink_.context = this;
  sink_.column = [](void* c, caseledger_bytes name, int type) {
    auto* self = static_cast<TableCollector*>(c);
    if (!self->error_.empty()) return;
    if (!self->table_.rows.empty() || !self->row_.empty()) {
      self->error_ = "a column was declared after the first cell";
    } else if (type < CASELEDGER_COLUMN_TEXT || type > CASELEDGER_COLUMN_REAL) {
      self->error_ = "column type " + std::to_string(type) + " is not text, int or real";
    } else {
      self->table_.columns.push_back(
          {std::string(name.data, name.size), static_cast<QueryTable::Type>(type)});
    }
  };
  sink_.text = [](void* c, caseledger_bytes v) {
    static_cast<TableCollector*>(c)->Add(std::string(v.data, v.size), CASELEDGER_COLUMN_TEXT);
  };
  sink_.integer = [](void* c, int64_t v) {
    static_cast<TableCollector*>(c)->Add(v, CASELEDGER_COLUMN_INT);
  };
  sink_.real = [](void* c, double v) {
    static_cast<TableCollector*>(c)->Add(v, CASELEDGER_COLUMN_REAL);
  };
  sink_.null = [](void* c) { static_cast<TableCollector*>(c)->Add(std::monostate{}, -1); };
}

void TableCollector::Add(QueryTable::Cell cell, int type) {
  if (!error_.empty()) return;
  if (table_.columns.empty()) {
    error_ = "a cell was written before any column";
    return;
  }
  const QueryTable::Column& column = table_.columns[row_.size()];
  if (type != -1 && type != static_cast<int>(column.type)) {
    error_ = "column \"" + column.name + "\" is " + ColumnTypeName(column.type) + " but row " +
             std::to_string(table_.rows.size() + 1) + " gives " +
             ColumnTypeName(static_cast<QueryTable::Type>(type));
    return;
  }
  row_.push_back(std::move(cell));
  if (row_.size() == table_.columns.size()) table_.rows.push_back(std::exchange(row_, {}));
}

QueryTable TableCollector::Take() {
  if (error_.empty() && !row_.empty())
    error_ = "the last row has " + std::to_string(row_.size()) + " of " +
             std::to_string(table_.columns.size()) + " cells";
  return std::exchange(table_, {});
}

}  // namespace caseledger::projector
