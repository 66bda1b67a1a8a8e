/* Links against a step compiled with --target=cuda through its header, so
 * that every symbol the library needs must resolve; it is run only where a
 * GPU is. Passing host pointers is wrong on purpose: the runtime must report
 * it as a status, not crash. */
#include "axpby.h"

#include <stdio.h>

int main(void) {
  static float x[300 * 70], y[300 * 70], a, r[300 * 70];
  int status = muon_axpby(x, y, &a, r, NULL);
  printf("status %d: %s\n", status, muon_gpu_last_error());
  return 0;
}
