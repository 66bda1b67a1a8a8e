//===- ReplayMain.cpp - Run a fuzz target on saved inputs -----------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The `main` of fuzz targets in builds without libFuzzer: each argument (a
// file, or a directory of files) is passed once to LLVMFuzzerTestOneInput,
// so that the regression tests replay every reproducer found so far in the
// ordinary and the sanitizer builds.
//
//===----------------------------------------------------------------------===//

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool replay(const llvm::Twine &path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!file) {
    llvm::errs() << "cannot read '" << path
                 << "': " << file.getError().message() << '\n';
    return false;
  }
  // A copy of exactly the input's size, so that ASan sees overreads.
  std::string bytes((*file)->getBuffer());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(bytes.data()),
                         bytes.size());
  llvm::outs() << "replayed " << path << '\n';
  return true;
}

int main(int argc, char **argv) {
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    if (!llvm::sys::fs::is_directory(argv[i])) {
      ok &= replay(argv[i]);
      continue;
    }
    std::error_code ec;
    llvm::SmallVector<std::string> paths;
    for (llvm::sys::fs::directory_iterator it(argv[i], ec), end;
         it != end && !ec; it.increment(ec))
      paths.push_back(it->path());
    llvm::sort(paths);
    for (const std::string &path : paths)
      ok &= replay(path);
  }
  return ok ? 0 : 1;
}
