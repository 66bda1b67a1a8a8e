"""Which update each parameter gets, and the step module of a param group.

A group's step is one function: per parameter with a gradient, its tensors
(the parameter and its state tied to the results that update them,
docs/ABI.md's in-place ABI; the gradient read only), then the group's Muon
and AdamW learning rates (f32), AdamW's beta1 and Muon's momentum (f64,
as torch's Python floats) as 0-d tensors, so that schedules changing them
(OneCycleLR and CyclicLR cycle betas[0]; Muon's momentum is often warmed
up) recompile nothing. The AdamW parameters of one element type share one optim.adamw
op, whose step counts (torch.optim.AdamW's per-parameter 'step', float32)
are one 1-d argument before the rates, incremented by the compiled step
itself: one kernel for all of them on the GPU, where an op per count would
launch two per parameter.
"""

import re

from ..testing.ir import attr_dict, float_literal, tensor_type

# torch dtypes the step accepts, as MLIR element types.
ELEMENT_TYPES = {"torch.float32": "f32", "torch.bfloat16": "bf16", "torch.float16": "f16",
                 "torch.float64": "f64"}
# The state each update keeps, in the step's argument order (torch's keys).
STATE_KEYS = {"muon": ("momentum_buffer",), "muon2": ("momentum_buffer", "second_moment"),
              "adamw": ("exp_avg", "exp_avg_sq", "step")}
# The state each parameter passes as arguments of its own: AdamW's step
# counts are one vector of the group's.
ARGUMENT_STATE_KEYS = {kind: tuple(k for k in keys if k != "step")
                       for kind, keys in STATE_KEYS.items()}
# Parameters that keep AdamW under automatic routing even when 2-D: they are
# lookup tables or the output layer, not hidden linear maps. Either a module
# on the parameter's path is named for one (`embeddings.…`, `lm_head`,
# `classifier.…`), or the parameter's own module (or the parameter, for one
# held directly: `pos_embed`) begins or ends with such a word (`embed_tokens`,
# `word_embeddings`, `class_embed`). A word inside a longer name says nothing
# (`multi_head_attention.linear_q`), nor does a module above the parameter's
# own that ends in one (`time_embedding.linear_1`, `bbox_embed.layers.0`:
# hidden layers of an MLP named for its purpose). Or the module's own name is
# one that common models give only such layers: Hugging Face's sequence-
# classification `score` and question-answering `qa_outputs` heads, T5's
# and BART's `shared` token embedding and T5's `relative_attention_bias`
# table, and the top-level `output` head of Meta-style LLaMA code (only at
# the top: BERT-style blocks name a hidden projection `attention.output`).
_ADAMW_WORDS = frozenset({"embed", "embedding", "embeddings", "emb", "wte", "wpe", "lm_head",
                          "head", "classifier", "unembed"})
_ADAMW_MODULES = re.compile(r"((^|\.)(score|qa_outputs|shared|relative_attention_bias)|"
                            r"^([^.]+\.)?output)\.weight$")
_QUINTIC = (3.4445, -4.775, 2.0315)


def route(param, name, use_muon, algorithm, what):
    """'muon', 'muon2' or 'adamw' for `param` in a group whose `use_muon` is
    True, False or None (automatic: hidden matrices of rank >= 2, by shape
    and, when the optimizer has parameter names, by name). `what` names the
    parameter in errors."""
    if use_muon is None:
        use_muon = param.ndim >= 2 and not (name and _is_adamw_name(name.lower()))
    if not use_muon:
        return "adamw"
    if param.ndim < 2:
        raise ValueError(f"{what}: Muon needs a parameter of rank >= 2 "
                         f"(a matrix, a conv kernel, stacked matrices), got shape "
                         f"{tuple(param.shape)}; use AdamW for it (use_muon=False)")
    return algorithm


def _is_adamw_name(name):
    path = name.split(".")
    if any(part in _ADAMW_WORDS for part in path):
        return True
    # The parameter's module, and the parameter's own name for one held
    # directly (not weight or bias).
    own = [part for part in path[-2:] if part not in ("weight", "bias")][-1:]
    return bool(any(words[0] in _ADAMW_WORDS or words[-1] in _ADAMW_WORDS
                    for words in (part.split("_") for part in own))
                or _ADAMW_MODULES.search(name))


def describe(param, name, index=None):
    label = f"parameter '{name}'" if name else (
        f"parameter #{index}" if index is not None else "parameter")
    return f"{label} (shape {tuple(param.shape)}, {param.dtype})"


_ELEMENT_BYTES = {"f32": 4, "bf16": 2, "f16": 2, "f64": 8}


def step_bytes(entry):
    """Bytes of the tensors one entry's update takes: the parameter, its
    gradient and its state (AdamW's step a float32 scalar)."""
    kind, shape, element, _ = entry
    numel = 1
    for extent in shape:
        numel *= extent
    matrices = sum(key != "step" for key in STATE_KEYS[kind])
    return numel * _ELEMENT_BYTES[element] * (2 + matrices) + 4 * ("step" in STATE_KEYS[kind])


def lr_adjust_of(group):
    """The group's lr adjustment: `lr_adjust` where set, else torch's
    `adjust_lr_fn` (None: "original")."""
    return group.get("lr_adjust") or group.get("adjust_lr_fn") or "original"


def view_of(param, name, view):
    """The matrix view of an N-D Muon parameter: 'batch' for stacked experts
    ([E, M, N], by name or `view="batch"`), else 'flatten' (conv kernels:
    [out, in·kh·kw])."""
    if view is not None:
        return view
    return "batch" if param.ndim == 3 and name and "expert" in name.lower() else "flatten"


