//===- KernelBuilders.cpp - Kernels as block × thread loop nests ----------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "KernelBuilders.h"

#include "muon/Dialect/Optim/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace muon::optim;

/// Elements a thread handles at most: enough to amortize its prologue and
/// reduction atomics, few enough to leave tens of thousands of threads for
/// the matrices of a GPT-2-sized bucket.
static constexpr int64_t kMaxElementsPerThread = 16;

static int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// Maps the dims of `loop` to `processors`. gpu-map-parallel-loops keeps an
/// explicit mapping, and a loop the canonicalizer rebuilds (dropping a unit
/// dim) gets the same one back from its greedy mapping.
static void setMapping(scf::ParallelOp loop,
                       ArrayRef<gpu::Processor> processors) {
  MLIRContext *ctx = loop.getContext();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(1, ctx);
  SmallVector<gpu::ParallelLoopDimMappingAttr> mapping;
  for (gpu::Processor processor : processors)
    mapping.push_back(gpu::ParallelLoopDimMappingAttr::get(ctx, processor,
                                                           identity, identity));
  (void)gpu::setMappingAttr(loop, mapping);
}

/// Threads buildKernel gives each row of `elements` elements.
static int64_t getThreadsPerRow(int64_t elements) {
  return std::max<int64_t>(
             1, ceilDiv(elements, kThreadsPerBlock * kMaxElementsPerThread)) *
         kThreadsPerBlock;
}

void muon::optim::buildKernel(OpBuilder &b, Location loc, int64_t rows,
                              int64_t elements, ValueRange accumulatorInits,
                              KernelPrologueFn prologue, KernelBodyFn body,
                              KernelEpilogueFn epilogue) {
  int64_t threadsPerRow = getThreadsPerRow(elements);
  int64_t blocksPerRow = threadsPerRow / kThreadsPerBlock;
  int64_t iterations = std::max<int64_t>(1, ceilDiv(elements, threadsPerRow));
  bool exact = iterations * threadsPerRow == elements;
  auto index = [&](int64_t value) {
    return arith::ConstantIndexOp::create(b, loc, value).getResult();
  };
  Value zero = index(0), one = index(1);

  auto grid = scf::ParallelOp::create(
      b, loc, ValueRange{zero, zero},
      ValueRange{index(blocksPerRow), index(rows)}, ValueRange{one, one},
      [&](OpBuilder &gb, Location gloc, ValueRange gridIvs) {
        Value block = gridIvs[0], row = gridIvs[1];
        // Per-block values live between the two loops, which also keeps
        // the canonicalizer from merging the nest into one level.
        Value blockBase = arith::MulIOp::create(
            gb, gloc, block,
            arith::ConstantIndexOp::create(gb, gloc, kThreadsPerBlock));
        Value rowStart = arith::MulIOp::create(
            gb, gloc, row, arith::ConstantIndexOp::create(gb, gloc, elements));
        auto threads = scf::ParallelOp::create(
            gb, gloc, ValueRange{zero}, ValueRange{index(kThreadsPerBlock)},
            ValueRange{one},
            [&](OpBuilder &tb, Location tloc, ValueRange threadIvs) {
              auto c = [&](int64_t value) {
                return arith::ConstantIndexOp::create(tb, tloc, value)
                    .getResult();
              };
              // The thread's rank within its row.
              Value thread =
                  arith::AddIOp::create(tb, tloc, blockBase, threadIvs[0]);
              prologue(tb, tloc, row);
              auto loop = scf::ForOp::create(
                  tb, tloc, c(0), c(iterations), c(1), accumulatorInits,
                  [&](OpBuilder &lb, Location lloc, Value it, ValueRange accs) {
                    // Element it · threadsPerRow + thread of the row.
                    Value inRow = arith::AddIOp::create(
                        lb, lloc,
                        arith::MulIOp::create(lb, lloc, it,
                                              arith::ConstantIndexOp::create(
                                                  lb, lloc, threadsPerRow)),
                        thread);
                    Value flat =
                        arith::AddIOp::create(lb, lloc, rowStart, inRow);
                    if (exact) {
                      scf::YieldOp::create(lb, lloc,
                                           body(lb, lloc, row, flat, accs));
                      return;
                    }
                    Value inBounds = arith::CmpIOp::create(
                        lb, lloc, arith::CmpIPredicate::ult, inRow,
                        arith::ConstantIndexOp::create(lb, lloc, elements));
                    auto guard = scf::IfOp::create(
                        lb, lloc, inBounds,
                        [&](OpBuilder &ib, Location iloc) {
                          scf::YieldOp::create(ib, iloc,
                                               body(ib, iloc, row, flat, accs));
                        },
                        [&](OpBuilder &ib, Location iloc) {
                          scf::YieldOp::create(ib, iloc, accs);
                        });
                    scf::YieldOp::create(lb, lloc, guard.getResults());
                  });
              epilogue(tb, tloc, row, thread, loop.getResults());
            });
        setMapping(threads, {gpu::Processor::ThreadX});
      });
  setMapping(grid, {gpu::Processor::BlockX, gpu::Processor::BlockY});
}

