/* The plugin ABI: the plain-C contract between the projector and a projection plugin.
 *
 * A plugin is a shared library that exports one symbol, CASELEDGER_PLUGIN_SYMBOL
 * ("caseledger_plugin_v1": the ABI major is part of the name), through which the projector
 * gets the plugin's `caseledger_plugin` table. Most plugins never touch this header
 * directly: caseledger/projection.h turns a C++ class into that table with one macro.
 *
 *   static const caseledger_plugin kTable = {sizeof(caseledger_plugin),
 *                                            CASELEDGER_PLUGIN_ABI_MINOR, ...};
 *   static const caseledger_plugin* GetTable(void) { return &kTable; }
 *   BOOST_DLL_ALIAS(GetTable, caseledger_plugin_v1)
 *
 * Rules of the boundary (they keep plugins built by other compilers, or against other
 * versions of the SDK, from corrupting the host):
 * - Only the C types below cross it. No C++ object, no exception, no heap ownership: every
 *   pointer is borrowed for the duration of the call that passes it, unless said otherwise.
 * - Strings are (pointer, length) pairs, UTF-8, not NUL-terminated, except the table's
 *   own `const char*` fields, which are NUL-terminated and live as long as the library.
 * - Calls into one plugin instance are never concurrent. A plugin must not keep state in
 *   globals: the projector may run a second instance (for an as-of replay) beside the first.
 * - Every function returns CASELEDGER_PLUGIN_OK or CASELEDGER_PLUGIN_ERROR; before an
 *   error it reports why through `caseledger_host.fail`.
 *
 * Compatibility: the ABI major changes the symbol name, so an old projector does not even
 * load a plugin of another major. Within a major, fields are only ever appended to the
 * structs; `struct_size` says how many a side knows, and a plugin whose `abi_minor` is
 * newer than the projector's is refused before init. */
#ifndef CASELEDGER_PLUGIN_H_
#define CASELEDGER_PLUGIN_H_

#include <stddef.h>
#include <stdint.h>

/* C++ plugins and the projector tag their builds with the Cap'n Proto version. */
#if defined(__cplusplus) && defined(__has_include)
#if __has_include(<capnp/common.h>)
#include <capnp/common.h>
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define CASELEDGER_PLUGIN_ABI_MAJOR 1
#define CASELEDGER_PLUGIN_ABI_MINOR 0
/* The exported alias through which the projector finds the table; see BOOST_DLL_ALIAS. */
#define CASELEDGER_PLUGIN_SYMBOL "caseledger_plugin_v1"
/* Every exported name starting with this is a plugin entry point of some ABI major. */
#define CASELEDGER_PLUGIN_SYMBOL_PREFIX "caseledger_plugin_v"

/* The build tag: what must match between the host and a plugin beyond this C ABI, because
 * plugins use the SDK's C++ helpers and Cap'n Proto: the compiler's C++ ABI, the standard
 * library's string ABI and the Cap'n Proto version. Compared as strings. */
#define CASELEDGER_PLUGIN_STRINGIFY_(x) #x
#define CASELEDGER_PLUGIN_STRINGIFY(x) CASELEDGER_PLUGIN_STRINGIFY_(x)
#if defined(__GXX_ABI_VERSION)
#define CASELEDGER_PLUGIN_CXX_ABI "itanium-" CASELEDGER_PLUGIN_STRINGIFY(__GXX_ABI_VERSION)
#else
#define CASELEDGER_PLUGIN_CXX_ABI "unknown"
#endif
#if defined(_GLIBCXX_USE_CXX11_ABI)
#define CASELEDGER_PLUGIN_STRING_ABI "-cxx11abi" CASELEDGER_PLUGIN_STRINGIFY(_GLIBCXX_USE_CXX11_ABI)
#else
#define CASELEDGER_PLUGIN_STRING_ABI ""
#endif
#if defined(CAPNP_VERSION_MAJOR)
#define CASELEDGER_PLUGIN_CAPNP                                                              \
  "-capnp" CASELEDGER_PLUGIN_STRINGIFY(CAPNP_VERSION_MAJOR) "." CASELEDGER_PLUGIN_STRINGIFY( \
      CAPNP_VERSION_MINOR) "." CASELEDGER_PLUGIN_STRINGIFY(CAPNP_VERSION_MICRO)
#else
#define CASELEDGER_PLUGIN_CAPNP "-capnp?"
#endif
#define CASELEDGER_PLUGIN_BUILD_TAG \
  CASELEDGER_PLUGIN_CXX_ABI CASELEDGER_PLUGIN_STRING_ABI CASELEDGER_PLUGIN_CAPNP

enum {
  CASELEDGER_PLUGIN_OK = 0,
  CASELEDGER_PLUGIN_ERROR = 1,
};

/* Log levels of caseledger_host.log (spdlog's, from trace to error). */
enum {
  CASELEDGER_LOG_TRACE = 0,
  CASELEDGER_LOG_DEBUG = 1,
  CASELEDGER_LOG_INFO = 2,
  CASELEDGER_LOG_WARN = 3,
  CASELEDGER_LOG_ERROR = 4,
};

/* Column types of a query result. */
enum {
  CASELEDGER_COLUMN_TEXT = 0,
  CASELEDGER_COLUMN_INT = 1,  /* int64 */
  CASELEDGER_COLUMN_REAL = 2, /* double */
};

