//===- OptimOps.td - Operations of the optim dialect -------*- tablegen -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_OPS
#define OPTIM_OPS

include "optim/OptimAttrs.td"
include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Type constraints and shared attribute groups
//===----------------------------------------------------------------------===//

def Optim_FloatTensor : StaticShapeTensorOf<[AnyFloat]>;
def Optim_ScalarFloat : 0DTensorOf<[AnyFloat]>;
def Optim_ScalarStep : 0DTensorOf<[AnyFloat, AnySignlessInteger]>;
// One step count shared by every member (0-d) or one per member (1-d).
def Optim_StepCounts : Type<
    And<[TensorRankOf<[AnyFloat, AnySignlessInteger], [0, 1]>.predicate,
         HasStaticShapePred]>,
    "0-d or statically sized 1-d tensor of floating-point or signless integer values",
    "::mlir::TensorType">;
// Non-zero: the update is skipped (see Optim_SkipDoc).
def Optim_SkipFlag : 0DTensorOf<[AnySignlessInteger]>;

// How the updates document their optional `skip` operand.
defvar Optim_SkipDoc = [{

    `skip`, optional, is a 0-d integer tensor read on the device: where it
    is non-zero the step is skipped and every result equals the operand it
    updates (as torch's fused optimizers treat `found_inf`).
    `muon-assertions-to-status` passes a step's status here, so that a
    failed input check leaves parameters and state as they were inside the
    update's own kernels, which then still update them in place.
}];

// The tensors of member i of an update (its parameter, gradient, state and
// results) have one type: `to` has `from`'s types, in order.
class Optim_MembersTyped<string from, string to>
    : RangedTypesMatchWith<"'" # to # "' have the types of '" # from # "'",
                           from, to, "$_self">;

// Attributes shared by every op that runs Newton–Schulz.
defvar Optim_NSAttrs = (ins
  OptionalAttr<Optim_NSScheduleAttr>:$schedule,
  OptionalAttr<TypeAttrOf<AnyFloat>>:$compute_type,
  DefaultValuedAttr<Optim_MatrixViewAttr, "MatrixView::flatten">:$view
);

// Accessors that resolve the optional NS attributes to their meaning.
defvar Optim_NSExtraDecls = [{
  /// The schedule, `quintic` when absent.
  NSScheduleAttr getScheduleOrDefault();
  /// Element type the GEMMs run in: `compute_type`, else the operand's.
  mlir::Type getComputeElementType();
}];

//===----------------------------------------------------------------------===//
// MuonOp
//===----------------------------------------------------------------------===//

def Optim_MuonOp : Optim_Op<"muon", [Pure, AttrSizedOperandSegments,
    SameVariadicResultSize,
    Optim_MembersTyped<"params", "grads">,
    Optim_MembersTyped<"params", "momentum_buffers">,
    Optim_MembersTyped<"params", "new_params">,
    Optim_MembersTyped<"params", "new_momentum_buffers">]> {
  let summary = "one Muon step: momentum, Newton–Schulz, decoupled weight decay";
  let description = [{
    Updates a matrix parameter `W` (A×B) with gradient `G` and momentum
    buffer `M`, following torch.optim.Muon:

    ```
    M' = β M + (1 − β) G
    U  = nesterov ? (1 − β) G + β M' : M'
    O  = NS(U)                     (see optim.newton_schulz)
    W' = W · (1 − lr · wd) − lr · adjust(A, B) · O
    ```

    `β` is `momentum` (default 0.95), `wd` is `weight_decay` (default 0),
    `adjust` is the `lr_adjust` rule (default `original`).
    `momentum(%b : tensor<f64>)`, optional, gives β as a 0-d tensor read at
    run time instead of the attribute (which must then be absent), for
    momentum schedules (a warm-up from 0.85 to 0.95, as modded-nanogpt's);
    its range [0, 1) is the caller's to keep. `optim.muon2` takes it too. `ns_steps`,
    `schedule`, `compute_type` and `view` configure the orthogonalization as
    on `optim.newton_schulz`. Parameters of rank > 2 are seen as matrices
    through `view`.

    A bucket (`optim-bucket`) is one op over N parameters of one element
    type: operands and results are lists, member i being (`params[i]`,
    `grads[i]`, `momentum_buffers[i]`) with results (`new_params[i]`,
    `new_momentum_buffers[i]`). Each member is updated as by its own op
    (`adjust` of its own shape); the lowering runs the N orthogonalizations
    as one batched Newton–Schulz in the first member's orientation,
    transposing the members that are the other way round (NS(Uᵀ) = NS(U)ᵀ)
    and zero-padding smaller ones to the largest rows and columns
    (NS([U 0; 0 0]) = [NS(U) 0; 0 0]; `optim-bucket` pads only near-equal
    shapes, as padding costs FLOPs).

    Example:

    ```mlir
    %w1, %m1 = optim.muon %w, %g, %m, %lr {ns_steps = 5 : i64,
        lr_adjust = #optim.lr_adjust<match_rms_adamw>}
        : tensor<768x3072xf32>, tensor<f32>
    %a:2, %b:2 = optim.muon [%w0, %w1], [%g0, %g1], [%m0, %m1], %lr
        : [tensor<768x768xf32>, tensor<768x768xf32>], tensor<f32>
    ```
  }] # Optim_SkipDoc;
  let arguments = !con((ins
    Variadic<Optim_FloatTensor>:$params,
    Variadic<Optim_FloatTensor>:$grads,
    Variadic<Optim_FloatTensor>:$momentum_buffers,
    Optim_ScalarFloat:$lr,
    Optional<Optim_SkipFlag>:$skip,
    Optional<Optim_ScalarFloat>:$dynamic_momentum,
    DefaultValuedAttr<F64Attr, "0.95">:$momentum,
    DefaultValuedAttr<BoolAttr, "true">:$nesterov,
    DefaultValuedAttr<F64Attr, "0.0">:$weight_decay,
    DefaultValuedAttr<I64Attr, "5">:$ns_steps,
    DefaultValuedAttr<Optim_LrAdjustAttr, "LrAdjust::original">:$lr_adjust
  ), Optim_NSAttrs);
  let results = (outs Variadic<Optim_FloatTensor>:$new_params,
                      Variadic<Optim_FloatTensor>:$new_momentum_buffers);
  let assemblyFormat = [{
    custom<Members>($params) `,` custom<Members>($grads) `,`
    custom<Members>($momentum_buffers) `,` $lr
    (`skip` `(` $skip^ `:` type($skip) `)`)?
    (`momentum` `(` $dynamic_momentum^ `:` type($dynamic_momentum) `)`)? attr-dict
    `:` custom<MemberTypes>(type($params)) `,` type($lr)
  }];
  let builders = [
    // Default hyper-parameters; results typed like the operands.
    OpBuilder<(ins "::mlir::ValueRange":$params, "::mlir::ValueRange":$grads,
                   "::mlir::ValueRange":$momentum_buffers, "::mlir::Value":$lr), [{
      build($_builder, $_state, params.getTypes(), params.getTypes(), params,
            grads, momentum_buffers, lr, /*skip=*/::mlir::Value(),
            /*dynamic_momentum=*/::mlir::Value(),
            ::mlir::FloatAttr(),
            ::mlir::BoolAttr(), ::mlir::FloatAttr(), ::mlir::IntegerAttr(),
            LrAdjustAttr(), NSScheduleAttr(), ::mlir::TypeAttr(),
            MatrixViewAttr());
    }]>
  ];
  // Version 2 bytecode has no list sizes (OptimBytecode.h).
  let useCustomPropertiesEncoding = 1;
  let hasVerifier = 1;
  let extraClassDeclaration = Optim_NSExtraDecls;
}

//===----------------------------------------------------------------------===//
// Muon2Op
//===----------------------------------------------------------------------===//

def Optim_Muon2Op : Optim_Op<"muon2", [Pure, AttrSizedOperandSegments,
    AttrSizedResultSegments,
    Optim_MembersTyped<"params", "grads">,
    Optim_MembersTyped<"params", "momentum_buffers">,
    Optim_MembersTyped<"params", "new_params">,
    Optim_MembersTyped<"params", "new_momentum_buffers">,
    Optim_MembersTyped<"second_moments", "new_second_moments">]> {
  let summary = "one Muon² step: second-moment preconditioning before NS";
  let description = [{
    Muon² (Liu et al., arXiv 2604.09967) divides the momentum by the square
    root of an Adam-style second moment of the raw gradient before
    orthogonalizing, which conditions the NS input so that fewer iterations
    (default 3) reach Muon's orthogonality:

    ```
    M' = β M + (1 − β) G
    V' = β₂ V + (1 − β₂) G ⊙ G
    U  = nesterov ? (1 − β) G + β M' : M'
    P  = U / (sqrt(V') + ε)
    O  = NS(P)
    W' = W · (1 − lr · wd) − lr · adjust(A, B) · O
    ```

    With one second-moment operand per parameter `V` has the parameter's
    shape. With two the moment is factored (Muon²-F, Adafactor-style): a
    row factor `V_r` (…×A×1) and a column factor `V_c` (…×1×B) of the
    matrix view, updated with the row and column sums of G ⊙ G, and
    `V̂ = V_r V_c / max(Σ V_c, ε)` replaces `V'` above.
    No bias correction is applied: NS normalizes away any global scale.

    As `optim.muon`, one op may update a bucket of N parameters;
    `second_moments` then holds N full moments or N pairs (`V_r`, `V_c`),
    in member order.

    Example:

    ```mlir
    %w1, %m1, %v1 = optim.muon2 %w, %g, %m, [%v], %lr {ns_steps = 3 : i64}
        : tensor<64x256xf32>, [tensor<64x256xf32>], tensor<f32>
    ```
  }] # Optim_SkipDoc;
  let arguments = !con((ins
    Variadic<Optim_FloatTensor>:$params,
    Variadic<Optim_FloatTensor>:$grads,
    Variadic<Optim_FloatTensor>:$momentum_buffers,
    Variadic<Optim_FloatTensor>:$second_moments,
    Optim_ScalarFloat:$lr,
    Optional<Optim_SkipFlag>:$skip,
    Optional<Optim_ScalarFloat>:$dynamic_momentum,
    DefaultValuedAttr<F64Attr, "0.95">:$momentum,
    DefaultValuedAttr<F64Attr, "0.95">:$beta2,
    DefaultValuedAttr<F64Attr, "1.0e-8">:$eps,
    DefaultValuedAttr<BoolAttr, "true">:$nesterov,
    DefaultValuedAttr<F64Attr, "0.0">:$weight_decay,
    DefaultValuedAttr<I64Attr, "3">:$ns_steps,
    DefaultValuedAttr<Optim_LrAdjustAttr, "LrAdjust::original">:$lr_adjust
  ), Optim_NSAttrs);
  let results = (outs Variadic<Optim_FloatTensor>:$new_params,
                      Variadic<Optim_FloatTensor>:$new_momentum_buffers,
                      Variadic<Optim_FloatTensor>:$new_second_moments);
  let assemblyFormat = [{
    custom<Members>($params) `,` custom<Members>($grads) `,`
    custom<Members>($momentum_buffers) `,` `[` $second_moments `]` `,` $lr
    (`skip` `(` $skip^ `:` type($skip) `)`)?
    (`momentum` `(` $dynamic_momentum^ `:` type($dynamic_momentum) `)`)? attr-dict
    `:` custom<MemberTypes>(type($params), type($new_params),
                                      type($new_momentum_buffers)) `,`
    `[` custom<TypesTwice>(type($second_moments), type($new_second_moments))
    `]` `,` type($lr)
  }];
  // (Result types appear in the format only because ODS cannot yet infer
  // the sizes of result segments; the parser copies them.)
  // Version 1 bytecode has no list sizes, version 2 no `skip` (OptimBytecode.h).
  let useCustomPropertiesEncoding = 1;
  let builders = [
    // Default hyper-parameters; results typed like the operands.
    OpBuilder<(ins "::mlir::ValueRange":$params, "::mlir::ValueRange":$grads,
                   "::mlir::ValueRange":$momentum_buffers,
                   "::mlir::ValueRange":$second_moments, "::mlir::Value":$lr), [{
      build($_builder, $_state, params.getTypes(), params.getTypes(),
            second_moments.getTypes(), params, grads, momentum_buffers,
            second_moments, lr, /*skip=*/::mlir::Value(),
            /*dynamic_momentum=*/::mlir::Value(), ::mlir::FloatAttr(),
            ::mlir::FloatAttr(),
            ::mlir::FloatAttr(), ::mlir::BoolAttr(), ::mlir::FloatAttr(),
            ::mlir::IntegerAttr(), LrAdjustAttr(), NSScheduleAttr(),
            ::mlir::TypeAttr(), MatrixViewAttr());
    }]>
  ];
  let hasVerifier = 1;
  let extraClassDeclaration = Optim_NSExtraDecls # [{
    /// True for Muon²-F (row and column second-moment factors).
    bool isFactored() {
      return getSecondMoments().size() == 2 * getParams().size();
    }
  }];
}

