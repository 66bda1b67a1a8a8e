/* Calls a step compiled with --target=cuda through its header. Linking it
 * proves every symbol the library needs resolves; it is run only against the
 * toolkit's stub driver (test/runtime/cuda/no-device.test), where the call
 * must return a failure status and message instead of crashing, so its host
 * buffers never reach a GPU. */
#include "axpby.h"

#include <stdio.h>

int main(void) {
  static float x[300 * 70], y[300 * 70], a, r[300 * 70];
  int status = muon_axpby(x, y, &a, r, NULL);
  printf("status %d: %s\n", status, muon_gpu_last_error());
  return 0;
}
