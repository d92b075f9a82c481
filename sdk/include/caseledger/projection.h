// A projection plugin in C++: one class and one macro. Header-only, over plugin.h's C ABI.
//
//   #include <caseledger/projection.h>
//
//   class HomeVisits : public caseledger::Projection {
//    public:
//     static constexpr const char* kName = "home-visits";
//     static constexpr const char* kVersion = "1.0.0";
//     static constexpr uint32_t kStateSchema = 1;
//     static constexpr const char* kDescription = "Home visits per children's director";
//     static constexpr const char* kEventTypes[] = {"FollowUpCompleted", nullptr};
//     static constexpr const char* kQueries[] = {"by_user: visits per user", nullptr};
//
//     void Apply(std::span<const caseledger::Event> events, caseledger::State& state) override {
//       for (const caseledger::Event& e : events)
//         state.Put("user/" + std::string(e.actor_user()), ...);
//     }
//     caseledger::Table Query(std::string_view name, const caseledger::QueryParams& params,
//                             caseledger::State& state) override { ... }
//   };
//   CASELEDGER_REGISTER_PROJECTION(HomeVisits)
//
// Errors: throw anything derived from std::exception from Apply or Query (or return a
// Table only when all is well). The wrapper catches it at the boundary and reports its
// what() to the projector; no exception ever crosses into the host. A failed Apply rolls
// back the whole batch, and the projector stops the plugin at its last checkpoint.
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/array.h>

#include <boost/dll/alias.hpp>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "caseledger/plugin.h"

