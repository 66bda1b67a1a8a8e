"""Writes the PTX of the first gpu.binary object (format=isa) read from
stdin to the file named by argv[1], undoing MLIR's string escapes."""

import re
import sys

match = re.search(r'assembly = "((?:[^"\\]|\\.)*)"', sys.stdin.read())
if not match:
    sys.exit("no gpu.binary with an assembly object in the input")
text, out, i = match.group(1), bytearray(), 0
while i < len(text):
    if text[i] == "\\":
        nxt = text[i + 1]
        if nxt in '\\"':
            out.append(ord(nxt))
            i += 2
        else:
            out.append(int(text[i + 1:i + 3], 16))
            i += 3
    else:
        out += text[i].encode()
        i += 1
with open(sys.argv[1], "wb") as f:
    f.write(out)
