# caseledger_warnings(target): the warning set every target of ours compiles with.
# -Werror applies to our code only; third-party headers come in as SYSTEM includes.
function(caseledger_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-unused-parameter
    # GCC 12 at -O3 reports -Wrestrict inside std::string's inlined code (a known false
    # positive, GCC bug 105329); keep the warning, not the build failure.
    $<$<CXX_COMPILER_ID:GNU>:-Wno-error=restrict>)
endfunction()
