#pragma once

#include <string>
#include <string_view>

namespace kt::app {

// Defined in the build directory's kt_version.cpp, generated from version.cpp.in by
// version.cmake (the kt_version library): the build's version, for every executable's --version.

/// The project version of the top-level CMakeLists.txt, e.g. `0.1.0`.
std::string_view version();

/// `git describe --always --dirty` of the source at build time; empty when it was not built from
/// a git checkout (e.g. from a source tarball) or git was not available.
std::string_view git_describe();

/// What `--version` prints: `<program> <version>`, then ` (git <describe>)` when known.
std::string version_line(std::string_view program);

}  // namespace kt::app
