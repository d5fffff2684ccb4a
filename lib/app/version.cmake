# kt_version: the version every executable's --version prints (lib/app/version.hpp). It is the
# project version of project() and, when the source is a git checkout, `git describe --always
# --dirty` of it, taken again at every build so that a commit or an edit shows without
# reconfiguring (the generated file is rewritten only when that changes). Built from a tarball or
# without git: the project version alone.
#
# Included by the top-level CMakeLists.txt; the build also runs it as a script (cmake -P).

function(kt_write_version_source source_dir project_version git output)
  set(KT_PROJECT_VERSION "${project_version}")
  set(KT_GIT_DESCRIBE "")
  if(git AND EXISTS "${source_dir}/.git")
    execute_process(COMMAND "${git}" describe --always --dirty
      WORKING_DIRECTORY "${source_dir}"
      RESULT_VARIABLE status OUTPUT_VARIABLE described
      ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
    # Anything unexpected (an error, an odd describe) leaves the git part out.
    if(status EQUAL 0 AND described MATCHES "^[0-9A-Za-z._+-]+$")
      set(KT_GIT_DESCRIBE "${described}")
    endif()
  endif()
  configure_file("${CMAKE_CURRENT_FUNCTION_LIST_DIR}/version.cpp.in" "${output}" @ONLY)
endfunction()

if(CMAKE_SCRIPT_MODE_FILE)
  kt_write_version_source("${KT_SOURCE_DIR}" "${KT_PROJECT_VERSION}" "${KT_GIT}" "${KT_OUTPUT}")
  return()
endif()

find_package(Git QUIET)
set(KT_VERSION_SOURCE "${PROJECT_BINARY_DIR}/generated/kt_version.cpp")
kt_write_version_source("${PROJECT_SOURCE_DIR}" "${PROJECT_VERSION}" "${GIT_EXECUTABLE}"
  "${KT_VERSION_SOURCE}")
add_custom_target(kt_version_source
  COMMAND "${CMAKE_COMMAND}" "-DKT_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
    "-DKT_PROJECT_VERSION=${PROJECT_VERSION}" "-DKT_GIT=${GIT_EXECUTABLE}"
    "-DKT_OUTPUT=${KT_VERSION_SOURCE}" -P "${CMAKE_CURRENT_LIST_FILE}"
  BYPRODUCTS "${KT_VERSION_SOURCE}"
  COMMENT "Checking the git description for --version"
  VERBATIM)
add_library(kt_version STATIC "${KT_VERSION_SOURCE}")
add_dependencies(kt_version kt_version_source)
target_include_directories(kt_version PUBLIC "${PROJECT_SOURCE_DIR}")
target_link_libraries(kt_version PRIVATE kt_warnings)
