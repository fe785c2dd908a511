// Shared wording of the error thrown by the *_backend_missing.cpp variants.
#pragma once

#include "core/error.hpp"

#define RSDIST_BACKEND_MISSING(NAME, OPTION)                                                  \
  RSDIST_THROW("rsdist was built without " NAME " ({}=OFF); rebuild with -D{}=ON where " NAME \
               " is installed",                                                               \
               OPTION, OPTION)
