# rsdist_add_model_family(<name> SOURCES <files...> [LIBS <targets...>])
#
# A model family is a folder of its own (src/families/<name>/) whose sources register the family
# at static initialisation (train/model_family.hpp, Note [Registration]). Each becomes a static
# library `rsdist_family_<name>`; `rsdist_families` links every one of them whole
# (WHOLE_ARCHIVE), so that no registration is dropped by the linker for being unreferenced.
# Executables that must know every model (rsdist, the CLI tests) link rsdist_families.
function(rsdist_add_model_family name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  set(target rsdist_family_${name})
  add_library(${target} STATIC ${ARG_SOURCES})
  target_include_directories(${target} PUBLIC "${PROJECT_SOURCE_DIR}/src")
  target_link_libraries(${target} PUBLIC rsdist_train ${ARG_LIBS} PRIVATE rsdist_warnings)
  set_property(GLOBAL APPEND PROPERTY RSDIST_MODEL_FAMILIES ${target})
endfunction()
