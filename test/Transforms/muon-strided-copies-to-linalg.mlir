// RUN: muon-opt %s --muon-strided-copies-to-linalg | FileCheck %s

// A copy into a slice of a wider buffer (strided target), out of one
// (strided source), and between dynamic strided views become linalg.copy;
// a copy between contiguous buffers stays a memref.copy (memcpy), as does
// an unranked one.
// CHECK-LABEL: func.func @copies
// CHECK-SAME: (%[[A:.*]]: memref<8x256xf32>, %[[W:.*]]: memref<8x768xf32>, %[[B:.*]]: memref<8x256xf32>, %[[D:.*]]: memref<?x?xf32, strided<[?, ?], offset: ?>>, %[[U:.*]]: memref<*xf32>)
// CHECK: %[[S:.*]] = memref.subview %[[W]][0, 256] [8, 256] [1, 1]
// CHECK: linalg.copy ins(%[[A]] : memref<8x256xf32>) outs(%[[S]] : memref<8x256xf32, strided<[768, 1], offset: 256>>)
// CHECK: linalg.copy ins(%[[S]] : memref<8x256xf32, strided<[768, 1], offset: 256>>) outs(%[[B]] : memref<8x256xf32>)
// CHECK: linalg.copy ins(%[[D]] : memref<?x?xf32, strided<[?, ?], offset: ?>>) outs(%[[D]] : memref<?x?xf32, strided<[?, ?], offset: ?>>)
// CHECK: memref.copy %[[A]], %[[B]] : memref<8x256xf32> to memref<8x256xf32>
// CHECK: memref.copy %[[U]], %[[U]] : memref<*xf32> to memref<*xf32>
// CHECK-NOT: linalg.copy
func.func @copies(%a: memref<8x256xf32>, %w: memref<8x768xf32>, %b: memref<8x256xf32>,
                  %d: memref<?x?xf32, strided<[?, ?], offset: ?>>, %u: memref<*xf32>) {
  %s = memref.subview %w[0, 256] [8, 256] [1, 1] : memref<8x768xf32> to memref<8x256xf32, strided<[768, 1], offset: 256>>
  memref.copy %a, %s : memref<8x256xf32> to memref<8x256xf32, strided<[768, 1], offset: 256>>
  memref.copy %s, %b : memref<8x256xf32, strided<[768, 1], offset: 256>> to memref<8x256xf32>
  memref.copy %d, %d : memref<?x?xf32, strided<[?, ?], offset: ?>> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  memref.copy %a, %b : memref<8x256xf32> to memref<8x256xf32>
  memref.copy %u, %u : memref<*xf32> to memref<*xf32>
  return
}
