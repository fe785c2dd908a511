# Warning flags applied per target (never through global CMAKE_CXX_FLAGS).
add_library(rsdist_warnings INTERFACE)
target_compile_options(rsdist_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter>)