/* A borrowed byte string. */
typedef struct caseledger_bytes {
  const char* data;
  size_t size;
} caseledger_bytes;

/* One stored event. Valid only during the apply call that passes it. */
typedef struct caseledger_event {
  uint64_t position;       /* dense from 1 across the ledger */
  caseledger_bytes stream; /* e.g. "case-000042" */
  int64_t stream_version;  /* dense from 0 within the stream */
  caseledger_bytes type;   /* e.g. "ReferralMade" */
  uint32_t schema_version;
  int64_t recorded_at_micros; /* ledger time, UTC microseconds since the epoch */
  int64_t occurred_at_micros; /* as the writer says; 0 = not given */
  caseledger_bytes actor_user, actor_role, actor_agency;
  caseledger_bytes recorded_by; /* the principal that appended it */
  uint64_t corrects;            /* the position this event corrects; 0 = none */
  caseledger_bytes correction_reason;
  /* The payload as stored: an unpacked Cap'n Proto message whose root is the type's
   * struct in sdk/schema/case_events.capnp. Personal fields are sealed. Not aligned. */
  caseledger_bytes payload;
} caseledger_event;

/* A query parameter, e.g. as_of_position = "1200". */
typedef struct caseledger_param {
  caseledger_bytes name;
  caseledger_bytes value;
} caseledger_param;

/* Called by caseledger_host.state_scan for each entry, in key order. Return 0 to go on,
 * anything else to stop. The views are valid only during the call. */
typedef int (*caseledger_scan_visitor)(void* visitor_context, caseledger_bytes key,
                                       caseledger_bytes value);

/* What the projector offers a plugin instance; given to init, valid until shutdown
 * returns. Pass `context` back as the first argument of every call. */
typedef struct caseledger_host {
  uint32_t struct_size; /* sizeof(caseledger_host) on the projector's side */
  void* context;
  /* Sends a message to the projector's log, tagged with the plugin's name. */
  void (*log)(void* context, int level, caseledger_bytes message);
  /* Records why the current call fails; the plugin then returns CASELEDGER_PLUGIN_ERROR. */
  void (*fail)(void* context, caseledger_bytes message);
  /* The plugin's own key-value state, which no other plugin sees. Writes go to a cache
   * that the projector commits atomically with the plugin's checkpoint after a successful
   * apply, and discards if apply fails: state always matches the checkpoint (exactly
   * once). Reads see the plugin's own uncommitted writes. Writes are refused during query.
   * state_get returns 1 and sets *value (valid until the next state call) if the key is
   * present, 0 if absent, and -1 on an error it has reported through the log. */
  int (*state_get)(void* context, caseledger_bytes key, caseledger_bytes* value);
  int (*state_put)(void* context, caseledger_bytes key, caseledger_bytes value);
  int (*state_delete)(void* context, caseledger_bytes key);
  /* Visits every key starting with `prefix`, in byte order; 0 if it ran, -1 on error. */
  int (*state_scan)(void* context, caseledger_bytes prefix, caseledger_scan_visitor visitor,
                    void* visitor_context);
} caseledger_host;

/* Where a query writes its result: first every column, then the cells row by row (one
 * per column, in column order). The projector checks the shape and the types. */
typedef struct caseledger_table_sink {
  uint32_t struct_size;
  void* context;
  void (*column)(void* context, caseledger_bytes name, int type);
  void (*text)(void* context, caseledger_bytes value);
  void (*integer)(void* context, int64_t value);
  void (*real)(void* context, double value);
  void (*null)(void* context);
} caseledger_table_sink;

/* The table a plugin exports. Every field is required unless marked optional. */
typedef struct caseledger_plugin {
  uint32_t struct_size;    /* sizeof(caseledger_plugin) as the plugin was built */
  uint32_t abi_minor;      /* CASELEDGER_PLUGIN_ABI_MINOR as the plugin was built */
  const char* build_tag;   /* CASELEDGER_PLUGIN_BUILD_TAG as the plugin was built */
  const char* name;        /* [a-z0-9_-]{1,64}; names the plugin's state and queries */
  const char* version;     /* e.g. "1.2.0"; a change rebuilds the state from position 1 */
  uint32_t state_schema;   /* a change rebuilds the state from position 1 */
  const char* description; /* one line, for `caseledger plugins list` */
  /* The event types apply receives; NULL-terminated. NULL itself = every type. */
  const char* const* event_types;
  /* The queries it answers, NULL-terminated, each "name: what it returns". */
  const char* const* queries;

  /* Creates an instance. `host` stays valid until shutdown. Sets *instance. */
  int (*init)(const caseledger_host* host, void** instance);
  /* Applies events in position order (only those of event_types). `events` may be empty
   * when a batch held none of them. On error the batch is rolled back and the plugin is
   * stopped at its last checkpoint. */
  int (*apply)(void* instance, const caseledger_event* events, size_t count);
  /* Answers a query from the current state. Unknown names or parameters are errors. */
  int (*query)(void* instance, caseledger_bytes name, const caseledger_param* params,
               size_t param_count, const caseledger_table_sink* sink);
  /* Destroys the instance. Called once; errors cannot be reported. */
  void (*shutdown)(void* instance);
} caseledger_plugin;

/* The type of the function the exported alias points to. */
typedef const caseledger_plugin* (*caseledger_plugin_entry)(void);

#ifdef __cplusplus
}
#endif

#endif /* CASELEDGER_PLUGIN_H_ */
