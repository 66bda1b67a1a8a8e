// One optimizer step of a small transformer block (d_model 64, 4 heads of
// 16, MLP 256, heads along dim 1 of W_q/W_k as in y = x W): Muon for the
// hidden matrices, AdamW for the LayerNorm weight, then QK-clip with the
// forward pass's per-head max logits. examples/run_block_step.py runs it on
// the inputs in examples/block_step/ and compares with torch and numpy.
func.func @step(
    %wq: tensor<64x64xf32>, %gq: tensor<64x64xf32>, %mq: tensor<64x64xf32>,
    %wk: tensor<64x64xf32>, %gk: tensor<64x64xf32>, %mk: tensor<64x64xf32>,
    %wfc: tensor<64x256xf32>, %gfc: tensor<64x256xf32>, %mfc: tensor<64x256xf32>,
    %wproj: tensor<256x64xf32>, %gproj: tensor<256x64xf32>, %mproj: tensor<256x64xf32>,
    %ln: tensor<64xf32>, %gln: tensor<64xf32>, %mln: tensor<64xf32>, %vln: tensor<64xf32>,
    %max_logits: tensor<4xf32>, %lr: tensor<f32>, %adam_lr: tensor<f32>, %t: tensor<i64>)
    -> (tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>,
        tensor<64x256xf32>, tensor<64x256xf32>, tensor<256x64xf32>, tensor<256x64xf32>,
        tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) {
  %wq1, %mq1 = optim.muon %wq, %gq, %mq, %lr {weight_decay = 0.1}
      : tensor<64x64xf32>, tensor<f32>
  %wk1, %mk1 = optim.muon %wk, %gk, %mk, %lr {weight_decay = 0.1}
      : tensor<64x64xf32>, tensor<f32>
  %wfc1, %mfc1 = optim.muon %wfc, %gfc, %mfc, %lr {weight_decay = 0.1,
      lr_adjust = #optim.lr_adjust<match_rms_adamw>}
      : tensor<64x256xf32>, tensor<f32>
  %wproj1, %mproj1 = optim.muon %wproj, %gproj, %mproj, %lr {weight_decay = 0.1,
      nesterov = false} : tensor<256x64xf32>, tensor<f32>
  %ln1, %mln1, %vln1 = optim.adamw %ln, %gln, %mln, %vln, %adam_lr, %t
      {weight_decay = 0.0} : tensor<64xf32>, tensor<f32>, tensor<i64>
  %wq2, %wk2 = optim.qk_clip %wq1, %wk1, %max_logits {num_heads = 4 : i64,
      head_dim = 16 : i64, head_axis = 1 : i64, tau = 100.0}
      : tensor<64x64xf32>, tensor<64x64xf32>, tensor<4xf32>
  return %wq2, %mq1, %wk2, %mk1, %wfc1, %mfc1, %wproj1, %mproj1, %ln1, %mln1, %vln1
      : tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>,
        tensor<64x256xf32>, tensor<64x256xf32>, tensor<256x64xf32>, tensor<256x64xf32>,
        tensor<64xf32>, tensor<64xf32>, tensor<64xf32>
}
