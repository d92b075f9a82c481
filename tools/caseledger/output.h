// Tabular output of the CLI: every command that prints rows builds a Table and prints it
// in the format the user asked for with --format table|csv|tsv|json.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace caseledger::cli {

enum class OutputFormat { kTable, kCsv, kTsv, kJson };

// Adds `--format table|csv|tsv|json` (default table) to `command`.
void AddFormatOption(CLI::App& command, OutputFormat& format);

struct Column {
  std::string name;
  bool numeric = false;  // right-aligned in tables, unquoted in JSON
};

struct Table {
  std::vector<Column> columns;
  std::vector<std::vector<std::string>> rows;
};

// table: aligned columns with a header; csv: RFC 4180; tsv: tabs, with tabs and newlines
// in values escaped as \t and \n; json: an array of objects, one per row.
void PrintTable(const Table& table, OutputFormat format, std::ostream& out);

// A JSON string literal of `s` (quoted, escaped; bytes that are not UTF-8 become U+FFFD).
std::string JsonString(const std::string& s);

}  // namespace caseledger::cli
