"""Reads or rewrites the version a dialect recorded in an MLIR bytecode file.

    bytecode_dialect_version.py FILE DIALECT              prints the version
    bytecode_dialect_version.py FILE DIALECT --set N -o OUT

Follows MLIR's bytecode format (mlir/docs/BytecodeFormat.md): the string
section names the dialects, and each dialect entry of the dialect section
carries its version payload in a nested section. The version payload is the
varint that the dialect's BytecodeDialectInterface::writeVersion wrote.
"""

import argparse
import sys

MAGIC = b"ML\xefR"
STRING_SECTION, DIALECT_SECTION = 0, 1
ALIGNMENT_BYTE = 0xCB


class Reader:
    def __init__(self, data, pos=0, end=None):
        self.data, self.pos = data, pos
        self.end = len(data) if end is None else end

    def byte(self):
        if self.pos >= self.end:
            sys.exit("error: truncated bytecode")
        self.pos += 1
        return self.data[self.pos - 1]

    def varint(self):
        """MLIR's prefix varint: trailing zeros of byte 0 + 1 = length."""
        first = self.byte()
        if first == 0:
            length, value, shift = 9, 0, 0
        else:
            length = (first & -first).bit_length()
            value, shift = first >> length, 8 - length
        for _ in range(length - 1):
            value |= self.byte() << shift
            shift += 8
        return value


def sections(data):
    if not data.startswith(MAGIC):
        sys.exit("error: not an MLIR bytecode file")
    reader = Reader(data, len(MAGIC))
    reader.varint()  # bytecode format version
    reader.pos = data.index(b"\0", reader.pos) + 1  # producer string
    found = {}
    while reader.pos < len(data):
        id_and_aligned = reader.byte()
        length = reader.varint()
        if id_and_aligned & 0x80:
            alignment = reader.varint()
            while reader.pos % alignment:
                if reader.byte() != ALIGNMENT_BYTE:
                    sys.exit("error: bad section padding")
        found[id_and_aligned & 0x7F] = (reader.pos, reader.pos + length)
        reader.pos += length
    return found


def strings(data, begin, end):
    reader = Reader(data, begin, end)
    sizes = [reader.varint() for _ in range(reader.varint())][::-1]
    result, pos = [], reader.pos
    for size in sizes:
        result.append(data[pos:pos + size - 1].decode())
        pos += size
    return result


def dialect_version_payload(data, dialect):
    """(begin, end) of `dialect`'s version payload in `data`, or None."""
    found = sections(data)
    names = strings(data, *found[STRING_SECTION])
    reader = Reader(data, *found[DIALECT_SECTION])
    for _ in range(reader.varint()):
        name_and_flag = reader.varint()
        payload = None
        if name_and_flag & 1:
            reader.byte()  # nested section id
            length = reader.varint()
            payload = (reader.pos, reader.pos + length)
            reader.pos += length
        if names[name_and_flag >> 1] == dialect:
            return payload
    sys.exit(f"error: dialect '{dialect}' not in the file")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("dialect")
    parser.add_argument("--set", type=int, help="new version (1 to 127)")
    parser.add_argument("-o", "--output")
    args = parser.parse_args()
    data = bytearray(open(args.file, "rb").read())
    payload = dialect_version_payload(data, args.dialect)
    if payload is None:
        sys.exit(f"error: dialect '{args.dialect}' records no version")
    version = Reader(data, *payload).varint()
    if args.set is None:
        print(f"{args.dialect} version {version}")
        return
    # One-byte varints only, so no section length changes.
    if payload[1] - payload[0] != 1 or not 0 < args.set < 128:
        sys.exit("error: only one-byte versions can be rewritten")
    data[payload[0]] = (args.set << 1) | 1
    open(args.output, "wb").write(data)


if __name__ == "__main__":
    main()
