// Where generated lines go: an NDJSON file (with its anomalies TSV) or a ledger.
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "caseledger/case_events.h"
#include "gen/generator.h"

namespace caseledger::gen {
namespace {

constexpr uint64_t kProgressEvery = 16384;

// A FILE* that closes itself; Close() reports what a buffered write failed on.
class OutputFile {
 public:
  Status Open(const std::string& path) {
    path_ = path;
    if (path == "-") {
      file_ = stdout;
      return Status::Ok();
    }
    file_ = std::fopen(path.c_str(), "wb");
    if (!file_) return Status::IOError("cannot create " + path + ": " + std::strerror(errno));
    owned_ = true;
    return Status::Ok();
  }
  ~OutputFile() {
    if (owned_) std::fclose(file_);
  }
  FILE* get() { return file_; }
  // Records a failed write, for Close to report.
  void Failed(int error) {
    if (error_ == 0) error_ = error ? error : EIO;
  }
  Status Close() {
    if (std::ferror(file_) != 0) Failed(errno);
    const int closed = owned_ ? std::fclose(file_) : std::fflush(file_);
    if (closed != 0) Failed(errno);
    owned_ = false;
    if (error_ != 0) return Status::IOError("cannot write " + path_ + ": " + std::strerror(error_));
    return Status::Ok();
  }

 private:
  std::string path_;
  FILE* file_ = nullptr;
  bool owned_ = false;
  int error_ = 0;
};

// Writes chunks of lines on a second thread, so that the write system calls (about a
// third of the time for a large file) overlap the generation. At most two chunks wait.
class ChunkWriter {
 public:
  static constexpr size_t kChunkBytes = 4u << 20;

  explicit ChunkWriter(OutputFile& file) : file_(file), thread_([this] { Run(); }) {}
  ~ChunkWriter() { Finish(); }

