"""Small models, torch reference optimizers and comparisons shared by the
muon_mlir.optim tests."""

import torch

from muon_mlir.testing.torch_reference import fp32_newton_schulz  # noqa: F401

LR, ADAMW_LR = 0.02, 3e-3


class TinyGPT(torch.nn.Module):
    """Token and position embeddings, two pre-norm transformer blocks, a
    head: the parameters a language model hands its optimizer."""

    def __init__(self, vocab=32, d=32, heads=4, layers=2, context=16):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, d)
        self.pos_embed = torch.nn.Embedding(context, d)
        # No biases in the blocks: the key bias has no gradient (softmax
        # ignores it), and AdamW turns rounding noise there into full-size
        # steps that no two implementations share.
        layer = torch.nn.TransformerEncoderLayer(d, heads, 2 * d, dropout=0.0,
                                                 batch_first=True, norm_first=True, bias=False)
        self.blocks = torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = torch.nn.LayerNorm(d)
        self.head = torch.nn.Linear(d, vocab)

    def forward(self, tokens):
        positions = torch.arange(tokens.shape[1])
        mask = torch.nn.Transformer.generate_square_subsequent_mask(tokens.shape[1])
        x = self.embed(tokens) + self.pos_embed(positions)
        return self.head(self.norm(self.blocks(x, mask=mask, is_causal=True)))


class ConvNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(8, 16, 3, padding=1)
        self.fc = torch.nn.Linear(16 * 4 * 4, 32)
        self.classifier = torch.nn.Linear(32, 10)

    def forward(self, x):
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.classifier(torch.relu(self.fc(x.flatten(1))))


def gpt_batch(seed, vocab=32, batch=4, context=16):
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(0, vocab, (batch, context + 1), generator=g)
    return tokens[:, :-1], tokens[:, 1:]


def gpt_loss(model, batch):
    x, y = batch
    logits = model(x)
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                             y.reshape(-1))


def conv_batch(seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(8, 3, 16, 16, generator=g), torch.randint(0, 10, (8,), generator=g)


def conv_loss(model, batch):
    x, y = batch
    return torch.nn.functional.cross_entropy(model(x), y)


def is_hidden_matrix(name, p):
    """The routing the tests expect: rank >= 2, not an embedding or head."""
    return p.ndim >= 2 and not any(k in name for k in ("embed", "head", "classifier"))


class TorchPair:
    """torch.optim.Muon on the hidden matrices (N-D ones through 2-D views
    sharing their storage, which torch.optim.Muon updates in place) and
    torch.optim.AdamW on the rest."""

    def __init__(self, model, lr=LR, adamw_lr=ADAMW_LR, muon_kwargs=None, adamw_kwargs=None):
        self.hidden = [(p, torch.nn.Parameter(p.data.view(p.shape[0], -1)))
                       for n, p in model.named_parameters() if is_hidden_matrix(n, p)]
        self.rest = [p for n, p in model.named_parameters() if not is_hidden_matrix(n, p)]
        self.muon = torch.optim.Muon([v for _, v in self.hidden], lr=lr, **(muon_kwargs or {}))
        self.adamw = torch.optim.AdamW(self.rest, lr=adamw_lr, **(adamw_kwargs or {}))

    def zero_grad(self):
        self.muon.zero_grad()
        self.adamw.zero_grad()
        for p, _ in self.hidden:  # the model's own tensors, not the views
            p.grad = None

    def step(self):
        for p, view in self.hidden:
            view.grad = None if p.grad is None else p.grad.view(view.shape)
        self.muon.step()
        self.adamw.step()


def train(model, optimizer, loss_fn, batch_fn, steps, first_seed=0, scheduler=None, skip=None):
    """`steps` steps; `skip(step)` names parameters whose grad is dropped."""
    for step in range(steps):
        optimizer.zero_grad()
        loss_fn(model, batch_fn(first_seed + step)).backward()
        if skip is not None:
            for name, p in model.named_parameters():
                if name in skip(step):
                    p.grad = None
        optimizer.step()
        if scheduler is not None:
            scheduler.step()


def worst_relative(model, reference):
    """max over parameters of max|a − b| / max|b|."""
    worst, where = 0.0, None
    for (name, a), b in zip(model.named_parameters(), reference.parameters()):
        a, b = a.detach(), b.detach()
        rel = float((a - b).abs().max() / b.abs().max().clamp(min=1e-30))
        if rel > worst:
            worst, where = rel, name
    return worst, where


def twins(cls, seed=0):
    torch.manual_seed(seed)
    a = cls()
    b = cls()
    b.load_state_dict(a.state_dict())
    return a, b