//===----------------------------------------------------------------------===//
// AdamWOp
//===----------------------------------------------------------------------===//

def Optim_AdamWOp : Optim_Op<"adamw", [Pure, AttrSizedOperandSegments,
    SameVariadicResultSize,
    Optim_MembersTyped<"params", "grads">,
    Optim_MembersTyped<"params", "exp_avgs">,
    Optim_MembersTyped<"params", "exp_avg_sqs">,
    Optim_MembersTyped<"params", "new_params">,
    Optim_MembersTyped<"params", "new_exp_avgs">,
    Optim_MembersTyped<"params", "new_exp_avg_sqs">]> {
  let summary = "one AdamW step with bias correction and decoupled weight decay";
  let description = [{
    AdamW (Loshchilov & Hutter), as torch.optim.AdamW, for the parameters
    Muon does not handle (embeddings, output head, norms, biases). `step` is
    the 1-based step count `t` of this update (integer or float 0-d tensor);
    a step below 1 is taken as t = 1 (at t = 0, 1 − βᵗ would be 0):

    ```
    M' = β₁ M + (1 − β₁) G
    V' = β₂ V + (1 − β₂) G ⊙ G
    W' = W · (1 − lr · wd) − lr · (M' / (1 − β₁ᵗ)) / (sqrt(V' / (1 − β₂ᵗ)) + ε)
    ```

    `variant = #optim.adamw_variant<huggingface>` (ONNX Runtime's
    `adam_mode = 1`) computes instead

    ```
    W' = (W − lr · sqrt(1 − β₂ᵗ) / (1 − β₁ᵗ) · M' / (sqrt(V') + ε)) · (1 − lr · wd)
    ```

    and `bias_correction = false` drops the (1 − βᵗ) factors from either.

    `beta1(%b : tensor<f32>)`, optional, gives β₁ as a 0-d tensor read at
    run time instead of the `beta1` attribute (which must then be absent),
    for schedulers that cycle it (torch's OneCycleLR and CyclicLR set
    `betas[0]` every step): the bias correction 1 − β₁ᵗ then uses the
    value of this step, as torch.optim.AdamW does. Its range [0, 1) is the
    caller's to keep.

    A bucket (`optim-bucket`) is one op over N parameters of any shapes and
    one element type: operands and results are lists in member order, as
    on `optim.muon`. `step` is one count for every member (0-d) or a 1-d
    tensor of N counts, one per member in member order, as
    torch.optim.AdamW keeps them: members whose counts differ (a parameter
    that had no gradient on some steps) still share one op, and so one
    kernel on the GPU, where one op per count would launch one per member.

    Example:

    ```mlir
    %w1, %m1, %v1 = optim.adamw %w, %g, %m, %v, %lr, %t {weight_decay = 0.1}
        : tensor<768xf32>, tensor<f32>, tensor<i64>
    // Two members with a step count each.
    %p:2, %pm:2, %pv:2 = optim.adamw [%b, %e], [%gb, %ge], [%mb, %me],
        [%vb, %ve], %lr, %steps : [tensor<768xf32>, tensor<50257x768xf32>],
        tensor<f32>, tensor<2xf32>
    // β₁ read at run time.
    %w2, %m2, %v2 = optim.adamw %w, %g, %m, %v, %lr, %t
        beta1(%b1 : tensor<f32>) : tensor<768xf32>, tensor<f32>, tensor<i64>
    ```
  }] # Optim_SkipDoc;
  let arguments = (ins
    Variadic<Optim_FloatTensor>:$params,
    Variadic<Optim_FloatTensor>:$grads,
    Variadic<Optim_FloatTensor>:$exp_avgs,
    Variadic<Optim_FloatTensor>:$exp_avg_sqs,
    Optim_ScalarFloat:$lr,
    Optim_StepCounts:$step,
    Optional<Optim_SkipFlag>:$skip,
    Optional<Optim_ScalarFloat>:$dynamic_beta1,
    DefaultValuedAttr<F64Attr, "0.9">:$beta1,
    DefaultValuedAttr<F64Attr, "0.999">:$beta2,
    DefaultValuedAttr<F64Attr, "1.0e-8">:$eps,
    DefaultValuedAttr<F64Attr, "0.01">:$weight_decay,
    DefaultValuedAttr<BoolAttr, "true">:$bias_correction,
    DefaultValuedAttr<Optim_AdamWVariantAttr, "AdamWVariant::torch">:$variant
  );
  let results = (outs Variadic<Optim_FloatTensor>:$new_params,
                      Variadic<Optim_FloatTensor>:$new_exp_avgs,
                      Variadic<Optim_FloatTensor>:$new_exp_avg_sqs);
  let assemblyFormat = [{
    custom<Members>($params) `,` custom<Members>($grads) `,`
    custom<Members>($exp_avgs) `,` custom<Members>($exp_avg_sqs) `,` $lr `,`
    $step (`skip` `(` $skip^ `:` type($skip) `)`)?
    (`beta1` `(` $dynamic_beta1^ `:` type($dynamic_beta1) `)`)? attr-dict
    `:` custom<MemberTypes>(type($params)) `,` type($lr) `,`
    type($step)
  }];
  // Version 2 bytecode has no list sizes (OptimBytecode.h).
  let useCustomPropertiesEncoding = 1;
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// ONNX training optimizers (ai.onnx.preview.training, opset 1)
//===----------------------------------------------------------------------===//

// The ONNX optimizers all take the learning rate R and the update count T as
// 0-d operands; T = 0 selects their special first-step rule at run time.
class Optim_ONNXOptimizerOp<string mnemonic, list<string> tensors>
    : Optim_Op<mnemonic, [Pure, AllTypesMatch<tensors>]>;

def Optim_MomentumOp : Optim_ONNXOptimizerOp<"momentum",
    ["param", "grad", "velocity", "new_param", "new_velocity"]> {
  let summary = "SGD with momentum as ONNX Momentum (standard or Nesterov)";
  let description = [{
    The `Momentum` operator of ONNX's `ai.onnx.preview.training` domain. It is
    not torch.optim.SGD's momentum: the gradient coefficient `beta` is 1 at
    the first update (T = 0) and the L2 term enters the gradient:

    ```
    G_r = norm_coefficient · X + G
    β'  = T > 0 ? beta : 1
    V'  = alpha · V + β' · G_r
    X'  = X − R · V'                     (nesterov = false, mode "standard")
    X'  = X − R · (G_r + alpha · V')     (nesterov = true, mode "nesterov")
    ```

    Example:

    ```mlir
    %x1, %v1 = optim.momentum %x, %g, %v, %r, %t {alpha = 0.95, beta = 0.1,
        norm_coefficient = 0.001, nesterov = false}
        : tensor<2xf32>, tensor<f32>, tensor<i64>
    ```
  }];
  let arguments = (ins
    Optim_FloatTensor:$param,
    Optim_FloatTensor:$grad,
    Optim_FloatTensor:$velocity,
    Optim_ScalarFloat:$lr,
    Optim_ScalarStep:$step,
    F64Attr:$alpha,
    F64Attr:$beta,
    DefaultValuedAttr<F64Attr, "0.0">:$norm_coefficient,
    DefaultValuedAttr<BoolAttr, "false">:$nesterov
  );
  let results = (outs Optim_FloatTensor:$new_param,
                      Optim_FloatTensor:$new_velocity);
  let assemblyFormat = [{
    $param `,` $grad `,` $velocity `,` $lr `,` $step attr-dict
    `:` type($param) `,` type($lr) `,` type($step)
  }];
  let hasVerifier = 1;
}

def Optim_AdagradOp : Optim_ONNXOptimizerOp<"adagrad",
    ["param", "grad", "accumulator", "new_param", "new_accumulator"]> {
  let summary = "ADAGRAD as ONNX Adagrad (decaying learning rate, L2 term)";
  let description = [{
    The `Adagrad` operator of ONNX's `ai.onnx.preview.training` domain:

    ```
    r   = R / (1 + T · decay_factor)
    G_r = norm_coefficient · X + G
    H'  = H + G_r ⊙ G_r
    X'  = X − r · G_r / (sqrt(H') + epsilon)
    ```

    Example:

    ```mlir
    %x1, %h1 = optim.adagrad %x, %g, %h, %r, %t {decay_factor = 0.1,
        epsilon = 1.0e-5} : tensor<2xf32>, tensor<f32>, tensor<i64>
    ```
  }];
  let arguments = (ins
    Optim_FloatTensor:$param,
    Optim_FloatTensor:$grad,
    Optim_FloatTensor:$accumulator,
    Optim_ScalarFloat:$lr,
    Optim_ScalarStep:$step,
    DefaultValuedAttr<F64Attr, "0.0">:$decay_factor,
    DefaultValuedAttr<F64Attr, "1.0e-6">:$epsilon,
    DefaultValuedAttr<F64Attr, "0.0">:$norm_coefficient
  );
  let results = (outs Optim_FloatTensor:$new_param,
                      Optim_FloatTensor:$new_accumulator);
  let assemblyFormat = [{
    $param `,` $grad `,` $accumulator `,` $lr `,` $step attr-dict
    `:` type($param) `,` type($lr) `,` type($step)
  }];
  let hasVerifier = 1;
}

def Optim_AdamOp : Optim_ONNXOptimizerOp<"adam",
    ["param", "grad", "exp_avg", "exp_avg_sq", "new_param", "new_exp_avg",
     "new_exp_avg_sq"]> {
  let summary = "Adam as ONNX Adam (L2 term, lr-side bias correction)";
  let description = [{
    The `Adam` operator of ONNX's `ai.onnx.preview.training` domain. It
    differs from `optim.adamw`: the L2 term enters the gradient, epsilon is
    added to sqrt(H') before any bias correction, the correction scales the
    learning rate and is skipped at T = 0, and the post-update decay is a
    fixed factor:

    ```
    G_r = norm_coefficient · X + G
    V'  = alpha · V + (1 − alpha) · G_r
    H'  = beta · H + (1 − beta) · G_r ⊙ G_r
    R'  = T > 0 ? R · sqrt(1 − beta^T) / (1 − alpha^T) : R
    X'  = (1 − norm_coefficient_post) · (X − R' · V' / (sqrt(H') + epsilon))
    ```

    Example:

    ```mlir
    %x1, %v1, %h1 = optim.adam %x, %g, %v, %h, %r, %t {alpha = 0.95,
        beta = 0.1, epsilon = 1.0e-7} : tensor<2xf32>, tensor<f32>, tensor<i64>
    ```
  }];
  let arguments = (ins
    Optim_FloatTensor:$param,
    Optim_FloatTensor:$grad,
    Optim_FloatTensor:$exp_avg,
    Optim_FloatTensor:$exp_avg_sq,
    Optim_ScalarFloat:$lr,
    Optim_ScalarStep:$step,
    DefaultValuedAttr<F64Attr, "0.9">:$alpha,
    DefaultValuedAttr<F64Attr, "0.999">:$beta,
    DefaultValuedAttr<F64Attr, "1.0e-6">:$epsilon,
    DefaultValuedAttr<F64Attr, "0.0">:$norm_coefficient,
    DefaultValuedAttr<F64Attr, "0.0">:$norm_coefficient_post
  );
  let results = (outs Optim_FloatTensor:$new_param,
                      Optim_FloatTensor:$new_exp_avg,
                      Optim_FloatTensor:$new_exp_avg_sq);
  let assemblyFormat = [{
    $param `,` $grad `,` $exp_avg `,` $exp_avg_sq `,` $lr `,` $step attr-dict
    `:` type($param) `,` type($lr) `,` type($step)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// NewtonSchulzOp
//===----------------------------------------------------------------------===//

def Optim_NewtonSchulzOp : Optim_Op<"newton_schulz", [Pure,
    AllTypesMatch<["input", "result"]>]> {
  let summary = "Newton–Schulz orthogonalization (approximate polar factor)";
  let description = [{
    Approximates the polar factor U Vᵀ of each matrix `U = U Σ Vᵀ` of the
    input by `steps` odd-polynomial iterations:

    ```
    X = U / (‖U‖_F · s + e)        (s, e from the schedule)
    if A > B: X = Xᵀ               (iterate on the wide orientation)
    for i in 0..steps-1:
      S = X Xᵀ
      X = a_i X + (b_i S + c_i S S) X
    if A > B: X = Xᵀ
    ```

    `schedule` gives the (a_i, b_i, c_i) (default `quintic`);
    `compute_type` the element type of the GEMMs (default: the input's,
    e.g. `bf16` to match the GPU references): U is rounded to it before its
    norm where it is narrower than the input's type, X (rounded through
    f32), S and b_i S + c_i S S are stored in it, and the products
    accumulate in fp32 (fp64 for `f64`); the norm and the division are in
    fp64. `view` says how an input of rank > 2 is seen as matrices.

    Example:

    ```mlir
    %o = optim.newton_schulz %u {steps = 5 : i64,
        schedule = #optim.ns_schedule<polar_express>, compute_type = bf16}
        : tensor<768x3072xf32>
    ```
  }];
  let arguments = !con((ins
    Optim_FloatTensor:$input,
    DefaultValuedAttr<I64Attr, "5">:$steps
  ), Optim_NSAttrs);
  let results = (outs Optim_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
  let extraClassDeclaration = Optim_NSExtraDecls;
}

//===----------------------------------------------------------------------===//
// QKClipOp
//===----------------------------------------------------------------------===//

def Optim_QKClipOp : Optim_Op<"qk_clip", [Pure,
    AllTypesMatch<["wq", "new_wq"]>, AllTypesMatch<["wk", "new_wk"]>]> {
  let summary = "MuonClip: rescale W_q / W_k per head when attention logits grow";
  let description = [{
    Applied after the optimizer update of the query and key projections.
    `max_logits` holds, per query head h, the forward pass's maximum
    pre-softmax score S_h (over batch, query and key positions, scale
    included). With `γ_h = min(1, τ / S_h)`:

    ```
    MHA (num_kv_heads = num_heads):  W_q^h *= γ_h^α ;  W_k^h *= γ_h^(1−α)
    GQA (k-head g serves q-heads H_g, m_g = min_{h∈H_g} γ_h):
                                     W_k^g *= m_g^α ;  W_q^h *= γ_h / m_g^α
    MLA (rope_head_dim present):     q_C^h *= γ_h^α ;  q_R^h *= γ_h ;
                                     k_C^h *= γ_h^(1−α) ; V and k_R untouched
    ```

    Head h owns the slice `[h·chunk, (h+1)·chunk)` of `head_axis`, where the
    chunk is `head_dim` (MHA/GQA), `head_dim + rope_head_dim` for W_q and
    `head_dim + v_head_dim` for W_k (MLA: `wq` is the up-projection to
    [q_C | q_R] per head, `wk` the up-projection to [k_C | V] per head).
    Rank-1 operands are biases. Heads with S_h ≤ τ (GQA: groups whose heads
    are all ≤ τ) are left bitwise unchanged.

    Example (GPT-2 small, c_attn split into W_q and W_k of shape 768×768
    with heads along dim 1):

    ```mlir
    %wq1, %wk1 = optim.qk_clip %wq, %wk, %smax {num_heads = 12 : i64,
        head_dim = 64 : i64, head_axis = 1 : i64}
        : tensor<768x768xf32>, tensor<768x768xf32>, tensor<12xf32>
    ```
  }];
  let arguments = (ins
    Optim_FloatTensor:$wq,
    Optim_FloatTensor:$wk,
    StaticShapeTensorOf<[AnyFloat]>:$max_logits,
    DefaultValuedAttr<F64Attr, "100.0">:$tau,
    DefaultValuedAttr<F64Attr, "0.5">:$alpha,
    I64Attr:$num_heads,
    OptionalAttr<I64Attr>:$num_kv_heads,
    I64Attr:$head_dim,
    DefaultValuedAttr<I64Attr, "0">:$head_axis,
    OptionalAttr<I64Attr>:$rope_head_dim,
    DefaultValuedAttr<I64Attr, "0">:$v_head_dim
  );
  let results = (outs Optim_FloatTensor:$new_wq, Optim_FloatTensor:$new_wk);
  let assemblyFormat = [{
    $wq `,` $wk `,` $max_logits attr-dict
    `:` type($wq) `,` type($wk) `,` type($max_logits)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Number of key heads: `num_kv_heads`, else `num_heads`.
    int64_t getNumKeyHeads() {
      return static_cast<int64_t>(getNumKvHeads().value_or(getNumHeads()));
    }
    /// True for Multi-head Latent Attention (rotary query part present).
    bool isMLA() { return getRopeHeadDim().has_value(); }
    /// Extent of one head along `head_axis` in W_q and in W_k.
    int64_t getQueryChunk() {
      return static_cast<int64_t>(getHeadDim() + getRopeHeadDim().value_or(0));
    }
    int64_t getKeyChunk() {
      return static_cast<int64_t>(getHeadDim() + getVHeadDim());
    }
  }];
}

//===----------------------------------------------------------------------===//
// ScatterAddOp
//===----------------------------------------------------------------------===//

def Optim_ScatterAddOp : Optim_Op<"scatter_add", [
    DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>,
    DeclareOpInterfaceMethods<BufferizableOpInterface,
        ["bufferizesToMemoryRead", "bufferizesToMemoryWrite",
         "getAliasingValues", "bufferize"]>]> {
  let summary = "accumulate rows of `updates` into `dest` at integer indices";
  let description = [{
    The gradient of a gather (an embedding lookup): for every position `p`
    of `indices` and every `pre`, `post` of `dest`'s dims before and after
    `axis`,

    ```
    dest[pre, i, post] += updates[pre, p, post]
        where i = indices[p] (+ dest.shape[axis] if indices[p] < 0)
    ```

    so `updates` has shape `dest[:axis] + indices.shape + dest[axis+1:]`.
    Indices are signed integers of 2 to 64 bits (not i1, whose `true`
    would read as -1). Repeated indices accumulate. An index still outside
    `[0, dest.shape[axis])` after wrapping contributes nothing (its row is
    skipped, never written out of bounds); producers that must report such
    indices check them separately (the ONNX importer's `cf.assert`s). The
    work is O(|updates|), not O(|dest| · |indices|) as a dense one-hot
    contraction would be.

    Destination-style, like a linalg op: on tensors it returns the updated
    `dest` and bufferizes in place on its buffer; on buffers it has no
    result and updates `dest`. `convert-scatter-add-to-loops` lowers the
    buffer form, to a loop nest (CPU) or to parallel loops with atomic
    adds (GPU, where the order of the additions, hence the rounding of a
    repeated index, is not deterministic).

    Example (the embedding gradient of 8 tokens into a 100 × 16 table):

    ```mlir
    %zero = arith.constant 0.0 : f32
    %empty = tensor.empty() : tensor<100x16xf32>
    %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<100x16xf32>)
        -> tensor<100x16xf32>
    %grad = optim.scatter_add %dy into %init[%ids] {axis = 0 : i64}
        : tensor<8x16xf32>, tensor<8xi64> into tensor<100x16xf32>
        -> tensor<100x16xf32>
    ```
  }];
  let arguments = (ins
    TensorOrMemRef<[AnyFloat]>:$updates,
    TensorOrMemRef<[AnySignlessInteger]>:$indices,
    TensorOrMemRef<[AnyFloat]>:$dest,
    DefaultValuedAttr<I64Attr, "0">:$axis
  );
  let results = (outs Optional<AnyRankedTensor>:$result);
  let assemblyFormat = [{
    $updates `into` $dest `[` $indices `]` attr-dict
    `:` type($updates) `,` type($indices) `into` type($dest)
    (`->` type($result)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    mlir::MutableOperandRange getDpsInitsMutable() {
      return getDestMutable();
    }
  }];
}

#endif // OPTIM_OPS