  // Queues `chunk` for writing and leaves an empty buffer in its place.
  void Submit(std::string& chunk) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return queue_.size() < 2; });
    queue_.push_back(std::move(chunk));
    chunk = std::string();
    if (!spare_.empty()) {
      chunk = std::move(spare_.back());
      spare_.pop_back();
    }
    chunk.clear();
    changed_.notify_all();
  }

  // Writes what is queued and stops the thread.
  void Finish() {
    {
      std::lock_guard lock(mutex_);
      if (done_) return;
      done_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }

 private:
  void Run() {
    std::unique_lock lock(mutex_);
    while (true) {
      changed_.wait(lock, [&] { return !queue_.empty() || done_; });
      if (queue_.empty()) return;
      std::string chunk = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      if (std::fwrite(chunk.data(), 1, chunk.size(), file_.get()) != chunk.size())
        file_.Failed(errno);
      lock.lock();
      spare_.push_back(std::move(chunk));
      changed_.notify_all();
    }
  }

  OutputFile& file_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> queue_;
  std::vector<std::string> spare_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace

Status WriteNdjson(const GeneratorOptions& options, const std::string& path,
                   const std::string& anomalies_path, GeneratorSummary* summary,
                   const GenProgress& progress) {
  CASELEDGER_RETURN_IF_ERROR(ValidateOptions(options));
  OutputFile out, anomalies;
  CASELEDGER_RETURN_IF_ERROR(out.Open(path));
  if (!anomalies_path.empty()) {
    CASELEDGER_RETURN_IF_ERROR(anomalies.Open(anomalies_path));
    std::fputs("line\tstream\ttype\trule\tdescription\n", anomalies.get());
  }
  Generator generator(options);
  std::string_view line;
  LineInfo info;
  std::string chunk;
  chunk.reserve(ChunkWriter::kChunkBytes + (64 << 10));
  ChunkWriter writer(out);
  while (generator.Next(line, info)) {
    chunk.append(line);
    chunk.push_back('\n');
    if (chunk.size() >= ChunkWriter::kChunkBytes) writer.Submit(chunk);
    if (info.anomaly != Rule::kNone && !anomalies_path.empty()) {
      const RuleInfo& rule = Describe(info.anomaly);
      std::fprintf(anomalies.get(), "%llu\t%.*s\t%.*s\t%.*s\t%.*s\n",
                   static_cast<unsigned long long>(info.number),
                   static_cast<int>(info.stream.size()), info.stream.data(),
                   static_cast<int>(info.type.size()), info.type.data(),
                   static_cast<int>(rule.id.size()), rule.id.data(),
                   static_cast<int>(rule.description.size()), rule.description.data());
    }
    if (progress && info.number % kProgressEvery == 0) progress(info.number);
  }
  writer.Submit(chunk);
  writer.Finish();
  CASELEDGER_RETURN_IF_ERROR(out.Close());
  if (!anomalies_path.empty()) CASELEDGER_RETURN_IF_ERROR(anomalies.Close());
  if (progress) progress(generator.summary().lines);
  if (summary) *summary = generator.summary();
  return Status::Ok();
}

Status AppendToLedger(const GeneratorOptions& options, Ledger& ledger, size_t batch,
                      GeneratorSummary* summary, const GenProgress& progress) {
  CASELEDGER_RETURN_IF_ERROR(ValidateOptions(options));
  if (batch == 0 || batch > 10'000)
    return Status::InvalidArgument("the batch must be 1..10,000 lines");
  if (const Position held = ledger.CommittedPosition(); held != 0)
    return Status::InvalidArgument(
        "the ledger already holds " + std::to_string(held) +
        " events; generated events go into an empty ledger only (line k becomes "
        "position k, which corrections and voids name, and every stream is new)");
  // Every generated file has personal fields (names, notes): without the master key, a
  // case-event ledger would refuse the first batch holding one, after the registrations
  // before it were appended. So ask before writing anything.
  {
    CASELEDGER_ASSIGN_OR_RETURN(LedgerStats stats, ledger.GetStats());
    if (stats.schema == EventSchema::kCaseEvents && !stats.holds_master_key)
      return Status::InvalidArgument(
          "the generated events have personal fields to seal, and the ledger was opened "
          "without its master key (give --master-key-file or set "
          "CASELEDGER_MASTER_KEY_FILE); nothing was written");
  }
  Generator generator(options);
  std::vector<AppendRequest> requests;
  requests.reserve(batch);
  uint64_t first_line = 1;
  auto flush = [&]() -> Status {
    if (requests.empty()) return Status::Ok();
    auto results = ledger.AppendBatch(requests);
    if (!results.ok())
      return results.status().WithContext("appending lines " + std::to_string(first_line) + ".." +
                                          std::to_string(first_line + requests.size() - 1));
    // The positions corrections and voids name hold only if nobody else appends meanwhile.
    if (results->front().first_position != first_line)
      return Status::Corruption("line " + std::to_string(first_line) + " became position " +
                                std::to_string(results->front().first_position) +
                                ": another writer appended to the ledger meanwhile");
    first_line += requests.size();
    requests.clear();
    if (progress) progress(first_line - 1);
    return Status::Ok();
  };
  std::string_view line;
  LineInfo info;
  while (generator.Next(line, info)) {
    auto parsed = ParseEventLine(line);
    if (!parsed.ok())
      return parsed.status().WithContext("generated line " + std::to_string(info.number));
    AppendRequest& request = requests.emplace_back();
    request.stream = std::move(parsed->stream);
    request.expected_version = parsed->expected_version;
    request.events.push_back(std::move(parsed->event));
    if (requests.size() >= batch) CASELEDGER_RETURN_IF_ERROR(flush());
  }
  CASELEDGER_RETURN_IF_ERROR(flush());
  if (summary) *summary = generator.summary();
  return Status::Ok();
}

}  // namespace caseledger::gen
