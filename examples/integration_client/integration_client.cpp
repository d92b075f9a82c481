// integration_client: what a system that feeds and reads CaseLedger over the network
// does, with nothing but the installed SDK (caseledger/client.h, caseledger::client).
//
//   integration_client --server ADDR [--tls-ca PEM] feed FILE.ndjson
//       Checks every line first (nothing is sent if one is wrong), then appends them in
//       order, 100 lines per atomic batch. Safe to run again after a failure: each line's
//       eventId makes its append idempotent, so what was written is not written twice.
//   integration_client --server ADDR tail PLUGIN QUERY [--param NAME=VALUE]... [--every S]
//       [--times N]
//       Prints the query's answer, then again whenever the ledger has grown, every S
//       seconds (default 2), N times (default: until interrupted).
// The token is read from $CASELEDGER_TOKEN (`caseledger users DIR add WORKER` issues it):
// everything is done as that worker, with that worker's role and scope.
#include <caseledger/case_events.h>
#include <caseledger/client.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace {

int Usage() {
  std::cerr << "usage: integration_client --server ADDR [--tls-ca PEM] feed FILE.ndjson\n"
               "       integration_client --server ADDR [--tls-ca PEM] tail PLUGIN QUERY "
               "[--param NAME=VALUE]... [--every SECONDS] [--times N]\n"
               "The token comes from $CASELEDGER_TOKEN.\n";
  return 2;
}

int Fail(const std::string& what, const caseledger::Status& status) {
  std::cerr << "integration_client: " << what << ": " << status.ToString() << "\n";
  return 1;
}

// feed: every line parsed before anything is sent; then batches of appends.
int Feed(caseledger::Client& client, const std::string& file) {
  std::ifstream in(file);
  if (!in) return Fail(file, caseledger::Status::NotFound("cannot read the file"));
  std::vector<caseledger::AppendRequest> requests;
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto parsed = caseledger::ParseEventLine(line);
    if (!parsed.ok()) return Fail(file + " line " + std::to_string(number), parsed.status());
    caseledger::AppendRequest request;
    request.stream = parsed->stream;
    request.expected_version = parsed->expected_version;
    request.events.push_back(std::move(parsed->event));
    requests.push_back(std::move(request));
  }
  constexpr size_t kBatch = 100;
  size_t written = 0, already = 0;
  for (size_t first = 0; first < requests.size(); first += kBatch) {
    const size_t n = std::min(kBatch, requests.size() - first);
    auto results = client.AppendBatch(std::span(requests).subspan(first, n));
    if (!results.ok())
      return Fail("lines " + std::to_string(first + 1) + "-" + std::to_string(first + n) +
                      " (nothing of them written; run again once fixed)",
                  results.status());
    for (const auto& r : *results) (r.deduplicated ? already : written) += 1;
  }
  std::cout << "fed " << requests.size() << " events: " << written << " appended, " << already
            << " already in the ledger\n";
  return 0;
}

std::string Cell(const caseledger::QueryTable::Cell& cell) {
  if (const auto* s = std::get_if<std::string>(&cell)) return *s;
  if (const auto* i = std::get_if<int64_t>(&cell)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&cell)) return std::to_string(*d);
  return "";
}

// tail: the query's answer as CSV, again each time the ledger has grown.
int Tail(caseledger::Client& client, const std::string& plugin, const std::string& query,
         const std::vector<std::pair<std::string, std::string>>& params, int every, int times) {
  uint64_t shown_size = UINT64_MAX;
  for (int round = 0; times == 0 || round < times; ++round) {
    if (round > 0) std::this_thread::sleep_for(std::chrono::seconds(every));
    auto head = client.GetTreeHead();
    if (!head.ok()) return Fail("tree head", head.status());
    if (head->size == shown_size) continue;
    auto table = client.Query(plugin, query, params);
    if (!table.ok()) return Fail(plugin + " " + query, table.status());
    shown_size = head->size;
    std::cout << "# " << plugin << " " << query << " at ledger size " << head->size << "\n";
    for (size_t c = 0; c < table->columns.size(); ++c)
      std::cout << (c ? "," : "") << table->columns[c].name;
    std::cout << "\n";
    for (const auto& row : table->rows) {
      for (size_t c = 0; c < row.size(); ++c) std::cout << (c ? "," : "") << Cell(row[c]);
      std::cout << "\n";
    }
    std::cout.flush();
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  caseledger::RemoteOptions options;
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--server" && i + 1 < args.size())
      options.address = args[++i];
    else if (args[i] == "--tls-ca" && i + 1 < args.size())
      options.tls_ca_file = args[++i];
    else
      rest.push_back(args[i]);
  }
  if (const char* token = std::getenv("CASELEDGER_TOKEN")) options.token = token;
  if (options.address.empty() || rest.empty()) return Usage();
  auto client = caseledger::ConnectClient(options);
  if (!client.ok()) return Fail("connecting to " + options.address, client.status());

  if (rest[0] == "feed" && rest.size() == 2) return Feed(**client, rest[1]);
  if (rest[0] == "tail" && rest.size() >= 3) {
    std::vector<std::pair<std::string, std::string>> params;
    int every = 2, times = 0;
    for (size_t i = 3; i < rest.size(); ++i) {
      if (rest[i] == "--param" && i + 1 < rest.size()) {
        const std::string p = rest[++i];
        const size_t eq = p.find('=');
        if (eq == std::string::npos) return Usage();
        params.emplace_back(p.substr(0, eq), p.substr(eq + 1));
      } else if (rest[i] == "--every" && i + 1 < rest.size()) {
        every = std::atoi(rest[++i].c_str());
      } else if (rest[i] == "--times" && i + 1 < rest.size()) {
        times = std::atoi(rest[++i].c_str());
      } else {
        return Usage();
      }
    }
    return Tail(**client, rest[1], rest[2], params, every, times);
  }
  return Usage();
}
