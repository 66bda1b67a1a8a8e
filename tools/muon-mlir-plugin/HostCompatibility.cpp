//===- HostCompatibility.cpp - Is this plugin's MLIR the host's? ----------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// An mlir-opt of another LLVM version links another libMLIR.so.X.Y. Loading
// the plugin then brings a second MLIR into the process, and since libMLIR's
// C++ symbols are unversioned the plugin's calls bind to whichever copy comes
// first: registering the dialect would then crash or silently register into
// a registry the host never reads. MLIR's plugin API version (always 1) does
// not tell LLVM releases apart, so the plugin looks at the loaded libraries
// itself before registering anything.
//
//===----------------------------------------------------------------------===//

#include "HostCompatibility.h"

#include "mlir/IR/Verifier.h"
#include "llvm/Config/llvm-config.h"

#include <climits>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <link.h>
#include <string>
#include <vector>

using namespace muon::plugin;

/// The soname of the libMLIR this plugin was linked against (CMake passes
/// it), e.g. libMLIR.so.22.1.
static constexpr const char *kBuiltForMLIR = MUON_PLUGIN_MLIR_SONAME;

static std::string baseName(const char *path) {
  const char *slash = std::strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/// Whether `name` is a shared libMLIR of any version (libMLIR.so,
/// libMLIR.so.21.1, libMLIR-21.so).
static bool isLibMLIR(const std::string &name) {
  return name.rfind("libMLIR.so", 0) == 0 ||
         (name.rfind("libMLIR-", 0) == 0 &&
          name.find(".so") != std::string::npos);
}

static int collectLibMLIRs(struct dl_phdr_info *info, size_t, void *data) {
  auto *found = static_cast<std::vector<std::string> *>(data);
  if (info->dlpi_name && isLibMLIR(baseName(info->dlpi_name)))
    found->push_back(info->dlpi_name);
  return 0;
}

/// The file `path` names after symlinks, or `path` itself.
static std::string realPath(const std::string &path) {
  char resolved[PATH_MAX];
  return realpath(path.c_str(), resolved) ? resolved : path;
}

std::string muon::plugin::checkHostMLIR() {
  // The libMLIR the plugin's own calls resolve to: with another release's
  // libMLIR loaded first, or a host that carries MLIR statically (and
  // exports it), that is not the one it was linked against.
  mlir::LogicalResult (*probe)(mlir::Operation *, bool) = &mlir::verify;
  Dl_info where;
  if (!dladdr(reinterpret_cast<void *>(probe), &where) || !where.dli_fname)
    return "cannot tell which MLIR library this plugin is bound to";
  if (baseName(where.dli_fname) != kBuiltForMLIR)
    return std::string("this plugin's MLIR calls resolve into ") +
           where.dli_fname + ", not " + kBuiltForMLIR +
           ": load it only into tools linked against " + kBuiltForMLIR +
           " (LLVM " LLVM_VERSION_STRING ")";

  // Any other libMLIR in the process (another release's, or a second copy)
  // holds registries the plugin's registrations would never reach.
  std::string bound = realPath(where.dli_fname);
  std::vector<std::string> loaded;
  dl_iterate_phdr(collectLibMLIRs, &loaded);
  for (const std::string &path : loaded) {
    if (realPath(path) != bound)
      return "the host process loads " + path +
             " besides the MLIR this plugin is bound to (" + bound +
             "); this plugin was built for " + kBuiltForMLIR +
             " (LLVM " LLVM_VERSION_STRING
             ") and works only in tools linked against it alone, such as "
             "that release's mlir-opt";
  }
  return "";
}
