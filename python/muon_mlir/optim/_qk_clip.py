"""QK-clip (MuonClip) as a compiled in-place step next to the optimizer."""

import torch

from ..testing.ir import attr_dict, tensor_type
from . import _plan
from ._compiler import compile_step
from ._muon import _run


class QKClip:
    """Rescales query/key projections per head after `Muon.step()` when the
    forward pass's attention logits exceed `tau` (`optim.qk_clip`).

        clip = QKClip([(attn.q.weight, attn.k.weight)], num_heads=4, head_dim=16)
        ...
        opt.step()
        clip.step([attn.max_logits])   # per query head, from the forward pass

    Each pair is (W_q, W_k) with heads along `head_axis` (0 for the weight of
    an nn.Linear, whose rows are output features); `max_logits` holds one
    float32 vector of `num_heads` per pair, on the weights' device. The step
    is compiled once for the pairs' shapes and updates them in place.

    With `process_group` (data parallel, replicated weights: see
    muon_mlir.optim.Muon's), each rank passes the max logits of its own
    batch and the step clips with their maximum over ranks, all-reduced
    (MAX) in one collective over all pairs packed together, so every
    rank's weights stay identical."""

    def __init__(self, pairs, num_heads, head_dim, tau=100.0, alpha=0.5, head_axis=0,
                 num_kv_heads=None, verbose=True, process_group=None):
        self.pairs = [tuple(pair) for pair in pairs]
        self.attrs = {"num_heads": int(num_heads), "head_dim": int(head_dim),
                      "head_axis": int(head_axis), "tau": float(tau), "alpha": float(alpha)}
        if num_kv_heads is not None:
            self.attrs["num_kv_heads"] = int(num_kv_heads)
        self.verbose, self.process_group = verbose, process_group
        self._function = None

    def _module(self):
        args, body, results, types = [], [], [], []
        for i, (wq, wk) in enumerate(self.pairs):
            tq = tensor_type(tuple(wq.shape), _plan.ELEMENT_TYPES[str(wq.dtype)])
            tk = tensor_type(tuple(wk.shape), _plan.ELEMENT_TYPES[str(wk.dtype)])
            ts = tensor_type((self.attrs["num_heads"],), "f32")
            args += [f"%wq{i}: {tq} {{optim.aliasing_output = {len(results)} : i64}}",
                     f"%wk{i}: {tk} {{optim.aliasing_output = {len(results) + 1} : i64}}",
                     f"%s{i}: {ts}"]
            body.append(f"  %q{i}, %k{i} = optim.qk_clip %wq{i}, %wk{i}, %s{i} "
                        f"{attr_dict(self.attrs)} : {tq}, {tk}, {ts}")
            results += [f"%q{i}", f"%k{i}"]
            types += [tq, tk]
        return (f"func.func @clip({', '.join(args)}) -> ({', '.join(types)}) {{\n"
                + "\n".join(body) + f"\n  return {', '.join(results)} : {', '.join(types)}\n}}\n")

    @torch.no_grad()
    def step(self, max_logits):
        if len(max_logits) != len(self.pairs):
            raise ValueError(f"QKClip.step: {len(self.pairs)} pairs, "
                             f"{len(max_logits)} max_logits")
        device = self.pairs[0][0].device
        tensors = []
        for i, ((wq, wk), s) in enumerate(zip(self.pairs, max_logits)):
            s = s.detach().to(device=device, dtype=torch.float32).contiguous()
            if tuple(s.shape) != (self.attrs["num_heads"],):
                raise ValueError(f"QKClip pair {i}: max_logits has shape {tuple(s.shape)}, "
                                 f"expected ({self.attrs['num_heads']},)")
            for w in (wq, wk):
                if w.device != device or not w.is_contiguous():
                    raise ValueError(f"QKClip pair {i}: weights must be contiguous, on "
                                     f"{device}")
            tensors += [wq, wk, s]
        if self.process_group is not None:
            import torch.distributed as dist
            packed = torch.cat(tensors[2::3])
            dist.all_reduce(packed, op=dist.ReduceOp.MAX, group=self.process_group)
            tensors[2::3] = packed.split(self.attrs["num_heads"])
        if self._function is None:
            flags = ("--target=cuda",) if device.type == "cuda" else ()
            self._function = compile_step(self._module(), flags, name="clip",
                                          verbose=self.verbose)
            self._function._load()
        _run(self._function, [t.data_ptr() for t in tensors], device)
        # Rescaled in place, as torch's in-place ops would (see _Bound.run).
        torch.autograd.graph.increment_version([w for pair in self.pairs for w in pair])