namespace caseledger {
inline namespace v1 {

inline caseledger_bytes ToBytes(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view ToView(caseledger_bytes b) { return {b.data, b.size}; }

// Thrown by the wrapper itself (bad parameters, state errors); any std::exception works.
class PluginError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One stored event, as Apply sees it. Borrowed: valid only during the Apply call.
class Event {
 public:
  explicit Event(const caseledger_event& e) : e_(&e) {}
  uint64_t position() const { return e_->position; }
  std::string_view stream() const { return ToView(e_->stream); }
  int64_t stream_version() const { return e_->stream_version; }
  std::string_view type() const { return ToView(e_->type); }
  uint32_t schema_version() const { return e_->schema_version; }
  int64_t recorded_at_micros() const { return e_->recorded_at_micros; }
  int64_t occurred_at_micros() const { return e_->occurred_at_micros; }
  std::string_view actor_user() const { return ToView(e_->actor_user); }
  std::string_view actor_role() const { return ToView(e_->actor_role); }
  std::string_view actor_agency() const { return ToView(e_->actor_agency); }
  std::string_view recorded_by() const { return ToView(e_->recorded_by); }
  uint64_t corrects() const { return e_->corrects; }
  std::string_view correction_reason() const { return ToView(e_->correction_reason); }
  std::string_view payload() const { return ToView(e_->payload); }

 private:
  const caseledger_event* e_;
};

// A stored payload decoded as the Cap'n Proto struct T (from "schema/case_events.capnp.h"):
//   caseledger::Payload<caseledger::schema::ReferralMade> made(event.payload());
//   std::string to = made->getToUser();
// Copies the bytes to aligned words (the log does not align payloads). Throws
// PluginError if they are not a message; reading a field out of bounds throws kj's.
template <typename T>
class Payload {
 public:
  explicit Payload(std::string_view bytes)
      : words_(kj::heapArray<capnp::word>((bytes.size() + sizeof(capnp::word) - 1) /
                                          sizeof(capnp::word))) {
    if (bytes.size() % sizeof(capnp::word) != 0 || bytes.empty())
      throw PluginError("payload of " + std::to_string(bytes.size()) +
                        " bytes is not a Cap'n Proto message");
    std::memcpy(words_.begin(), bytes.data(), bytes.size());
    reader_.emplace(words_.asPtr());
    root_ = reader_->template getRoot<T>();
  }
  typename T::Reader operator*() const { return root_; }
  const typename T::Reader* operator->() const { return &root_; }

 private:
  kj::Array<capnp::word> words_;
  std::optional<capnp::FlatArrayMessageReader> reader_;
  typename T::Reader root_;
};

// The plugin's own key-value state (see caseledger_host). Writes during Apply are
// committed with the checkpoint, or discarded with the batch; State is read-only in Query.
class State {
 public:
  explicit State(const caseledger_host* host) : host_(host) {}

  std::optional<std::string> Get(std::string_view key) const {
    caseledger_bytes value{};
    const int found = host_->state_get(host_->context, ToBytes(key), &value);
    if (found < 0) throw PluginError("state: reading a key failed");
    if (found == 0) return std::nullopt;
    return std::string(value.data, value.size);
  }
  void Put(std::string_view key, std::string_view value) {
    if (host_->state_put(host_->context, ToBytes(key), ToBytes(value)) != 0)
      throw PluginError("state: writing a key failed");
  }
  void Delete(std::string_view key) {
    if (host_->state_delete(host_->context, ToBytes(key)) != 0)
      throw PluginError("state: deleting a key failed");
  }
  // Visits the keys starting with `prefix` in byte order until `visit` returns false.
  void Scan(std::string_view prefix,
            const std::function<bool(std::string_view key, std::string_view value)>& visit) const {
    struct Context {
      const std::function<bool(std::string_view, std::string_view)>* visit;
      std::exception_ptr error;
    } context{&visit, nullptr};
    const caseledger_scan_visitor visitor = [](void* c, caseledger_bytes k, caseledger_bytes v) {
      auto* ctx = static_cast<Context*>(c);
      try {
        return (*ctx->visit)(ToView(k), ToView(v)) ? 0 : 1;
      } catch (...) {  // never unwind through the host's frames
        ctx->error = std::current_exception();
        return 1;
      }
    };
    const int rc = host_->state_scan(host_->context, ToBytes(prefix), visitor, &context);
    if (context.error) std::rethrow_exception(context.error);
    if (rc != 0) throw PluginError("state: scanning failed");
  }
  // Logs through the projector (level: CASELEDGER_LOG_*).
  void Log(int level, std::string_view message) const {
    host_->log(host_->context, level, ToBytes(message));
  }

 private:
  const caseledger_host* host_;
};

// The parameters of a query (--param name=value).
class QueryParams {
 public:
  QueryParams(const caseledger_param* params, size_t count) : params_(params, count) {}
  // The value of `name`, if given.
  std::optional<std::string_view> Get(std::string_view name) const {
    for (const caseledger_param& p : params_)
      if (ToView(p.name) == name) return ToView(p.value);
    return std::nullopt;
  }
  // Throws PluginError naming the first parameter not in `known`.
  void AllowOnly(std::initializer_list<std::string_view> known) const {
    for (const caseledger_param& p : params_) {
      bool ok = false;
      for (std::string_view k : known) ok = ok || ToView(p.name) == k;
      if (!ok) {
        std::string list;
        for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
        throw PluginError("unknown parameter \"" + std::string(ToView(p.name)) +
                          "\" (this query takes: " + (list.empty() ? "none" : list) + ")");
      }
    }
  }
  std::span<const caseledger_param> all() const { return params_; }

 private:
  std::span<const caseledger_param> params_;
};

// A query's result: named, typed columns and rows of cells.
class Table {
 public:
  enum class Type {
    kText = CASELEDGER_COLUMN_TEXT,
    kInt = CASELEDGER_COLUMN_INT,
    kReal = CASELEDGER_COLUMN_REAL
  };
  using Cell = std::variant<std::monostate, std::string, int64_t, double>;  // monostate = null

  Table& Column(std::string name, Type type) {
    columns_.emplace_back(std::move(name), type);
    return *this;
  }
  // Adds a row; it must have one cell per column.
  Table& Row(std::vector<Cell> cells) {
    if (cells.size() != columns_.size())
      throw PluginError("a row of " + std::to_string(cells.size()) + " cells in a table of " +
                        std::to_string(columns_.size()) + " columns");
    rows_.push_back(std::move(cells));
    return *this;
  }
  const std::vector<std::pair<std::string, Type>>& columns() const { return columns_; }
  const std::vector<std::vector<Cell>>& rows() const { return rows_; }

  void WriteTo(const caseledger_table_sink& sink) const {
    for (const auto& [name, type] : columns_)
      sink.column(sink.context, ToBytes(name), static_cast<int>(type));
    for (const auto& row : rows_) {
      for (const Cell& cell : row) {
        if (const auto* s = std::get_if<std::string>(&cell))
          sink.text(sink.context, ToBytes(*s));
        else if (const auto* i = std::get_if<int64_t>(&cell))
          sink.integer(sink.context, *i);
        else if (const auto* d = std::get_if<double>(&cell))
          sink.real(sink.context, *d);
        else
          sink.null(sink.context);
      }
    }
  }

 private:
  std::vector<std::pair<std::string, Type>> columns_;
  std::vector<std::vector<Cell>> rows_;
};

// The base of a C++ projection. One instance per plugin instance; never called concurrently.
class Projection {
 public:
  virtual ~Projection() = default;
  // Applies a batch of events (only the types in kEventTypes), in position order.
  virtual void Apply(std::span<const Event> events, State& state) = 0;
  // Answers query `name`; State is read-only here.
  virtual Table Query(std::string_view name, const QueryParams& params, State& state) = 0;
};

namespace plugin_detail {

struct Instance {
  const caseledger_host* host;
  State state;
  std::unique_ptr<Projection> projection;
};

inline int Fail(const caseledger_host* host, std::string_view message) {
  host->fail(host->context, ToBytes(message));
  return CASELEDGER_PLUGIN_ERROR;
}

// Runs `body`, turning any exception into an error reported to the host.
template <typename Body>
int Guard(const caseledger_host* host, Body&& body) {
  try {
    body();
    return CASELEDGER_PLUGIN_OK;
  } catch (const std::exception& e) {
    return Fail(host, e.what());
  } catch (...) {
    return Fail(host, "unknown exception");
  }
}

// kEventTypes (unless nullptr: every type) and kQueries must end with nullptr.
template <auto& List>
constexpr bool EndsWithNull() {
  if constexpr (std::is_array_v<std::remove_reference_t<decltype(List)>>)
    return List[std::extent_v<std::remove_reference_t<decltype(List)>> - 1] == nullptr;
  else
    return true;
}

template <typename P>
const caseledger_plugin* Table() {
  static_assert(EndsWithNull<P::kEventTypes>(), "kEventTypes must end with nullptr");
  static_assert(EndsWithNull<P::kQueries>(), "kQueries must end with nullptr");
  static const caseledger_plugin table = {
      sizeof(caseledger_plugin),
      CASELEDGER_PLUGIN_ABI_MINOR,
      CASELEDGER_PLUGIN_BUILD_TAG,
      P::kName,
      P::kVersion,
      P::kStateSchema,
      P::kDescription,
      P::kEventTypes,
      P::kQueries,
      [](const caseledger_host* host, void** instance) {
        return Guard(host, [&] {
          // Owned by the plugin; the host only passes the pointer back, and shutdown frees it.
          *instance = std::make_unique<Instance>(Instance{host, State(host), std::make_unique<P>()})
                          .release();
        });
      },
      [](void* instance, const caseledger_event* events, size_t count) {
        auto* self = static_cast<Instance*>(instance);
        return Guard(self->host, [&] {
          std::vector<Event> views;
          views.reserve(count);
          for (size_t i = 0; i < count; ++i) views.emplace_back(events[i]);
          self->projection->Apply(views, self->state);
        });
      },
      [](void* instance, caseledger_bytes name, const caseledger_param* params, size_t count,
         const caseledger_table_sink* sink) {
        auto* self = static_cast<Instance*>(instance);
        return Guard(self->host, [&] {
          self->projection->Query(ToView(name), QueryParams(params, count), self->state)
              .WriteTo(*sink);
        });
      },
      [](void* instance) {
        try {
          std::unique_ptr<Instance> owned(static_cast<Instance*>(instance));
        } catch (...) {  // a destructor that throws must not unwind into the host
        }
      },
  };
  return &table;
}

}  // namespace plugin_detail
}  // namespace v1
}  // namespace caseledger

static_assert(CASELEDGER_PLUGIN_ABI_MAJOR == 1, "the alias below must name the ABI major");

// Exports `Class` (a caseledger::Projection with the static k* members shown above) as
// this library's plugin. Use it once per shared library, at namespace scope.
#define CASELEDGER_REGISTER_PROJECTION(Class)           \
  namespace {                                           \
  const caseledger_plugin* CaseledgerPluginEntry() {    \
    return ::caseledger::plugin_detail::Table<Class>(); \
  }                                                     \
  }                                                     \
  BOOST_DLL_ALIAS(CaseledgerPluginEntry, caseledger_plugin_v1)
