"""Ten steps of TinyGPT and ConvNet: muon_mlir.optim.Muon vs torch's pair."""

import models
from muon_mlir.optim import Muon

TOLERANCE = 1e-5

for label, cls, loss_fn, batch_fn in (("transformer", models.TinyGPT, models.gpt_loss,
                                       models.gpt_batch),
                                      ("conv net", models.ConvNet, models.conv_loss,
                                       models.conv_batch)):
    ours_model, ref_model = models.twins(cls)
    ours = Muon(ours_model.named_parameters(), lr=models.LR, adamw_lr=models.ADAMW_LR)
    reference = models.TorchPair(ref_model)
    with models.fp32_newton_schulz():
        models.train(ours_model, ours, loss_fn, batch_fn, 10)
        models.train(ref_model, reference, loss_fn, batch_fn, 10)
    worst, where = models.worst_relative(ours_model, ref_model)
    assert worst <= TOLERANCE, f"{label}: {where} differs by {worst:.2e}"
    kinds = [len(reference.hidden), len(reference.rest)]
    assert len(ours._compiled) == 1, ours._compiled.keys()
    print(f"{label}: 10 steps, worst relative difference {worst:.1e} <= {TOLERANCE:g} "
          f"(muon {kinds[0]}, adamw {kinds[1]} parameters)", flush=True)
