"""CUDA graphs of a compiled optimizer step, captured by the optimizer.

A step's library issues a few hundred launches (kernels, GEMMs, memsets)
per call; replaying them from a CUDA graph costs one launch on the host and
removes the gaps between them on the device. A graph holds the addresses it
was captured with: one is captured per set of gradient addresses (the
other tensors of a bound step are fixed), and torch's caching allocator
gives a training loop's gradients the same addresses step after step, so a
loop captures once and replays from then on.
"""

import collections
import warnings

import torch


class GraphCache:
    """The graphs of one bound step, keyed by its gradients' addresses.

    `capture(launch)` records `launch(stream)` (the step's work issued on a
    stream handle) into a graph and returns it (anything with `replay()`),
    or raises; the default captures with torch.cuda.CUDAGraph on a side
    stream of `device`."""

    # Graphs kept: a key alternating between two address sets (double
    # buffering) still replays.
    CAPACITY = 2
    # Captures in a row without a replay between them: the addresses change
    # every step, and capturing costs more than it saves.
    MAX_MISSES = 4

    def __init__(self, device, capture=None):
        self.device = device
        self.capture = capture or self._capture_cuda
        self.graphs = collections.OrderedDict()
        self.enabled, self.warm, self.misses = True, False, 0
        self.captures = self.replays = 0

    def run(self, key, launch):
        """Runs the step from a graph for `key` (captured now if new) and
        returns True, or returns False for the caller to launch it eagerly:
        on the first call (lazy initialization — module loads, handles —
        must not happen during a capture), inside the caller's own capture,
        and once capturing failed or stopped paying off."""
        if not self.enabled or self._capturing():
            return False
        if not self.warm:
            self.warm = True
            return False
        graph = self.graphs.get(key)
        if graph is None:
            try:
                graph = self.capture(launch)
            except Exception as error:  # the step stays correct, only eager
                self._disable(f"capturing it failed ({type(error).__name__}: {error})")
                return False
            self.captures += 1
            self.misses += 1
            self.graphs[key] = graph
            if len(self.graphs) > self.CAPACITY:
                self.graphs.popitem(last=False)
        else:
            self.graphs.move_to_end(key)
            self.misses = 0
        graph.replay()  # a capture records the step without running it
        self.replays += 1
        if self.misses > self.MAX_MISSES:
            self._disable(f"its gradients' addresses changed on {self.misses} steps in a row")
        return True

    def _disable(self, why):
        self.enabled = False
        self.graphs.clear()
        warnings.warn(f"muon_mlir.optim: no CUDA graph for this step: {why}; it runs "
                      "eagerly from now on", RuntimeWarning, stacklevel=4)

    def _capturing(self):
        return self.device.type == "cuda" and torch.cuda.is_current_stream_capturing()

    def _capture_cuda(self, launch):
        graph = torch.cuda.CUDAGraph()
        current = torch.cuda.current_stream(self.device)
        side = torch.cuda.Stream(self.device)  # never capture the legacy stream
        side.wait_stream(current)
        with torch.cuda.stream(side):
            graph.capture_begin()
            try:
                launch(side.cuda_stream)
            finally:
                graph.capture_end()
        current.wait_stream(side)
        return graph
