# Compiler warnings applied to every popsim target through popsim_options; sanitizers applied to
# every target of the build (libraries, popsim, test programs) when POPSIM_ENABLE_SANITIZERS is ON.
add_library(popsim_options INTERFACE)
target_compile_options(popsim_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                                -Wno-sign-conversion)
if(POPSIM_WARNINGS_AS_ERRORS)
  target_compile_options(popsim_options INTERFACE -Werror)
endif()
if(POPSIM_ENABLE_SANITIZERS)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    message(FATAL_ERROR "POPSIM_ENABLE_SANITIZERS needs GCC or Clang (found ${CMAKE_CXX_COMPILER_ID})")
  endif()
  # AddressSanitizer + UndefinedBehaviorSanitizer; any undefined behaviour aborts the program
  # (-fno-sanitize-recover) so that a test that hits it fails. Directory-wide (this file is
  # included from the top-level CMakeLists.txt before src/ and tests/), so it reaches every
  # target, whether or not it links popsim_options, at compile and at link time.
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC's instrumentation makes -Wmaybe-uninitialized report false positives (std::regex,
    # std::function); the normal build keeps the warning.
    target_compile_options(popsim_options INTERFACE -Wno-maybe-uninitialized)
  endif()
endif()
