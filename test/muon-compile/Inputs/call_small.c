/* Calls small.mlir's flat entry point from C through the generated header:
 * one AdamW step on a bias of ones with gradient ones from zero moments
 * moves each element to (1 - lr * 0.01) - lr = 0.99899, and the
 * inputs stay as they were. */
#include "small.h"

#include <stdio.h>
#include <string.h>

int main(void) {
  float w[8 * 4], g[8 * 4], m[8 * 4], b[4], gb[4], bm[4] = {0}, bv[4] = {0};
  float lr = 1e-3f;
  int32_t t = 1;
  for (int i = 0; i < 8 * 4; ++i) {
    w[i] = (float)(i % 5) - 2.0f;
    g[i] = (float)(i % 3) - 1.0f;
    m[i] = 0.0f;
  }
  for (int i = 0; i < 4; ++i)
    b[i] = gb[i] = 1.0f;
  float wSaved[8 * 4], mSaved[8 * 4], bmSaved[4];
  memcpy(wSaved, w, sizeof w);
  memcpy(mSaved, m, sizeof m);
  memcpy(bmSaved, bm, sizeof bm);

  float w1[8 * 4], m1[8 * 4], b1[4], bm1[4], bv1[4];
  if (muon_small(w, g, m, b, gb, bm, bv, &lr, &t, w1, m1, b1, bm1, bv1) != 0)
    return 2;
  printf("b1[0] = %.6f\n", b1[0]);
  int same = !memcmp(w, wSaved, sizeof w) && !memcmp(m, mSaved, sizeof m) &&
             !memcmp(bm, bmSaved, sizeof bm);
  printf("%s\n", same ? "inputs unchanged" : "inputs MODIFIED");
  return !same;
}