void muon::optim::buildRaggedKernel(OpBuilder &b, Location loc,
                                    ArrayRef<int64_t> offsets,
                                    ArrayRef<int64_t> sizes,
                                    KernelPrologueFn prologue,
                                    RaggedBodyFn body) {
  constexpr int64_t chunk = kThreadsPerBlock * kMaxElementsPerThread;
  SmallVector<int64_t> blockStarts;
  int64_t totalBlocks = 0;
  for (int64_t size : sizes) {
    blockStarts.push_back(totalBlocks);
    totalBlocks += std::max<int64_t>(1, ceilDiv(size, chunk));
  }
  auto index = [&](OpBuilder &ib, Location iloc, int64_t value) {
    return arith::ConstantIndexOp::create(ib, iloc, value).getResult();
  };
  Value zero = index(b, loc, 0), one = index(b, loc, 1);

  auto grid = scf::ParallelOp::create(
      b, loc, ValueRange{zero}, ValueRange{index(b, loc, totalBlocks)},
      ValueRange{one}, [&](OpBuilder &gb, Location gloc, ValueRange gridIvs) {
        Value block = gridIvs[0];
        // row = the number of later rows' first blocks at or before `block`.
        Value row = index(gb, gloc, 0);
        for (int64_t start : ArrayRef(blockStarts).drop_front()) {
          Value after =
              arith::CmpIOp::create(gb, gloc, arith::CmpIPredicate::uge, block,
                                    index(gb, gloc, start));
          row = arith::AddIOp::create(
              gb, gloc, row,
              arith::SelectOp::create(gb, gloc, after, index(gb, gloc, 1),
                                      index(gb, gloc, 0)));
        }
        // The row's first block, size and offset.
        SmallVector<Value> rowInfo;
        if (sizes.size() == 1) {
          rowInfo = {index(gb, gloc, 0), index(gb, gloc, sizes[0]),
                     index(gb, gloc, offsets[0])};
        } else {
          SmallVector<int64_t> cases =
              llvm::to_vector(llvm::seq<int64_t>(sizes.size()));
          auto info = scf::IndexSwitchOp::create(
              gb, gloc, SmallVector<Type>(3, gb.getIndexType()), row, cases,
              cases.size());
          auto yieldRow = [&](Region &region, int64_t r) {
            OpBuilder::InsertionGuard guard(gb);
            gb.setInsertionPointToStart(&region.emplaceBlock());
            scf::YieldOp::create(gb, gloc,
                                 ValueRange{index(gb, gloc, blockStarts[r]),
                                            index(gb, gloc, sizes[r]),
                                            index(gb, gloc, offsets[r])});
          };
          yieldRow(info.getDefaultRegion(), 0);
          for (int64_t r : cases)
            yieldRow(info.getCaseRegions()[r], r);
          rowInfo = llvm::to_vector_of<Value>(info.getResults());
        }
        Value chunkStart = arith::MulIOp::create(
            gb, gloc, arith::SubIOp::create(gb, gloc, block, rowInfo[0]),
            index(gb, gloc, chunk));
        auto threads = scf::ParallelOp::create(
            gb, gloc, ValueRange{zero},
            ValueRange{index(gb, gloc, kThreadsPerBlock)}, ValueRange{one},
            [&](OpBuilder &tb, Location tloc, ValueRange threadIvs) {
              prologue(tb, tloc, row);
              Value first =
                  arith::AddIOp::create(tb, tloc, chunkStart, threadIvs[0]);
              scf::ForOp::create(
                  tb, tloc, index(tb, tloc, 0),
                  index(tb, tloc, kMaxElementsPerThread), index(tb, tloc, 1),
                  ValueRange{},
                  [&](OpBuilder &lb, Location lloc, Value it, ValueRange) {
                    Value inRow = arith::AddIOp::create(
                        lb, lloc, first,
                        arith::MulIOp::create(
                            lb, lloc, it, index(lb, lloc, kThreadsPerBlock)));
                    Value inBounds = arith::CmpIOp::create(
                        lb, lloc, arith::CmpIPredicate::ult, inRow, rowInfo[1]);
                    scf::IfOp::create(lb, lloc, inBounds,
                                      [&](OpBuilder &ib, Location iloc) {
                                        body(ib, iloc, row,
                                             arith::AddIOp::create(
                                                 ib, iloc, rowInfo[2], inRow));
                                        scf::YieldOp::create(ib, iloc);
                                      });
                    scf::YieldOp::create(lb, lloc);
                  });
            });
        setMapping(threads, {gpu::Processor::ThreadX});
      });
  setMapping(grid, {gpu::Processor::BlockX});
}

