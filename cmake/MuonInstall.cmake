# `cmake --install <build> --prefix P` lays out muon-mlir for other compilers:
#   P/include/muon/...      C++ headers, generated .inc files, pass .td files
#   P/include/muon-c/...    the C API
#   P/include/optim/*.td    the dialect's TableGen sources (as #include'd)
#   P/lib/*.a               the libraries, P/lib/libMuonMLIRPlugin.so, runtimes
#   P/bin                   muon-opt, muon-translate, muon-compile, muon-run
#   P/lib/cmake/MuonMLIR    MuonMLIRConfig.cmake (+ version, exported targets)
# Consumers: find_package(MuonMLIR CONFIG) and link MuonMLIR::<library>.
# Kept in this one file so other install rules (the Python package) stay
# separate.

include(CMakePackageConfigHelpers)
include(GNUInstallDirs)

set(MUON_INSTALL_CMAKE_DIR lib${LLVM_LIBDIR_SUFFIX}/cmake/MuonMLIR)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/
  DESTINATION include COMPONENT muon-headers
  FILES_MATCHING PATTERN "*.h" PATTERN "*.td")
install(DIRECTORY ${PROJECT_BINARY_DIR}/include/
  DESTINATION include COMPONENT muon-headers
  FILES_MATCHING PATTERN "*.inc"
  PATTERN "CMakeFiles" EXCLUDE)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/dialects/optim
  DESTINATION include COMPONENT muon-headers
  FILES_MATCHING PATTERN "*.td")

# add_mlir_library() already installs every library into the MLIRTargets
# export set (LLVM's distribution machinery); the tools, the plugin and the
# runtimes join it here, and it is exported under the MuonMLIR:: namespace.
set(MUON_INSTALLED_TOOLS muon-opt muon-translate muon-compile muon-run)
install(TARGETS ${MUON_INSTALLED_TOOLS} EXPORT MLIRTargets
  RUNTIME DESTINATION bin COMPONENT muon-tools)
install(TARGETS MuonMLIRPlugin EXPORT MLIRTargets
  LIBRARY DESTINATION lib${LLVM_LIBDIR_SUFFIX} COMPONENT muon-plugin)
install(TARGETS MuonMLIRCAPI EXPORT MLIRTargets
  LIBRARY DESTINATION lib${LLVM_LIBDIR_SUFFIX} COMPONENT muon-capi)
set(MUON_INSTALLED_RUNTIMES muon_cpu_runtime)
if(MUON_ENABLE_CUDA)
  list(APPEND MUON_INSTALLED_RUNTIMES muon_cuda_runtime)
endif()
install(TARGETS ${MUON_INSTALLED_RUNTIMES} EXPORT MLIRTargets
  LIBRARY DESTINATION lib${LLVM_LIBDIR_SUFFIX} COMPONENT muon-runtime)
# Installed binaries find libMLIR.so and libLLVM.so where MLIR keeps them
# (Debian: /usr/lib/llvm-22/lib, off the loader's default path).
set_target_properties(${MUON_INSTALLED_TOOLS} PROPERTIES
  INSTALL_RPATH "\$ORIGIN/../lib${LLVM_LIBDIR_SUFFIX};${LLVM_LIBRARY_DIR}")
set_target_properties(MuonMLIRPlugin MuonMLIRCAPI PROPERTIES
  INSTALL_RPATH "\$ORIGIN;${LLVM_LIBRARY_DIR}")
install(EXPORT MLIRTargets
  FILE MuonMLIRTargets.cmake
  NAMESPACE MuonMLIR::
  DESTINATION ${MUON_INSTALL_CMAKE_DIR}
  COMPONENT muon-cmake)

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/MuonMLIRConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/MuonMLIRConfig.cmake
  INSTALL_DESTINATION ${MUON_INSTALL_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR)
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/MuonMLIRConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/cmake/MuonMLIRConfig.cmake
  ${PROJECT_BINARY_DIR}/cmake/MuonMLIRConfigVersion.cmake
  DESTINATION ${MUON_INSTALL_CMAKE_DIR} COMPONENT muon-cmake)
