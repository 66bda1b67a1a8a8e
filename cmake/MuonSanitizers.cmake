# Opt-in instrumented builds of the project's own code (libMLIR.so and the
# other Debian libraries stay uninstrumented):
#   MUON_ENABLE_SANITIZERS  ASan + UBSan, for running the lit suite
#   MUON_ENABLE_FUZZING     ASan + UBSan + libFuzzer coverage, and the fuzz
#                           targets in fuzz/ (clang only: libFuzzer)
option(MUON_ENABLE_SANITIZERS "Build with AddressSanitizer and UBSan" OFF)
option(MUON_ENABLE_FUZZING "Build the libFuzzer targets in fuzz/ (clang)" OFF)

if(MUON_ENABLE_SANITIZERS OR MUON_ENABLE_FUZZING)
  # vptr checks need RTTI, which LLVM is built without. Undefined behaviour
  # aborts, so that a lit test or a fuzz run fails on it.
  set(MUON_SANITIZER_FLAGS
    -fsanitize=address,undefined -fno-sanitize=vptr
    -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_compile_options(${MUON_SANITIZER_FLAGS})
  add_link_options(${MUON_SANITIZER_FLAGS})

  # Python loads the (instrumented) CPU runtime through muon-compile's
  # libraries: lit preloads this ASan runtime into it.
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    set(_asan_runtime_name libclang_rt.asan-x86_64.so)
  else()
    set(_asan_runtime_name libasan.so)
  endif()
  execute_process(
    COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=${_asan_runtime_name}
    OUTPUT_VARIABLE MUON_ASAN_RUNTIME OUTPUT_STRIP_TRAILING_WHITESPACE)
  # clang links the ASan runtime into executables only: the CPU runtime
  # library takes the instrumentation's symbols from the process it is loaded
  # into, so it cannot be linked with -z defs (LLVM drops that flag for its
  # own sanitizer builds too).
  string(REPLACE "-Wl,-z,defs" "" CMAKE_SHARED_LINKER_FLAGS
         "${CMAKE_SHARED_LINKER_FLAGS}")
endif()

if(MUON_ENABLE_FUZZING)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "MUON_ENABLE_FUZZING needs clang (libFuzzer): "
                        "-DCMAKE_CXX_COMPILER=clang++-22 -DCMAKE_C_COMPILER=clang-22")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