/// A zero-filled rows × kReductionSlots f64 buffer.
static Value createSlots(OpBuilder &b, Location loc, int64_t rows) {
  Value slots = allocBuffer(b, loc, {rows, kReductionSlots}, b.getF64Type());
  Value zero = arith::ConstantOp::create(b, loc, b.getF64FloatAttr(0.0));
  linalg::FillOp::create(b, loc, zero, slots);
  return slots;
}

RowSums::RowSums(OpBuilder &b, Location loc, int64_t rows, int64_t elements,
                 bool deterministic)
    : rows(rows), threads(getThreadsPerRow(elements)),
      deterministic(deterministic) {
  partials = deterministic
                 ? allocBuffer(b, loc, {rows, threads}, b.getF64Type())
                 : createSlots(b, loc, rows);
}

void RowSums::accumulate(OpBuilder &b, Location loc, Value row, Value thread,
                         Value partial) const {
  if (deterministic) {
    memref::StoreOp::create(b, loc, partial, partials, ValueRange{row, thread});
    return;
  }
  Value slot = arith::RemUIOp::create(
      b, loc, thread, arith::ConstantIndexOp::create(b, loc, kReductionSlots));
  memref::AtomicRMWOp::create(b, loc, arith::AtomicRMWKind::addf, partial,
                              partials, ValueRange{row, slot});
}

Value RowSums::finish(OpBuilder &b, Location loc) const {
  if (!deterministic)
    return partials;
  // Each kernel sums up to 16 consecutive-strided partials per thread
  // (buildKernel's order), until a row has one block's worth.
  Value level = partials;
  int64_t count = threads;
  Value zero = arith::ConstantOp::create(b, loc, b.getF64FloatAttr(0.0));
  while (count > kThreadsPerBlock) {
    int64_t next = getThreadsPerRow(count);
    Value sums = allocBuffer(b, loc, {rows, next}, b.getF64Type());
    Value flat = flatten(b, loc, level);
    buildKernel(
        b, loc, rows, count, {zero}, [](OpBuilder &, Location, Value) {},
        [&](OpBuilder &kb, Location kloc, Value, Value index, ValueRange accs) {
          Value value = memref::LoadOp::create(kb, kloc, flat, index);
          return SmallVector<Value>{
              arith::AddFOp::create(kb, kloc, accs[0], value)};
        },
        [&](OpBuilder &kb, Location kloc, Value row, Value thread,
            ValueRange accs) {
          memref::StoreOp::create(kb, kloc, accs[0], sums,
                                  ValueRange{row, thread});
        });
    level = sums;
    count = next;
  }
  // The last partials of a row, summed by one thread into its first slot.
  Value slots = createSlots(b, loc, rows);
  buildKernel(
      b, loc, rows, 1, {}, [](OpBuilder &, Location, Value) {},
      [&](OpBuilder &kb, Location kloc, Value row, Value, ValueRange) {
        Value sum = buildSlotSum(kb, kloc, level, row);
        memref::StoreOp::create(
            kb, kloc, sum, slots,
            ValueRange{row, arith::ConstantIndexOp::create(kb, kloc, 0)});
        return SmallVector<Value>{};
      },
      [](OpBuilder &, Location, Value, Value, ValueRange) {});
  return slots;
}

