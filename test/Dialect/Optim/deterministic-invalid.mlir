// RUN: muon-opt %s -split-input-file -verify-diagnostics

// optim.deterministic marks a whole module, without a value.
// expected-error @+1 {{'optim.deterministic' must be a unit attribute on a module}}
module attributes {optim.deterministic = 1 : i64} {
}

// -----

module {
  // expected-error @+1 {{'optim.deterministic' must be a unit attribute on a module}}
  func.func @f() attributes {optim.deterministic} {
    return
  }
}
