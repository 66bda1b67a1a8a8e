//===- OptimAttrs.td - Attributes of the optim dialect -----*- tablegen -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_ATTRS
#define OPTIM_ATTRS

include "optim/OptimDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Optim_LrAdjustOriginal : I32EnumAttrCase<"original", 0>;
def Optim_LrAdjustMatchRmsAdamW : I32EnumAttrCase<"match_rms_adamw", 1>;
def Optim_LrAdjustSpectralUnclamped
    : I32EnumAttrCase<"spectral_unclamped", 2>;
def Optim_LrAdjustNone : I32EnumAttrCase<"none", 3>;
def Optim_LrAdjust : I32EnumAttr<"LrAdjust",
    "rule scaling the learning rate by the matrix shape",
    [Optim_LrAdjustOriginal, Optim_LrAdjustMatchRmsAdamW,
     Optim_LrAdjustSpectralUnclamped, Optim_LrAdjustNone]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::muon::optim";
}
def Optim_LrAdjustAttr : EnumAttr<Optim_Dialect, Optim_LrAdjust, "lr_adjust"> {
  let summary = "learning-rate adjustment by matrix shape";
  let description = [{
    `original`: lr · max(1, A/B)^0.5 (Keller Jordan's Muon, torch default);
    `match_rms_adamw`: lr · 0.2 · sqrt(max(A, B)) (Moonlight; matches the
    update RMS of AdamW); `spectral_unclamped`: lr · sqrt(A/B) (Bernstein's
    spectral scaling); `none`: lr unchanged. A×B is the shape of each
    matrix as seen by the op's matrix view.
  }];
  let assemblyFormat = "`<` $value `>`";
}

def Optim_AdamWVariantTorch : I32EnumAttrCase<"torch", 0>;
def Optim_AdamWVariantHuggingFace : I32EnumAttrCase<"huggingface", 1>;
def Optim_AdamWVariant : I32EnumAttr<"AdamWVariant",
    "where AdamW applies bias correction and weight decay",
    [Optim_AdamWVariantTorch, Optim_AdamWVariantHuggingFace]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::muon::optim";
}
def Optim_AdamWVariantAttr
    : EnumAttr<Optim_Dialect, Optim_AdamWVariant, "adamw_variant"> {
  let summary = "AdamW formulation";
  let description = [{
    `torch` (torch.optim.AdamW; ONNX Runtime's `adam_mode = 0`): bias
    correction on M and V, decay before the update. `huggingface`
    (transformers' AdamW; ONNX Runtime's `adam_mode = 1`, what its
    `generate_artifacts` emits): bias correction folded into the learning
    rate, ε outside it, decay after the update.
  }];
  let assemblyFormat = "`<` $value `>`";
}

def Optim_MatrixViewFlatten : I32EnumAttrCase<"flatten", 0>;
def Optim_MatrixViewBatch : I32EnumAttrCase<"batch", 1>;
def Optim_MatrixView : I32EnumAttr<"MatrixView",
    "how a parameter of rank > 2 is seen as matrices",
    [Optim_MatrixViewFlatten, Optim_MatrixViewBatch]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::muon::optim";
}
def Optim_MatrixViewAttr
    : EnumAttr<Optim_Dialect, Optim_MatrixView, "matrix_view"> {
  let summary = "matrix view of an N-D parameter";
  let description = [{
    `flatten`: one matrix of shape dim0 × (product of the other dims), as for
    convolution kernels; `batch`: the last two dims are the matrix and all
    leading dims index a batch of independent matrices, as for stacked experts
    or per-head projections. Irrelevant for rank-2 parameters.
  }];
  let assemblyFormat = "`<` $value `>`";
}

def Optim_NSScheduleQuintic : I32EnumAttrCase<"quintic", 0>;
def Optim_NSSchedulePolarExpress : I32EnumAttrCase<"polar_express", 1>;
def Optim_NSScheduleCustom : I32EnumAttrCase<"custom", 2>;
def Optim_NSScheduleKind : I32EnumAttr<"NSScheduleKind",
    "family of Newton–Schulz coefficients",
    [Optim_NSScheduleQuintic, Optim_NSSchedulePolarExpress,
     Optim_NSScheduleCustom]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::muon::optim";
}

def Optim_NSAlgorithmAuto : I32EnumAttrCase<"automatic", 0, "auto">;
def Optim_NSAlgorithmStandard : I32EnumAttrCase<"standard", 1>;
def Optim_NSAlgorithmGram : I32EnumAttrCase<"gram", 2>;
def Optim_NSAlgorithm : I32EnumAttr<"NSAlgorithm",
    "how the Newton–Schulz iterations are computed",
    [Optim_NSAlgorithmAuto, Optim_NSAlgorithmStandard, Optim_NSAlgorithmGram]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::muon::optim";
}

