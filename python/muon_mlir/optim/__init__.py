"""PyTorch optimizers whose step is compiled by muon-mlir.

    from muon_mlir.optim import Muon
    opt = Muon(model.named_parameters(), lr=0.02, adamw_lr=3e-4)

`Muon` is a torch.optim.Optimizer: Muon (or Muon²) for hidden matrices,
AdamW for the rest, compiled in-place steps per param group.
`combine_state_dicts` / `split_state_dict` move checkpoints between it and
a torch.optim.Muon + torch.optim.AdamW pair. `QKClip` rescales query/key
projections after a step when attention logits grow (MuonClip).
"""

from ._compiler import CompileError, find_muon_compile
from ._muon import Muon
from ._qk_clip import QKClip
from ._state import combine_state_dicts, split_state_dict

__all__ = ["Muon", "QKClip", "CompileError", "combine_state_dicts", "find_muon_compile",
           "split_state_dict"]