Value muon::optim::accumulateSquare(OpBuilder &b, Location loc, Value acc,
                                    Value x) {
  Value wide = convertScalar(b, loc, x, acc.getType());
  return arith::AddFOp::create(b, loc, acc,
                               arith::MulFOp::create(b, loc, wide, wide));
}

Value muon::optim::buildSlotSum(OpBuilder &b, Location loc, Value slots,
                                Value row) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value count = arith::ConstantIndexOp::create(
      b, loc, cast<MemRefType>(slots.getType()).getDimSize(1));
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value init = arith::ConstantOp::create(b, loc, b.getF64FloatAttr(0.0));
  auto loop = scf::ForOp::create(
      b, loc, zero, count, one, ValueRange{init},
      [&](OpBuilder &lb, Location lloc, Value slot, ValueRange acc) {
        Value value =
            memref::LoadOp::create(lb, lloc, slots, ValueRange{row, slot});
        scf::YieldOp::create(
            lb, lloc,
            ValueRange{arith::AddFOp::create(lb, lloc, acc[0], value)});
      });
  return loop.getResult(0);
}

Value muon::optim::loadAs(OpBuilder &b, Location loc, Value buffer,
                          ValueRange index, Type type) {
  return convertScalar(b, loc, memref::LoadOp::create(b, loc, buffer, index),
                       type);
}

SkipFlag::SkipFlag(OpBuilder &b, Location loc, Value buffer)
    : buffer(buffer ? toFlatBuffer(b, loc, buffer) : Value()) {}

void SkipFlag::load(OpBuilder &b, Location loc) {
  if (!buffer)
    return;
  Value flag = memref::LoadOp::create(b, loc, buffer, ValueRange());
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(flag.getType()));
  skipped = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, flag, zero);
}

Value SkipFlag::select(OpBuilder &b, Location loc, Value updated,
                       Value old) const {
  if (!skipped)
    return updated;
  return arith::SelectOp::create(b, loc, skipped, old, updated);
}

void muon::optim::storeConverted(OpBuilder &b, Location loc, Value value,
                                 Value buffer, ValueRange index) {
  Type type = cast<MemRefType>(buffer.getType()).getElementType();
  memref::StoreOp::create(b, loc, convertScalar(b, loc, value, type), buffer,
                          index);
}

Value muon::optim::toFlatBuffer(OpBuilder &b, Location loc, Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  if (!type.getLayout().isIdentity()) {
    Value copy = allocBuffer(b, loc, type.getShape(), type.getElementType());
    memref::CopyOp::create(b, loc, buffer, copy);
    buffer = copy;
  }
  return type.getRank() == 0 ? buffer : flatten(b, loc, buffer);
}

Value muon::optim::allocBuffer(OpBuilder &b, Location loc,
                               ArrayRef<int64_t> shape, Type elementType) {
  return memref::AllocOp::create(b, loc, MemRefType::get(shape, elementType));
}

Value muon::optim::flatten(OpBuilder &b, Location loc, Value buffer) {
  return muon::buildReshape(
      b, loc, buffer, {cast<MemRefType>(buffer.getType()).getNumElements()});
}
