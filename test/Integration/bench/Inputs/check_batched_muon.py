import sys

import torch

sys.path.insert(0, sys.argv[1])
import gpu_peers  # noqa: E402

torch.manual_seed(0)
shapes = [(64, 192), (64, 192), (128, 64), (32, 32)]
reference = [torch.nn.Parameter(torch.randn(s)) for s in shapes]
batched = [torch.nn.Parameter(p.detach().clone()) for p in reference]
torch_muon = torch.optim.Muon(reference, lr=0.02, weight_decay=0.1)
peer = gpu_peers.BatchedMuon(batched, 0.02, 0.1)
for _ in range(3):
    for p, q in zip(reference, batched):
        p.grad = torch.randn_like(p)
        q.grad = p.grad.clone()
    torch_muon.step()
    peer.step()
same = all(torch.equal(p, q) for p, q in zip(reference, batched))
print(f"BatchedMuon == torch.optim.Muon over 3 steps on {len(shapes)} matrices: {same}")
