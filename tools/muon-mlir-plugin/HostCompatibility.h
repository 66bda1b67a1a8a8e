//===- HostCompatibility.h - Is this plugin's MLIR the host's? --*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_PLUGIN_HOSTCOMPATIBILITY_H
#define MUON_PLUGIN_HOSTCOMPATIBILITY_H

#include <string>

namespace muon::plugin {

/// The plugin shares the host's MLIR through libMLIR.so, so it only works in
/// a host that loads exactly the libMLIR it was linked against. Returns an
/// empty string if so, otherwise a message naming both.
std::string checkHostMLIR();

} // namespace muon::plugin

#endif // MUON_PLUGIN_HOSTCOMPATIBILITY_H
