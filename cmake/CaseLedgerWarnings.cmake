# caseledger_warnings(target): the warning set every target of ours compiles with.
# -Werror applies to our code only; third-party headers come in as SYSTEM includes.
function(caseledger_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-unused-parameter)
endfunction()
