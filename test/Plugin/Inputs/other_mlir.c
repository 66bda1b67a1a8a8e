/* Stands for the libMLIR of another LLVM release (soname libMLIR.so.0.1)
   in plugin-wrong-host.test: only its name matters. */
int muonOtherMLIRMarker(void) { return 0; }
