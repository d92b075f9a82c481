#include "log/segment_log.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "log/frame.h"

namespace caseledger::log {

namespace fs = std::filesystem;

Status SegmentLog::CreateSegment(const Options& options, uint32_t index) {
  const std::string final_path = SegmentPath(options.log_dir, index);
  const std::string tmp_path = final_path + ".tmp";
  CASELEDGER_ASSIGN_OR_RETURN(auto file, options.file_system->OpenForWrite(tmp_path, true));
  auto header = EncodeSegmentHeader(index, options.segment_bytes, options.ledger_id);
  CASELEDGER_RETURN_IF_ERROR(file->Write(0, header));
  // Zero-fill the whole file so that later writes allocate no blocks and an fdatasync
  // has no metadata to flush.
  const std::vector<std::byte> zeros(1 << 20, std::byte{0});
  for (uint64_t off = kSegmentHeaderBytes; off < options.segment_bytes;) {
    uint64_t n = std::min<uint64_t>(zeros.size(), options.segment_bytes - off);
    CASELEDGER_RETURN_IF_ERROR(file->Write(off, std::span(zeros.data(), n)));
    off += n;
  }
  CASELEDGER_RETURN_IF_ERROR(file->DataSync());
  file.reset();
  return options.file_system->RenameDurably(tmp_path, final_path);
}

Result<std::unique_ptr<SegmentLog>> SegmentLog::Open(const Options& options) {
  std::unique_ptr<SegmentLog> log(new SegmentLog(options));
  std::vector<uint32_t> indexes;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options.log_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() == 12 && name.ends_with(".seg") &&
        std::all_of(name.begin(), name.begin() + 8, ::isdigit)) {
      indexes.push_back(static_cast<uint32_t>(std::stoul(name.substr(0, 8))));
    } else if (name.ends_with(".seg.tmp") && options.writable) {
      // A preallocation interrupted by a crash; it never held records.
      fs::remove(entry.path(), ec);
    }
  }
  if (ec) return Status::IOError("cannot list " + options.log_dir + ": " + ec.message());
  std::sort(indexes.begin(), indexes.end());
  for (size_t i = 0; i < indexes.size(); ++i)
    if (indexes[i] != i)
      return Status::Corruption("segment " + SegmentPath(options.log_dir, uint32_t(i)) +
                                " is missing (segments must be numbered without gaps)");
  if (indexes.empty()) return Status::Corruption("no segment files in " + options.log_dir);
  log->ready_count_ = log->want_count_ = static_cast<uint32_t>(indexes.size());
  return log;
}

SegmentLog::~SegmentLog() {
  if (preallocator_.joinable()) {
    preallocator_.request_stop();
    prealloc_cv_.notify_all();
    preallocator_.join();
  }
}

Result<std::shared_ptr<const MappedSegment>> SegmentLog::Segment(uint32_t index) const {
  std::lock_guard lock(map_mutex_);
  if (index < mapped_.size() && mapped_[index]) return mapped_[index];
  CASELEDGER_ASSIGN_OR_RETURN(auto seg,
                              MappedSegment::Open(SegmentPath(options_.log_dir, index), index,
                                                  options_.segment_bytes, options_.ledger_id));
  if (mapped_.size() <= index) mapped_.resize(index + 1);
  mapped_[index] = seg;
  return seg;
}

void SegmentLog::NoteRandomRead(const MappedSegment& segment, size_t offset, size_t length) const {
  const size_t added = segment.MarkRandomRead(offset, length);
  if ((random_read_windows_ += added) * MappedSegment::kReadWindowBytes <= kRandomReadBudget)
    return;
  random_read_windows_ = 0;
  std::vector<std::shared_ptr<const MappedSegment>> mapped;
  {
    std::lock_guard lock(map_mutex_);
    for (const auto& m : mapped_)
      if (m) mapped.push_back(m);
  }
  for (const auto& m : mapped) m->ReleaseRandomReads();
}

uint32_t SegmentLog::SegmentFileCount() const {
  uint32_t n = 0;
  std::error_code ec;
  while (fs::exists(SegmentPath(options_.log_dir, n), ec)) ++n;
  return n;
}

Status SegmentLog::OpenWriteFile(uint32_t index) {
  CASELEDGER_RETURN_IF_ERROR(WaitForSegment(index));
  // Never write into a segment that readers could not open: check its header first.
  CASELEDGER_RETURN_IF_ERROR(Segment(index).status());
  CASELEDGER_ASSIGN_OR_RETURN(
      write_file_, options_.file_system->OpenForWrite(SegmentPath(options_.log_dir, index), false));
  write_file_dirty_ = false;
  RequestPreallocation(index + 2);  // keep one spare segment ready
  return Status::Ok();
}

