"""MLIR text for single-op step functions, for tests and benchmarks."""

import subprocess

MLIR_TYPES = {"float32": "f32", "float64": "f64", "float16": "f16", "bfloat16": "bf16"}


def tensor_type(shape, element="f32"):
    return "tensor<" + "".join(f"{d}x" for d in shape) + element + ">"


def float_literal(value):
    """MLIR float literals need a '.': 1e-08 -> 1.0e-08."""
    text = repr(float(value))
    if "." not in text and "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return text


def attr_dict(attrs):
    """{'momentum': 0.9, 'nesterov': False, ...} -> MLIR attribute dict text.
    Floats print as f64 attributes, ints as i64, bools as bools; strings are
    written verbatim (enum attributes, types)."""
    parts = []
    for key, value in attrs.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int):
            text = f"{value} : i64"
        elif isinstance(value, float):
            text = float_literal(value)
        else:
            text = str(value)
        parts.append(f"{key} = {text}")
    return "{" + ", ".join(parts) + "}" if parts else ""


def muon_module(shape, attrs=None, element="f32"):
    """@step(w, g, m, lr) -> (w', m')."""
    t = tensor_type(shape, element)
    return f"""func.func @step(%w: {t}, %g: {t}, %m: {t}, %lr: tensor<f32>) -> ({t}, {t}) {{
  %w1, %m1 = optim.muon %w, %g, %m, %lr {attr_dict(attrs or {})} : {t}, tensor<f32>
  return %w1, %m1 : {t}, {t}
}}
"""


def muon2_module(shape, moment_shapes, attrs=None, element="f32"):
    """@step(w, g, m, v..., lr) -> (w', m', v'...): one second-moment shape for
    Muon², two (rows, columns) for Muon²-F."""
    t = tensor_type(shape, element)
    vts = [tensor_type(s, element) for s in moment_shapes]
    vs = [f"%v{i}" for i in range(len(vts))]
    args = ", ".join(f"{v}: {vt}" for v, vt in zip(vs, vts))
    results = ", ".join([t, t] + vts)
    names = ", ".join(["%w1", "%m1"] + [f"%r{i}" for i in range(len(vts))])
    return f"""func.func @step(%w: {t}, %g: {t}, %m: {t}, {args}, %lr: tensor<f32>) -> ({results}) {{
  {names} = optim.muon2 %w, %g, %m, [{", ".join(vs)}], %lr {attr_dict(attrs or {})} : {t}, [{", ".join(vts)}], tensor<f32>
  return {names} : {results}
}}
"""


def adamw_module(shape, attrs=None, element="f32", step_type="i64"):
    """@step(w, g, m, v, lr, t) -> (w', m', v')."""
    t = tensor_type(shape, element)
    return f"""func.func @step(%w: {t}, %g: {t}, %m: {t}, %v: {t}, %lr: tensor<f32>, %t: tensor<{step_type}>) -> ({t}, {t}, {t}) {{
  %w1, %m1, %v1 = optim.adamw %w, %g, %m, %v, %lr, %t {attr_dict(attrs or {})} : {t}, tensor<f32>, tensor<{step_type}>
  return %w1, %m1, %v1 : {t}, {t}, {t}
}}
"""


def newton_schulz_module(shape, attrs=None, element="f32"):
    """@ns(u) -> o."""
    t = tensor_type(shape, element)
    return f"""func.func @ns(%u: {t}) -> {t} {{
  %o = optim.newton_schulz %u {attr_dict(attrs or {})} : {t}
  return %o : {t}
}}
"""


def newton_schulz_batches_module(batches, attrs=None, element="f32"):
    """@ns(u0, u1, ...) -> (o0, o1, ...): one optim.newton_schulz per
    (count, (A, B)) of `batches` on a count×A×B tensor seen as a batch of
    matrices, the work of a bucketed Muon step's orthogonalization."""
    attrs = dict(attrs or {}, view="#optim.matrix_view<batch>")
    types = [tensor_type((count,) + tuple(shape), element) for count, shape in batches]
    args = ", ".join(f"%u{i}: {t}" for i, t in enumerate(types))
    body = "".join(f"  %o{i} = optim.newton_schulz %u{i} {attr_dict(attrs)} : {t}\n"
                   for i, t in enumerate(types))
    results = ", ".join(f"%o{i}" for i in range(len(types)))
    return (f"func.func @ns({args}) -> ({', '.join(types)}) {{\n{body}"
            f"  return {results} : {', '.join(types)}\n}}\n")


