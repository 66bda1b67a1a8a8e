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

int main(int argc, char **argv) {
  muon::onnx_import::registerImportONNXTranslation();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "muon-mlir translation driver"));
}
