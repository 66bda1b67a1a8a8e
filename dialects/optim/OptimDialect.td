//===- OptimDialect.td - The optim dialect -----------------*- tablegen -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_DIALECT
#define OPTIM_DIALECT

include "mlir/IR/OpBase.td"

def Optim_Dialect : Dialect {
  let name = "optim";
  let cppNamespace = "::muon::optim";
  let summary = "Optimizer steps (Muon, Muon², AdamW, Newton–Schulz, QK-clip) as ops";
  let description = [{
    The `optim` dialect represents one optimizer step per parameter with value
    semantics: a parameter, its gradient and its optimizer state come in as
    ranked tensors, and the updated parameter and state come out. Values that
    change during training (the learning rate, the step count) are 0-d tensor
    operands so a compiled step can be captured once and replayed under a
    schedule; fixed hyper-parameters are attributes with the published
    defaults.

    The ops are lowered by `optim-decompose` and `convert-optim-to-linalg` to
    upstream dialects for execution.
  }];
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
}

class Optim_Op<string mnemonic, list<Trait> traits = []>
    : Op<Optim_Dialect, mnemonic, traits>;

#endif // OPTIM_DIALECT
