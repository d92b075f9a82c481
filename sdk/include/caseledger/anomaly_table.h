// AnomalyTable: the `anomalies` answer of every built-in plugin (DOMAIN.md: "Events that
// break a state machine are ignored by the figures and listed by the anomalies query").
//
//   caseledger::AnomalyTable anomalies;
//   anomalies.Add(a.position, stream, a.rule);   // any order
//   return anomalies.ToTable();                  // position, stream, rule; by position
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "caseledger/projection.h"

namespace caseledger {
inline namespace v1 {

class AnomalyTable {
 public:
  void Add(uint64_t position, std::string stream, std::string rule) {
    rows_.emplace_back(position, std::move(stream), std::move(rule));
  }
  // Rows ordered by position; those of one position in the order they were added.
  Table ToTable() {
    std::stable_sort(rows_.begin(), rows_.end(),
                     [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
    Table t;
    t.Column("position", Table::Type::kInt)
        .Column("stream", Table::Type::kText)
        .Column("rule", Table::Type::kText);
    for (const auto& [position, stream, rule] : rows_)
      t.Row({static_cast<int64_t>(position), stream, rule});
    return t;
  }

 private:
  std::vector<std::tuple<uint64_t, std::string, std::string>> rows_;
};

}  // namespace v1
}  // namespace caseledger
