# cmake -DINPUT=file -DOUTPUT=file.inc -P EmbedBytes.cmake
# Writes the bytes of INPUT as a comma-separated list of hex literals (one
# line), to be
# #included inside a C array initializer.
file(READ "${INPUT}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUTPUT}" "${bytes}\n")