//===----------------------------------------------------------------------===//
// NSScheduleAttr
//===----------------------------------------------------------------------===//

def Optim_NSScheduleAttr : AttrDef<Optim_Dialect, "NSSchedule"> {
  let mnemonic = "ns_schedule";
  let summary = "coefficients (a, b, c) of each Newton–Schulz iteration";
  let description = [{
    Iteration i computes `X = a_i X + (b_i S + c_i S S) X` with `S = X Xᵀ`.

    - `#optim.ns_schedule<quintic>`: (3.4445, −4.7750, 2.0315) every
      iteration; input normalized as U / (‖U‖_F + 1e-7) (Keller Jordan's
      Muon, torch.optim.Muon).
    - `#optim.ns_schedule<polar_express>`: the five tuned Polar Express
      tuples (Amsel et al., arXiv 2505.16932, with safety factor); input
      normalized as U / (‖U‖_F · 1.02 + 1e-6); the last tuple repeats when
      more iterations are asked for.
    - `#optim.ns_schedule<custom [(a, b, c), ...]>`: one tuple per iteration,
      normalized like `quintic`; the op using it must ask for exactly as many
      iterations as there are tuples.

    An optional second part says how the iterations are computed; both ways
    give the same iterate in exact arithmetic (m×n wide orientation, m ≤ n):

    - `standard`: the iteration above, three products per step, two of
      them m×m×n.
    - `gram`: Gram Newton–Schulz (Zhang, Amsel, Chen, Dao 2026). Every
      iterate is `X_t = Q_t X_0` with Q_t a polynomial in `R_0 = X_0 X_0ᵀ`,
      so the steps run on m×m matrices only:
      `Z = b R + c R²; Q = Q Z + a Q (Q = Z + a I first); R = Z (R Z + a R)
      + a (R Z + a R)`, and `X = Q X_0` once at the end. The recurrence of
      R drifts from X Xᵀ in floating point; a *restart* before step i sets
      `X = Q X`, `R = X Xᵀ`, `Q = I`. `restarts [i, ...]` lists them
      (increasing, each in [1, steps − 1]); the default restarts every two
      steps (2, 4, ...), which keeps the result within the standard
      iteration's rounding error in f32 and bf16 (docs/formulas.md).
    - absent (`auto`): `gram` when the GEMMs run in bf16 or f16 and the
      cost model (NSCostModel.h) counts fewer executed FLOPs for it (about
      n > 2m), else `standard`. f32 and f64 keep `standard`, whose rounding
      matches torch's f32 reference.

    Example: `#optim.ns_schedule<polar_express, gram restarts [2]>`.
  }];
  let parameters = (ins
    "NSScheduleKind":$kind,
    OptionalParameter<"::mlir::DenseF64ArrayAttr">:$coefficients,
    DefaultValuedParameter<"NSAlgorithm", "NSAlgorithm::automatic">:$algorithm,
    OptionalParameter<"::mlir::DenseI64ArrayAttr">:$restarts
  );
  let builders = [
    AttrBuilder<(ins "NSScheduleKind":$kind), [{
      return $_get($_ctxt, kind, ::mlir::DenseF64ArrayAttr(),
                   NSAlgorithm::automatic, ::mlir::DenseI64ArrayAttr());
    }]>
  ];
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Number of explicit tuples (custom schedules only).
    size_t getNumTuples() const { return getCoefficientValues().size() / 3; }
    /// Flattened (a, b, c) tuples; empty for the named schedules.
    llvm::ArrayRef<double> getCoefficientValues() const {
      if (auto coefficients = getCoefficients())
        return coefficients.asArrayRef();
      return {};
    }
    /// The (a, b, c) tuples of `steps` iterations.
    llvm::SmallVector<std::array<double, 3>> getTuples(int64_t steps) const;
    /// The input is normalized as U / (‖U‖_F · normScale + normEps).
    double getNormScale() const;
    double getNormEps() const;
    /// Steps before which a Gram iteration restarts (explicit or default).
    llvm::SmallVector<int64_t> getRestartSteps(int64_t steps) const;
    /// The same attribute computing its iterations by `algorithm`.
    NSScheduleAttr withAlgorithm(NSAlgorithm algorithm) const;
  }];
}

#endif // OPTIM_ATTRS
