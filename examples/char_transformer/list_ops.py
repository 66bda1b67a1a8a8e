"""Lists the ops (domain, type, count) of the example's ORT training artifacts.

  python examples/char_transformer/list_ops.py [--work DIR]
"""

import argparse
import collections
import os
import sys

import onnx

import model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default="/tmp/char_transformer_ops")
    args = parser.parse_args()
    data, chars = model.load_text()
    model.make_artifacts(model.Config(vocab=len(chars)), args.work)
    for name in ("training_model.onnx", "optimizer_model.onnx"):
        graph = onnx.load(os.path.join(args.work, name)).graph
        counts = collections.Counter((n.domain or "ai.onnx", n.op_type) for n in graph.node)
        print(f"{name}: {len(graph.node)} nodes")
        for (domain, op), count in sorted(counts.items()):
            print(f"  {domain:14s} {op:32s} {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
