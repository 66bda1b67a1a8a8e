//===- muon-translate.cpp - The muon-mlir translation driver --------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// mlir-translate with the project's translations:
//
//   muon-translate --import-onnx model.onnx -o model.mlir
//
//===----------------------------------------------------------------------===//

#include "muon/Target/ONNX/ONNXImporter.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

/// mlirTranslateMain reads its input whole before any translation runs: a
/// device such as /dev/zero would be read without end. Rejects a positional
/// argument naming a device, reporting it (`-` is stdin; the value of `-o` is
/// the output; a pipe, such as a process substitution, ends and is read as
/// stdin is).
static bool reportDeviceInput(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    if (arg == "-o" || arg == "--o") {
      ++i;
      continue;
    }
    if (arg.starts_with("-"))
      continue;
    llvm::sys::fs::file_status status;
    if (!llvm::sys::fs::status(arg, status) &&
        (status.type() == llvm::sys::fs::file_type::character_file ||
         status.type() == llvm::sys::fs::file_type::block_file)) {
      llvm::errs() << "muon-translate: error: '" << arg
                   << "': a device, not a file (inputs are read whole)\n";
      return true;
    }
  }
  return false;
}

int main(int argc, char **argv) {
  if (reportDeviceInput(argc, argv))
    return 1;
  muon::onnx_import::registerImportONNXTranslation();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "muon-mlir translation driver"));
}
