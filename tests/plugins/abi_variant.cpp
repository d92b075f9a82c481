// Test plugins that the projector must refuse, one per ABI mismatch (ABI_VARIANT):
//   1 exports caseledger_plugin_v2 (another ABI major: refused before loading)
//   2 a table whose struct size is not ABI 1.0's
//   3 a table of a newer ABI minor
//   4 a table built with another compiler ABI / Cap'n Proto (build tag)
//   5 exports no plugin symbol at all
// Written against the plain C header, as a plugin in another language would be.
#include <caseledger/plugin.h>

#include <boost/dll/alias.hpp>

namespace {

int Init(const caseledger_host*, void** instance) {
  *instance = nullptr;
  return CASELEDGER_PLUGIN_OK;
}
int Apply(void*, const caseledger_event*, size_t) { return CASELEDGER_PLUGIN_OK; }
int Query(void*, caseledger_bytes, const caseledger_param*, size_t, const caseledger_table_sink*) {
  return CASELEDGER_PLUGIN_OK;
}
void Shutdown(void*) {}

caseledger_plugin MakeTable() {
  caseledger_plugin t{};
  t.struct_size = sizeof(caseledger_plugin);
  t.abi_minor = CASELEDGER_PLUGIN_ABI_MINOR;
  t.build_tag = CASELEDGER_PLUGIN_BUILD_TAG;
  t.name = "abi-variant";
  t.version = "1.0.0";
  t.state_schema = 1;
  t.description = "refused by the projector";
  t.init = &Init;
  t.apply = &Apply;
  t.query = &Query;
  t.shutdown = &Shutdown;
#if ABI_VARIANT == 2
  t.struct_size += 16;
#elif ABI_VARIANT == 3
  t.abi_minor = CASELEDGER_PLUGIN_ABI_MINOR + 1;
#elif ABI_VARIANT == 4
  t.build_tag = "msvc-19.29-capnp0.7";
#endif
  return t;
}

const caseledger_plugin* Entry() {
  static const caseledger_plugin table = MakeTable();
  return &table;
}

}  // namespace

#if ABI_VARIANT == 1
BOOST_DLL_ALIAS(Entry, caseledger_plugin_v2)
#elif ABI_VARIANT != 5
BOOST_DLL_ALIAS(Entry, caseledger_plugin_v1)
#else
extern "C" __attribute__((visibility("default"))) const caseledger_plugin* not_a_plugin() {
  return Entry();
}
#endif
