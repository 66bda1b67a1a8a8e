"""Checkpoints between muon_mlir.optim.Muon and torch.optim.Muon + AdamW.

The per-parameter state uses torch's keys (`momentum_buffer` for Muon;
`step`, `exp_avg`, `exp_avg_sq` for AdamW), so only the layout of the state
dicts differs: torch keeps one optimizer per algorithm, this package one
with a group per algorithm. These functions concatenate and split state
dicts along param groups, renumbering parameters as torch's do.
"""

import copy


def combine_state_dicts(*state_dicts):
    """One state dict with the param groups of `state_dicts` in order, e.g.
    `Muon([{"params": hidden, "use_muon": True}, {"params": rest,
    "use_muon": False}]).load_state_dict(combine_state_dicts(
    torch_muon.state_dict(), torch_adamw.state_dict()))`."""
    state, groups, offset = {}, [], 0
    for sd in state_dicts:
        for group in sd["param_groups"]:
            renumbered = {old: offset + i for i, old in enumerate(group["params"])}
            offset += len(renumbered)
            for old, new in renumbered.items():
                if old in sd["state"]:
                    state[new] = copy.copy(sd["state"][old])
            groups.append(dict(group, params=list(renumbered.values())))
    return {"state": state, "param_groups": groups}


def split_state_dict(state_dict, groups_per_dict):
    """The inverse: one state dict per entry of `groups_per_dict` (how many
    consecutive param groups each takes), e.g. `muon_sd, adamw_sd =
    split_state_dict(opt.state_dict(), [1, 1])` for torch.optim.Muon and
    torch.optim.AdamW."""
    if sum(groups_per_dict) != len(state_dict["param_groups"]):
        raise ValueError(f"the state dict has {len(state_dict['param_groups'])} param "
                         f"groups, {sum(groups_per_dict)} were asked for")
    result, start = [], 0
    for count in groups_per_dict:
        part = combine_state_dicts({"state": state_dict["state"],
                                    "param_groups": state_dict["param_groups"][start:start + count]})
        for group in part["param_groups"]:
            # torch.optim.Muon reads its own spelling of the adjustment
            # (state dicts of older versions kept ours).
            if group.get("lr_adjust"):
                group["adjust_lr_fn"] = group["lr_adjust"]
        result.append(part)
        start += count
    return result
