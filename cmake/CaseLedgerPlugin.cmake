# caseledger_add_plugin(TARGET SOURCES...): a projection plugin, built the way the
# projector expects it: a MODULE library named TARGET.so (no "lib" prefix), linked against
# caseledger::sdk, the plugin's own symbols hidden except its entry point, static
# dependencies not re-exported (template code that headers mark visible, e.g. Boost's,
# stays exported, harmlessly: the projector loads every plugin RTLD_LOCAL, so nothing is
# shared between plugins), and no undefined symbol left for load time (the projector
# loads with RTLD_NOW and would refuse it then).
#
#   find_package(CaseLedger REQUIRED)
#   caseledger_add_plugin(home_visits home_visits.cpp)
function(caseledger_add_plugin target)
  add_library(${target} MODULE ${ARGN})
  target_link_libraries(${target} PRIVATE caseledger::sdk)
  target_compile_features(${target} PRIVATE cxx_std_20)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_options(${target} PRIVATE "LINKER:--exclude-libs,ALL" "LINKER:--no-undefined")
endfunction()
