# Compiler warnings and sanitizers applied to every popsim target through popsim_options.
add_library(popsim_options INTERFACE)
target_compile_options(popsim_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                                -Wno-sign-conversion)
if(POPSIM_WARNINGS_AS_ERRORS)
  target_compile_options(popsim_options INTERFACE -Werror)
endif()
if(POPSIM_ENABLE_SANITIZERS)
  target_compile_options(popsim_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(popsim_options INTERFACE -fsanitize=address,undefined)
endif()