Status SegmentLog::StartWriting(Location end) {
  if (!options_.writable) return Status::InvalidArgument("the segment log is read-only");
  if (end.offset < kSegmentHeaderBytes || end.offset > options_.segment_bytes)
    return Status::Corruption("write position " + std::to_string(end.offset) +
                              " lies outside segment " + std::to_string(end.segment));
  preallocator_ = std::jthread([this](std::stop_token st) { PreallocatorLoop(st); });
  write_end_ = end;
  return OpenWriteFile(end.segment);
}

Status SegmentLog::Append(std::span<const std::byte> frames, std::span<const uint32_t> frame_sizes,
                          std::vector<Location>& locations) {
  size_t run_begin = 0;  // bytes of `frames` not yet written
  size_t run_bytes = 0;  // bytes of the current run that fits in this segment
  auto flush_run = [&]() -> Status {
    if (run_bytes == 0) return Status::Ok();
    CASELEDGER_RETURN_IF_ERROR(
        write_file_->Write(write_end_.offset - run_bytes, frames.subspan(run_begin, run_bytes)));
    write_file_dirty_ = true;
    run_begin += run_bytes;
    run_bytes = 0;
    return Status::Ok();
  };
  for (uint32_t size : frame_sizes) {
    if (size + kSegmentHeaderBytes > options_.segment_bytes)
      return Status::InvalidArgument("a record of " + std::to_string(size) +
                                     " framed bytes does not fit in a segment of " +
                                     std::to_string(options_.segment_bytes) + " bytes");
    if (write_end_.offset + size > options_.segment_bytes) {
      CASELEDGER_RETURN_IF_ERROR(flush_run());
      if (write_file_dirty_) unsynced_.push_back(std::move(write_file_));
      write_end_ = Location{write_end_.segment + 1, kSegmentHeaderBytes};
      CASELEDGER_RETURN_IF_ERROR(OpenWriteFile(write_end_.segment));
    }
    locations.push_back(write_end_);
    write_end_.offset += size;
    run_bytes += size;
  }
  return flush_run();
}

Status SegmentLog::Sync() {
  for (auto& file : unsynced_) CASELEDGER_RETURN_IF_ERROR(file->DataSync());
  unsynced_.clear();
  if (write_file_dirty_) {
    CASELEDGER_RETURN_IF_ERROR(write_file_->DataSync());
    write_file_dirty_ = false;
  }
  return Status::Ok();
}

Status SegmentLog::ZeroAndSync(uint32_t index, uint64_t offset, uint64_t length) {
  CASELEDGER_ASSIGN_OR_RETURN(
      auto file, options_.file_system->OpenForWrite(SegmentPath(options_.log_dir, index), false));
  const std::vector<std::byte> zeros(1 << 20, std::byte{0});
  while (length > 0) {
    uint64_t n = std::min<uint64_t>(zeros.size(), length);
    CASELEDGER_RETURN_IF_ERROR(file->Write(offset, std::span(zeros.data(), n)));
    offset += n;
    length -= n;
  }
  return file->DataSync();
}

Status SegmentLog::WaitForSegment(uint32_t index) {
  std::unique_lock lock(prealloc_mutex_);
  if (want_count_ < index + 1) {
    want_count_ = index + 1;
    prealloc_cv_.notify_all();
  }
  prealloc_cv_.wait(lock, [&] { return ready_count_ > index || !prealloc_error_.ok(); });
  if (ready_count_ > index) return Status::Ok();
  return prealloc_error_.WithContext("cannot preallocate segment " + std::to_string(index));
}

void SegmentLog::RequestPreallocation(uint32_t count) {
  std::lock_guard lock(prealloc_mutex_);
  if (want_count_ < count) {
    want_count_ = count;
    prealloc_cv_.notify_all();
  }
}

void SegmentLog::PreallocatorLoop(std::stop_token stop) {
  std::unique_lock lock(prealloc_mutex_);
  while (true) {
    prealloc_cv_.wait(lock, stop,
                      [&] { return want_count_ > ready_count_ && prealloc_error_.ok(); });
    if (stop.stop_requested()) return;
    const uint32_t index = ready_count_;
    lock.unlock();
    Status s = CreateSegment(options_, index);
    lock.lock();
    if (s.ok()) {
      ++ready_count_;
    } else {
      spdlog::error("segment log: {}", s.ToString());
      prealloc_error_ = s;
    }
    prealloc_cv_.notify_all();
  }
}

}  // namespace caseledger::log
