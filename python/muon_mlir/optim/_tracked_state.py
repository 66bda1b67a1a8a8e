"""torch.optim's per-parameter state, with a count of the caller's changes.

A bound step (Muon's fast path) keeps the state tensors its last full check
found and does not look them up again; torch's optimizers look them up on
every step. So that replacing or clearing state (`opt.state[p].clear()`,
`opt.state[p]["momentum_buffer"] = t`, `del opt.state[p]`) still takes
effect, every such change counts in `TrackedState.changes`, which the fast
path compares (one integer) with the count it was bound at. The
optimizer's own writes use `dict` methods directly and count nothing: they
belong to the group whose step is being bound. Both classes pickle and copy
as plain dicts, so checkpoints stay loadable by torch alone.
"""


class TrackedState(dict):
    """optimizer.state: parameter -> TrackedEntry, created on first access
    as torch's defaultdict(dict) does."""

    def __init__(self, items=()):
        super().__init__()
        self.changes = 0
        for key, value in dict(items).items():
            dict.__setitem__(self, key, self._entry(value))

    def _entry(self, value):
        return value if isinstance(value, TrackedEntry) and value.owner is self else \
            TrackedEntry(self, value)

    def __missing__(self, key):
        entry = TrackedEntry(self)
        dict.__setitem__(self, key, entry)
        return entry

    def __reduce__(self):
        return TrackedState, ({k: dict(v) for k, v in self.items()},)

    def __setitem__(self, key, value):
        self.changes += 1
        dict.__setitem__(self, key, self._entry(value))

    def setdefault(self, key, value=None):
        if key not in self:
            self[key] = {} if value is None else value
        return dict.__getitem__(self, key)

    def update(self, *args, **kwargs):
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def __ior__(self, other):
        self.update(other)
        return self


class TrackedEntry(dict):
    """The state of one parameter: {key: tensor}."""

    def __init__(self, owner, items=()):
        super().__init__(items)
        self.owner = owner

    def __reduce__(self):
        return dict, (dict(self),)

    def setdefault(self, key, value=None):
        if key not in self:
            self[key] = value
        return dict.__getitem__(self, key)

    def update(self, *args, **kwargs):
        self.owner.changes += 1
        dict.update(self, *args, **kwargs)

    def __ior__(self, other):
        self.update(other)
        return self


def _counting(method):
    """`method` of dict, counting a change of the state it belongs to."""
    def counted(self, *args, **kwargs):
        (self if isinstance(self, TrackedState) else self.owner).changes += 1
        return method(self, *args, **kwargs)
    counted.__name__ = method.__name__
    return counted


for _cls in (TrackedState, TrackedEntry):
    for _name in ("__delitem__", "pop", "popitem", "clear"):
        setattr(_cls, _name, _counting(getattr(dict, _name)))
TrackedEntry.__setitem__ = _counting(dict.__setitem__)
