// RUN: muon-opt %s -split-input-file -convert-scatter-add-to-loops | FileCheck %s --check-prefix=CPU
// RUN: muon-opt %s -split-input-file -convert-scatter-add-to-loops=atomic=true | FileCheck %s --check-prefix=GPU

// The embedding gradient (axis 0). On the CPU a loop over the tokens that
// loads, wraps (negative: + 100) and range-checks each index once, then a
// load/add/store loop over the row; on the GPU one parallel loop over
// tokens × row with the check and an atomic add per element.
// CPU-LABEL: func.func @embedding
// CPU-SAME: (%[[DY:.+]]: memref<8x16xf32>, %[[IDS:.+]]: memref<8xi64>, %[[T:.+]]: memref<100x16xf32>)
// CPU-DAG: %[[C0:.+]] = arith.constant 0 : index
// CPU-DAG: %[[C8:.+]] = arith.constant 8 : index
// CPU-DAG: %[[C16:.+]] = arith.constant 16 : index
// CPU-DAG: %[[C100:.+]] = arith.constant 100 : index
// CPU: scf.for %[[P:.+]] = %[[C0]] to %[[C8]]
// CPU:   %[[RAW:.+]] = memref.load %[[IDS]][%[[P]]] : memref<8xi64>
// CPU:   %[[I:.+]] = arith.index_cast %[[RAW]] : i64 to index
// CPU:   %[[NEG:.+]] = arith.cmpi slt, %[[I]], %[[C0]]
// CPU:   %[[WRAP:.+]] = arith.addi %[[I]], %[[C100]]
// CPU:   %[[ROW:.+]] = arith.select %[[NEG]], %[[WRAP]], %[[I]]
// CPU:   %[[OK:.+]] = arith.cmpi ult, %[[ROW]], %[[C100]]
// CPU:   scf.if %[[OK]] {
// CPU:     scf.for %[[J:.+]] = %[[C0]] to %[[C16]]
// CPU:       %[[U:.+]] = memref.load %[[DY]][%[[P]], %[[J]]]
// CPU:       %[[OLD:.+]] = memref.load %[[T]][%[[ROW]], %[[J]]]
// CPU:       %[[SUM:.+]] = arith.addf %[[OLD]], %[[U]] : f32
// CPU:       memref.store %[[SUM]], %[[T]][%[[ROW]], %[[J]]]
// CPU-NOT: optim.scatter_add
// CPU-NOT: atomic_rmw
// GPU-LABEL: func.func @embedding
// GPU-SAME: (%[[DY:.+]]: memref<8x16xf32>, %[[IDS:.+]]: memref<8xi64>, %[[T:.+]]: memref<100x16xf32>)
// GPU: scf.parallel (%[[P:.+]], %[[J:.+]]) = (%{{.+}}, %{{.+}}) to (%{{.+}}, %{{.+}})
// GPU:   %[[RAW:.+]] = memref.load %[[IDS]][%[[P]]] : memref<8xi64>
// GPU:   %[[ROW:.+]] = arith.select
// GPU:   %[[OK:.+]] = arith.cmpi ult, %[[ROW]]
// GPU:   scf.if %[[OK]] {
// GPU:     %[[U:.+]] = memref.load %[[DY]][%[[P]], %[[J]]]
// GPU:     memref.atomic_rmw addf %[[U]], %[[T]][%[[ROW]], %[[J]]] : (f32, memref<100x16xf32>) -> f32
// GPU-NOT: optim.scatter_add
// GPU-NOT: scf.for
func.func @embedding(%dy: memref<8x16xf32>, %ids: memref<8xi64>, %table: memref<100x16xf32>) {
  optim.scatter_add %dy into %table[%ids] : memref<8x16xf32>, memref<8xi64> into memref<100x16xf32>
  return
}

// -----

// A middle axis with 2-D i32 indices: the dims before the axis, then the
// index dims, then the row; dest is indexed (pre, row, post).
// CPU-LABEL: func.func @middle_axis
// CPU: scf.for %[[A:.+]] =
// CPU:   scf.for %[[P0:.+]] =
// CPU:     scf.for %[[P1:.+]] =
// CPU:       memref.load %{{.+}}[%[[P0]], %[[P1]]] : memref<2x5xi32>
// CPU:       arith.index_cast %{{.+}} : i32 to index
// CPU:       %[[ROW:.+]] = arith.select
// CPU:       scf.if
// CPU:         scf.for %[[B:.+]] =
// CPU:           memref.load %{{.+}}[%[[A]], %[[P0]], %[[P1]], %[[B]]] : memref<3x2x5x4xbf16>
// CPU:           memref.load %{{.+}}[%[[A]], %[[ROW]], %[[B]]] : memref<3x7x4xbf16>
// CPU:           arith.addf {{.*}} : bf16
// GPU-LABEL: func.func @middle_axis
// GPU: scf.parallel (%[[A:.+]], %[[P0:.+]], %[[P1:.+]], %[[B:.+]]) =
// GPU:   memref.load %{{.+}}[%[[P0]], %[[P1]]] : memref<2x5xi32>
// GPU:   %[[ROW:.+]] = arith.select
// GPU:   memref.atomic_rmw addf %{{.+}}, %{{.+}}[%[[A]], %[[ROW]], %[[B]]] : (bf16, memref<3x7x4xbf16>) -> bf16
func.func @middle_axis(%dy: memref<3x2x5x4xbf16>, %ids: memref<2x5xi32>, %table: memref<3x7x4xbf16>) {
  optim.scatter_add %dy into %table[%ids] {axis = 1 : i64} : memref<3x2x5x4xbf16>, memref<2x5xi32> into memref<3x7x4xbf16>
  return
}

// -----

// A 0-d index into a vector (a 0-d update): no loop at all on the CPU, a
// one-iteration loop on the GPU so that the add still runs on a thread.
// CPU-LABEL: func.func @scalar
// CPU-NOT: scf.for
// CPU: memref.load %{{.+}}[] : memref<i64>
// CPU: scf.if
// CPU:   memref.load %{{.+}}[] : memref<f32>
// CPU:   memref.store
// GPU-LABEL: func.func @scalar
// GPU: scf.parallel (%{{.+}}) = (%{{.+}}) to (%{{.+}})
// GPU:   memref.load %{{.+}}[] : memref<i64>
// GPU:   memref.atomic_rmw addf
func.func @scalar(%dy: memref<f32>, %ids: memref<i64>, %v: memref<10xf32>) {
  optim.scatter_add %dy into %v[%ids] : memref<f32>, memref<i64> into memref<10xf32>
  return
}

// -----

// Dynamic extents: the bounds and the wrap read the buffers' sizes.
// CPU-LABEL: func.func @dynamic
// CPU-SAME: (%[[DY:.+]]: memref<?x16xf32>, %{{.+}}: memref<?xi64>, %[[T:.+]]: memref<?x16xf32>)
// CPU-DAG: %[[N:.+]] = memref.dim %[[DY]], %{{.+}} : memref<?x16xf32>
// CPU-DAG: %[[V:.+]] = memref.dim %[[T]], %{{.+}} : memref<?x16xf32>
// CPU: scf.for %{{.+}} = %c0 to %[[N]]
// CPU:   arith.addi %{{.+}}, %[[V]] : index
// CPU:   arith.cmpi ult, %{{.+}}, %[[V]] : index
func.func @dynamic(%dy: memref<?x16xf32>, %ids: memref<?xi64>, %table: memref<?x16xf32>) {
  optim.scatter_add %dy into %table[%ids] : memref<?x16xf32>, memref<?xi64> into memref<?x16xf32>
  return
}
