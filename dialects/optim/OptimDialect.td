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

    A module marked `optim.deterministic` (a unit attribute) asks for GPU
    kernels whose results do not change from run to run: the fused update
    kernels then sum each matrix's ‖U‖² in a fixed order (per-thread
    partials reduced by a few small kernels) instead of atomically.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    void registerAttributes();

    /// Name of the module attribute that asks for run-to-run identical
    /// kernels.
    static constexpr ::llvm::StringLiteral kDeterministicAttrName =
        "optim.deterministic";
    /// Whether the module around `op` carries kDeterministicAttrName.
    static bool isDeterministic(::mlir::Operation *op);
  }];
}

class Optim_Op<string mnemonic, list<Trait> traits = []>
    : Op<Optim_Dialect, mnemonic, traits>;

#endif // OPTIM_DIALECT
