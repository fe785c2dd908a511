# rsdist_add_test(<name> SOURCES <files...> [LIBS <targets...>] [LABELS <labels...>])
#
# The one way tests are registered: a GoogleTest executable `test_<name>` under build/tests/,
# each TEST discovered into CTest (at test time, so building never runs test binaries).
include(GoogleTest)
find_package(GTest REQUIRED)

function(rsdist_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  set(target test_${name})
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main rsdist_warnings)
  target_include_directories(${target} PRIVATE "${PROJECT_SOURCE_DIR}/src" "${PROJECT_SOURCE_DIR}/tests")
  target_compile_definitions(${target} PRIVATE
    RSDIST_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    RSDIST_BINARY_PATH="$<TARGET_FILE:rsdist>")
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/tests")
  gtest_discover_tests(${target}
    DISCOVERY_MODE PRE_TEST
    WORKING_DIRECTORY "${PROJECT_BINARY_DIR}"
    PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT 300)
endfunction()
