// One optimizer step for one transformer block (GPT-2 small sizes, separate
// Q/K/V projections with heads along dim 1): Muon for the hidden matrices,
// AdamW for the 1-D parameters, then QK-clip with the forward pass's
// per-head max logits.
func.func @step(
    %wq: tensor<768x768xf32>, %gq: tensor<768x768xf32>, %mq: tensor<768x768xf32>,
    %wk: tensor<768x768xf32>, %gk: tensor<768x768xf32>, %mk: tensor<768x768xf32>,
    %wfc: tensor<768x3072xf32>, %gfc: tensor<768x3072xf32>, %mfc: tensor<768x3072xf32>,
    %wproj: tensor<3072x768xf32>, %gproj: tensor<3072x768xf32>, %mproj: tensor<3072x768xf32>,
    %ln: tensor<768xf32>, %gln: tensor<768xf32>, %mln: tensor<768xf32>, %vln: tensor<768xf32>,
    %max_logits: tensor<12xf32>, %lr: tensor<f32>, %adam_lr: tensor<f32>, %t: tensor<i64>)
    -> (tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>,
        tensor<768x3072xf32>, tensor<768x3072xf32>, tensor<3072x768xf32>, tensor<3072x768xf32>,
        tensor<768xf32>, tensor<768xf32>, tensor<768xf32>) {
  %wq1, %mq1 = optim.muon %wq, %gq, %mq, %lr {weight_decay = 0.1}
      : tensor<768x768xf32>, tensor<f32>
  %wk1, %mk1 = optim.muon %wk, %gk, %mk, %lr {weight_decay = 0.1}
      : tensor<768x768xf32>, tensor<f32>
  %wfc1, %mfc1 = optim.muon %wfc, %gfc, %mfc, %lr {weight_decay = 0.1,
      schedule = #optim.ns_schedule<polar_express>}
      : tensor<768x3072xf32>, tensor<f32>
  %wproj1, %mproj1 = optim.muon %wproj, %gproj, %mproj, %lr {weight_decay = 0.1,
      lr_adjust = #optim.lr_adjust<match_rms_adamw>}
      : tensor<3072x768xf32>, tensor<f32>
  %ln1, %mln1, %vln1 = optim.adamw %ln, %gln, %mln, %vln, %adam_lr, %t
      {weight_decay = 0.0} : tensor<768xf32>, tensor<f32>, tensor<i64>
  %wq2, %wk2 = optim.qk_clip %wq1, %wk1, %max_logits {num_heads = 12 : i64,
      head_dim = 64 : i64, head_axis = 1 : i64, tau = 100.0}
      : tensor<768x768xf32>, tensor<768x768xf32>, tensor<12xf32>
  return %wq2, %mq1, %wk2, %mk1, %wfc1, %mfc1, %wproj1, %mproj1, %ln1, %mln1, %vln1
      : tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>, tensor<768x768xf32>,
        tensor<768x3072xf32>, tensor<768x3072xf32>, tensor<3072x768xf32>, tensor<3072x768xf32>,
        tensor<768xf32>, tensor<768xf32>, tensor<768xf32>
}
