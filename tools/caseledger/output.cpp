#include "output.h"

#include <algorithm>
#include <map>

namespace caseledger::cli {

void AddFormatOption(CLI::App& command, OutputFormat& format) {
  static const std::map<std::string, OutputFormat> kFormats = {{"table", OutputFormat::kTable},
                                                               {"csv", OutputFormat::kCsv},
                                                               {"tsv", OutputFormat::kTsv},
                                                               {"json", OutputFormat::kJson}};
  command.add_option("--format", format, "Output format: table, csv, tsv or json")
      ->transform(CLI::CheckedTransformer(kFormats, CLI::ignore_case))
      ->default_str("table");
}

namespace {

// Length in bytes of the valid UTF-8 sequence at s[i], or 0 if it is not valid.
size_t Utf8SequenceLength(const std::string& s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return 0;
  return n;
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string TsvField(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\t') out += "\\t";
    else if (c == '\n') out += "\\n";
    else if (c == '\\') out += "\\\\";
    else out += c;
  }
  return out;
}

size_t DisplayWidth(const std::string& s) {
  size_t w = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++w;  // count code points, not bytes
  return w;
}

}  // namespace

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (n > 1) {
      out.append(s, i, n);
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
    i += n;
  }
  return out + "\"";
}

void PrintTable(const Table& table, OutputFormat format, std::ostream& out) {
  const auto& cols = table.columns;
  switch (format) {
    case OutputFormat::kTable: {
      std::vector<size_t> width(cols.size());
      for (size_t c = 0; c < cols.size(); ++c) width[c] = DisplayWidth(cols[c].name);
      for (const auto& row : table.rows)
        for (size_t c = 0; c < cols.size() && c < row.size(); ++c)
          width[c] = std::max(width[c], DisplayWidth(row[c]));
      auto line = [&](const std::vector<std::string>& cells, bool header) {
        std::string text;
        for (size_t c = 0; c < cols.size(); ++c) {
          const std::string& cell = c < cells.size() ? cells[c] : std::string();
          std::string pad(width[c] - DisplayWidth(cell), ' ');
          bool right = cols[c].numeric && !header;
          if (c > 0) text += "  ";
          text += right ? pad + cell : (c + 1 == cols.size() ? cell : cell + pad);
        }
        out << text << "\n";
      };
      std::vector<std::string> names;
      for (const auto& c : cols) names.push_back(c.name);
      line(names, true);
      for (const auto& row : table.rows) line(row, false);
      break;
    }
    case OutputFormat::kCsv:
    case OutputFormat::kTsv: {
      const bool csv = format == OutputFormat::kCsv;
      auto field = [&](const std::string& s) { return csv ? CsvField(s) : TsvField(s); };
      for (size_t c = 0; c < cols.size(); ++c) out << (c ? (csv ? "," : "\t") : "") << field(cols[c].name);
      out << "\n";
      for (const auto& row : table.rows) {
        for (size_t c = 0; c < cols.size(); ++c)
          out << (c ? (csv ? "," : "\t") : "") << field(c < row.size() ? row[c] : "");
        out << "\n";
      }
      break;
    }
    case OutputFormat::kJson: {
      out << "[";
      for (size_t r = 0; r < table.rows.size(); ++r) {
        out << (r ? ",\n " : "\n ") << "{";
        for (size_t c = 0; c < cols.size(); ++c) {
          const std::string& cell = c < table.rows[r].size() ? table.rows[r][c] : std::string();
          out << (c ? ", " : "") << JsonString(cols[c].name) << ": ";
          if (cols[c].numeric && !cell.empty()) out << cell;
          else if (cols[c].numeric) out << "null";
          else out << JsonString(cell);
        }
        out << "}";
      }
      out << (table.rows.empty() ? "]\n" : "\n]\n");
      break;
    }
  }
}

}  // namespace caseledger::cli