def qk_clip_module(wq_shape, wk_shape, num_heads, attrs, element="f32"):
    """@clip(wq, wk, max_logits) -> (wq', wk')."""
    tq, tk = tensor_type(wq_shape, element), tensor_type(wk_shape, element)
    ts = tensor_type([num_heads], "f32")
    attrs = dict(attrs, num_heads=num_heads)
    return f"""func.func @clip(%wq: {tq}, %wk: {tk}, %s: {ts}) -> ({tq}, {tk}) {{
  %q, %k = optim.qk_clip %wq, %wk, %s {attr_dict(attrs)} : {tq}, {tk}, {ts}
  return %q, %k : {tq}, {tk}
}}
"""


def optimizer_step_module(params, muon_attrs=None, adamw_attrs=None, muon2_attrs=None,
                          in_place=False, checked=False):
    """@step over many parameters, as a training step updates a model.
    params: [(shape, "muon" | "muon2" | "adamw")]. Arguments: per parameter
    w, g, m (and v for AdamW and Muon², one second moment of the parameter's
    shape), then lr (Muon, Muon²), adam_lr, t; results: per parameter w', m'
    (and v'). Every Muon update shares %lr and `muon_attrs`, every Muon²
    update %lr and `muon2_attrs`, every AdamW update %adam_lr, %t and
    `adamw_attrs`, so optim-bucket may batch them. `in_place`: each result
    is tied to its argument (`optim.aliasing_output`, the in-place ABI);
    `checked`: a last argument %ok (tensor<i1>) is asserted ("ok is false"),
    as an imported step checks its inputs."""
    args, body, results, result_types = [], [], [], []
    for i, (shape, kind) in enumerate(params):
        t = tensor_type(shape)
        states = ["w", "g", "m"] + (["v"] if kind != "muon" else [])
        for s in states:
            alias = ""
            if in_place and s != "g":
                alias = f" {{optim.aliasing_output = {len(results)} : i64}}"
                results.append(f"%{s}{i}_new")
            args.append(f"%{s}{i}: {t}{alias}")
        outs = [f"%{s}{i}_new" for s in states if s != "g"]
        if kind == "muon":
            body.append(f"  {', '.join(outs)} = optim.muon %w{i}, %g{i}, %m{i}, %lr "
                        f"{attr_dict(muon_attrs or {})} : {t}, tensor<f32>")
        elif kind == "muon2":
            body.append(f"  {', '.join(outs)} = optim.muon2 %w{i}, %g{i}, %m{i}, [%v{i}], %lr "
                        f"{attr_dict(muon2_attrs or {})} : {t}, [{t}], tensor<f32>")
        else:
            body.append(f"  {', '.join(outs)} = optim.adamw %w{i}, %g{i}, %m{i}, %v{i}, "
                        f"%adam_lr, %t {attr_dict(adamw_attrs or {})} : {t}, tensor<f32>, tensor<i64>")
        if not in_place:
            results += outs
        result_types += [t] * len(outs)
    args += ["%lr: tensor<f32>", "%adam_lr: tensor<f32>", "%t: tensor<i64>"]
    if checked:
        args.append("%ok: tensor<i1>")
        body[:0] = ["  %ok_value = tensor.extract %ok[] : tensor<i1>",
                    '  cf.assert %ok_value, "ok is false"']
    types = ", ".join(result_types)
    return (f"func.func @step({', '.join(args)}) -> ({types}) {{\n" + "\n".join(body) +
            f"\n  return {', '.join(results)} : {types}\n}}\n")


def gpt2_block_params(d_model, layers, vocab=None):
    """Parameters of `layers` GPT-2 blocks (c_attn, attn c_proj, c_fc, mlp
    c_proj through Muon; LayerNorm weights and biases and the linear biases
    through AdamW), plus a vocab x d_model embedding (AdamW) if `vocab`."""
    d = d_model
    params = [((vocab, d), "adamw")] if vocab else []
    for _ in range(layers):
        params += [((d, 3 * d), "muon"), ((d, d), "muon"), ((d, 4 * d), "muon"),
                   ((4 * d, d), "muon")]
        params += [((n,), "adamw") for n in (d, d, 3 * d, d, d, d, 4 * d, d)]
    return params


def run_muon_opt(muon_opt, module, *options):
    """`muon_opt` (a muon-opt executable) with `options` on the MLIR text
    `module`, read from stdin: the completed process (stdout the result,
    stderr the diagnostics); raises CalledProcessError if it fails."""
    return subprocess.run([muon_opt, *options], input=module, capture_output=True, text=True,
                          check=True)
