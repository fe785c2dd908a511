// rsdist entry point: parse, build, dispatch. Everything else lives in the library.
#include <iostream>
#include <string>
#include <vector>

#include "app/cli.hpp"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return rsdist::app::run_cli(args, std::cout, std::cerr);
}
