"""Independent numpy references written from the formulas of docs/formulas.md
(float64 throughout, so they are more accurate than the code under test)."""

import numpy as np

QUINTIC = (3.4445, -4.7750, 2.0315)
POLAR_EXPRESS = [
    (8.156554524902461, -22.48329292557795, 15.878769915207462),
    (4.042929935166739, -2.808917465908714, 0.5000178451051316),
    (3.8916678022926607, -2.772484153217685, 0.5060648178503393),
    (3.285753657755655, -2.3681294933425376, 0.46449024233003106),
    (2.3465413258596377, -1.7097828382687081, 0.42323551169305323),
]


def schedule_tuples(schedule, steps):
    """'quintic', 'polar_express' or an explicit list of (a, b, c)."""
    if schedule == "quintic":
        return [QUINTIC] * steps
    table = POLAR_EXPRESS if schedule == "polar_express" else list(schedule)
    return [table[min(i, len(table) - 1)] for i in range(steps)]


def newton_schulz(u, steps=5, schedule="quintic"):
    """NS of one matrix or of a batch of matrices (leading dims)."""
    u = np.asarray(u, dtype=np.float64)
    if u.ndim > 2:
        return np.stack([newton_schulz(x, steps, schedule) for x in u])
    scale, eps = (1.02, 1e-6) if schedule == "polar_express" else (1.0, 1e-7)
    x = u / (np.linalg.norm(u) * scale + eps)
    tall = x.shape[0] > x.shape[1]
    if tall:
        x = x.T
    for a, b, c in schedule_tuples(schedule, steps):
        s = x @ x.T
        x = a * x + (b * s + c * s @ s) @ x
    return x.T if tall else x


def lr_ratio(rule, rows, cols):
    return {
        "original": max(1.0, rows / cols) ** 0.5,
        "match_rms_adamw": 0.2 * max(rows, cols) ** 0.5,
        "spectral_unclamped": (rows / cols) ** 0.5,
        "none": 1.0,
    }[rule]


def as_matrices(x, view):
    """The matrices of `x` under a matrix view: (batch of matrices, restore)."""
    shape = x.shape
    if view == "batch":
        mats = x.reshape((-1,) + shape[-2:])
    else:
        mats = x.reshape(1, shape[0], -1)
    return mats, lambda y: y.reshape(shape)


def orthogonalized_update(u, lr, steps, schedule, rule, view):
    """lr · adjust(A, B) · NS(U) under a matrix view."""
    mats, restore = as_matrices(u, view)
    rows, cols = mats.shape[1:]
    return restore(lr * lr_ratio(rule, rows, cols) * newton_schulz(mats, steps, schedule))


def muon_step(w, g, m, lr, momentum=0.95, nesterov=True, weight_decay=0.0,
              ns_steps=5, schedule="quintic", lr_adjust="original", view="flatten"):
    w, g, m = (np.asarray(x, np.float64) for x in (w, g, m))
    m = momentum * m + (1 - momentum) * g
    u = (1 - momentum) * g + momentum * m if nesterov else m
    o = orthogonalized_update(u, lr, ns_steps, schedule, lr_adjust, view)
    return w * (1 - lr * weight_decay) - o, m


def muon2_step(w, g, m, moments, lr, momentum=0.95, beta2=0.95, eps=1e-8,
               nesterov=True, weight_decay=0.0, ns_steps=3, schedule="quintic",
               lr_adjust="original", view="flatten"):
    """Muon² (one full second moment) or Muon²-F (row and column factors)."""
    w, g, m = (np.asarray(x, np.float64) for x in (w, g, m))
    moments = [np.asarray(v, np.float64) for v in moments]
    m = momentum * m + (1 - momentum) * g
    u = (1 - momentum) * g + momentum * m if nesterov else m
    if len(moments) == 1:
        v = beta2 * moments[0] + (1 - beta2) * g * g
        new_moments, vhat = [v], v
    else:
        gm, restore = as_matrices(g * g, view)
        vr = beta2 * moments[0].reshape(gm.shape[0], -1, 1) + (1 - beta2) * gm.sum(2, keepdims=True)
        vc = beta2 * moments[1].reshape(gm.shape[0], 1, -1) + (1 - beta2) * gm.sum(1, keepdims=True)
        vhat = restore(vr * vc / np.maximum(vc.sum(2, keepdims=True), eps))
        new_moments = [vr.reshape(moments[0].shape), vc.reshape(moments[1].shape)]
    p = u / (np.sqrt(vhat) + eps)
    o = orthogonalized_update(p, lr, ns_steps, schedule, lr_adjust, view)
    return [w * (1 - lr * weight_decay) - o, m] + new_moments


def qk_clip(wq, wk, max_logits, num_heads, head_dim, num_kv_heads=None,
            head_axis=0, tau=100.0, alpha=0.5, rope_head_dim=None, v_head_dim=0):
    """MuonClip per docs/formulas.md: MHA, GQA and MLA."""
    num_kv_heads = num_kv_heads or num_heads
    gamma = np.minimum(1.0, tau / np.asarray(max_logits, np.float64))
    group = num_heads // num_kv_heads
    kv_min = gamma.reshape(num_kv_heads, group).min(axis=1)
    q_chunk = head_dim + (rope_head_dim or 0)
    k_chunk = head_dim + v_head_dim
    q_scale = np.ones(num_heads * q_chunk)
    k_scale = np.ones(num_kv_heads * k_chunk)
    for h in range(num_heads):
        base = h * q_chunk
        if rope_head_dim:
            q_scale[base:base + head_dim] = gamma[h] ** alpha
            q_scale[base + head_dim:base + q_chunk] = gamma[h]
        elif group == 1:
            q_scale[base:base + q_chunk] = gamma[h] ** alpha
        else:
            q_scale[base:base + q_chunk] = gamma[h] / kv_min[h // group] ** alpha
    for g in range(num_kv_heads):
        exponent = alpha if (group > 1 and not rope_head_dim) else 1 - alpha
        factor = kv_min[g] if group > 1 else gamma[g]
        k_scale[g * k_chunk:g * k_chunk + head_dim] = factor ** exponent
        if not rope_head_dim:
            k_scale[g * k_chunk:(g + 1) * k_chunk] = factor ** exponent

    def scale(w, s):
        shape = [1] * w.ndim
        shape[head_axis] = -1
        return np.asarray(w, np.float64) * s.reshape(shape)

    return scale(wq, q_scale), scale(wk, k_scale), q_scale, k_scale


def adamw_step(w, g, m, v, lr, t, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=0.01, bias_correction=True, variant="torch"):
    """One AdamW step in float64: torch.optim.AdamW's formulation, or
    ("huggingface") ONNX Runtime's AdamWOptimizer adam_mode 1: bias
    correction on the learning rate, eps outside it, decay after the update.
    Returns (w', m', v')."""
    w, g, m, v = (np.asarray(x, np.float64) for x in (w, g, m, v))
    b1, b2 = betas
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    c1, c2 = (1 - b1**t, 1 - b2**t) if bias_correction else (1.0, 1.0)
    if variant == "huggingface":
        w = w - lr * np.sqrt(c2) / c1 * m / (np.sqrt(v) + eps)
        return w * (1 - lr * weight_decay), m, v
    return w * (1 - lr * weight_decay) - lr / c1 * m / (np.sqrt(v / c2) + eps), m, v


def relative_error(got, want):
    """‖got − want‖_F / ‖want‖_F (absolute when want is zero)."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    denom = np.linalg.norm(want)
    return np.linalg.norm(got - want) / (denom if denom > 0 else 1.0)