# Muon's momentum is an argument of the step (schedules warm it up).
_MOMENTUM = "momentum(%momentum : tensor<f64>) "


def _muon_attrs(group, kind, view):
    attrs = {"nesterov": bool(group["nesterov"]),
             "weight_decay": float(group["weight_decay"]), "ns_steps": int(group["ns_steps"]),
             "lr_adjust": f"#optim.lr_adjust<{lr_adjust_of(group)}>"}
    coefficients = group.get("ns_coefficients")
    schedule = group.get("ns_schedule") or "quintic"
    if schedule == "quintic" and coefficients is not None and tuple(coefficients) != _QUINTIC:
        one = "(" + ", ".join(float_literal(c) for c in coefficients) + ")"
        schedule = f"custom [{', '.join([one] * attrs['ns_steps'])}]"
    algorithm = group.get("ns_algorithm") or "auto"
    if algorithm != "auto":
        schedule += f", {algorithm}"
    if schedule != "quintic":
        attrs["schedule"] = f"#optim.ns_schedule<{schedule}>"
    if view != "flatten":
        attrs["view"] = f"#optim.matrix_view<{view}>"
    if group.get("ns_dtype") is not None:
        attrs["compute_type"] = ELEMENT_TYPES[str(group["ns_dtype"])]
    if kind == "muon2":
        attrs["beta2"] = float(group["beta2"])
    return attrs


def _adamw_attrs(group, explicit):
    """AdamW's compiled hyper-parameters: the group's own in an AdamW group
    (use_muon=False), else its adamw_* ones; beta1 is an argument."""
    return {"beta2": float(group["betas"][1]),
            "eps": float(group["eps"] if explicit else group["adamw_eps"]),
            "weight_decay": float(group["weight_decay"] if explicit
                                  else group["adamw_weight_decay"])}


_INCREMENT = """  %steps{j}_e = tensor.empty() : {t}
  %steps{j}_1 = linalg.generic {{indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
      iterator_types = ["parallel"]}} ins(%steps{j} : {t}) outs(%steps{j}_e : {t}) {{
  ^bb0(%x: f32, %o: f32):
    %y = arith.addf %x, %one : f32
    linalg.yield %y : f32
  }} -> {t}"""


def adamw_ops(entries):
    """The entry indices of each optim.adamw of the step: the AdamW entries
    of one element type (an op's members share theirs), in order of first
    appearance. Each op's step counts are an argument of their own."""
    ops = {}
    for i, (kind, _, element, _) in enumerate(entries):
        if kind == "adamw":
            ops.setdefault(element, []).append(i)
    return list(ops.values())


def step_module(entries, group, deterministic=False):
    """@step for `entries`: [(kind, shape, element, view)] of the group's
    parameters with gradients, in order; `deterministic` marks its module
    optim.deterministic (run-to-run identical GPU kernels)."""
    explicit_adamw = group.get("use_muon") is False
    args, body, results, types = [], [], [], []

    def tied(name, type_):
        args.append(f"%{name}: {type_} {{optim.aliasing_output = {len(results)} : i64}}")
        results.append(f"%{name}_1")
        types.append(type_)

    for i, (kind, shape, element, view) in enumerate(entries):
        t = tensor_type(shape, element)
        tied(f"w{i}", t)
        args.append(f"%g{i}: {t}")
        if kind == "adamw":
            for state in (f"m{i}", f"v{i}"):
                tied(state, t)
        elif kind == "muon":
            tied(f"m{i}", t)
            body.append(f"  %w{i}_1, %m{i}_1 = optim.muon %w{i}, %g{i}, %m{i}, %lr {_MOMENTUM}"
                        f"{attr_dict(_muon_attrs(group, kind, view))} : {t}, tensor<f32>")
        else:
            tied(f"m{i}", t)
            tied(f"v{i}", t)
            body.append(f"  %w{i}_1, %m{i}_1, %v{i}_1 = optim.muon2 %w{i}, %g{i}, %m{i}, [%v{i}], "
                        f"%lr {_MOMENTUM}{attr_dict(_muon_attrs(group, kind, view))} : {t}, [{t}], "
                        "tensor<f32>")
    ops = adamw_ops(entries)
    if ops:
        body.append("  %one = arith.constant 1.0 : f32")
    renamed = {}  # an AdamW member's updated tensors: results of its op
    for j, members in enumerate(ops):
        steps, count = f"tensor<{len(members)}xf32>", len(members)
        tied(f"steps{j}", steps)
        body.append(_INCREMENT.format(t=steps, j=j))
        lists = [f"[{', '.join(f'%{name}{i}' for i in members)}]" for name in "wgmv"]
        body.append(f"  %aw{j}:{count}, %am{j}:{count}, %av{j}:{count} = optim.adamw "
                    f"{', '.join(lists)}, %adam_lr, %steps{j}_1 beta1(%beta1 : tensor<f64>) "
                    f"{attr_dict(_adamw_attrs(group, explicit_adamw))} "
                    f": [{', '.join(tensor_type(*entries[i][1:3]) for i in members)}], "
                    f"tensor<f32>, {steps}")
        renamed.update({f"%{name}{i}_1": f"%a{name}{j}#{k}"
                        for k, i in enumerate(members) for name in "wmv"})
    results[:] = [renamed.get(r, r) for r in results]
    args += ["%lr: tensor<f32>", "%adam_lr: tensor<f32>", "%beta1: tensor<f64>",
             "%momentum: tensor<f64>"]
    step = (f"func.func @step({', '.join(args)}) -> ({', '.join(types)}) {{\n"
            + "\n".join(body) + f"\n  return {', '.join(results)} : {', '.join(types)}\n}}\n")
    return f"module attributes {{optim.deterministic}} {{\n{step}}}\n" if deterministic else step
