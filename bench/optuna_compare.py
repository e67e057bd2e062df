# Feeds the state dumped by bench/optuna_compare_dump.ts to Optuna's own GP code and compares.
#   npx tsx bench/optuna_compare_dump.ts 0 50 /tmp/s0.json
#   .venv-trainer/bin/python bench/optuna_compare.py /tmp/s0.json /tmp/s0_optuna.json
#   npx tsx bench/optuna_compare_dump.ts 0 50 /tmp/s0.json /tmp/s0_optuna.json   # ours at Optuna's params
# Needs .venv-trainer with `pip install optuna scipy` (torch).
import sys, json, math
import numpy as np
import torch
from optuna._gp import gp, prior, acqf, optim_mixed
from optuna._gp.search_space import SearchSpace
from optuna.distributions import FloatDistribution
from optuna.samplers._gp.sampler import _standardize_values

s = json.load(open(sys.argv[1]))
X = np.array(s["X"], dtype=np.float64)
yraw = np.array(s["y"], dtype=np.float64)
n, d = X.shape
Y, _, _ = _standardize_values(-yraw[:, None])  # Optuna maximizes -loss
Y = Y[:, 0]
print("max |ours ystd + optuna Y|:", np.abs(np.array(s["ystd"]) + Y).max())
iscat = np.zeros(d, dtype=bool)
g = gp.fit_kernel_params(X, Y, iscat, prior.default_log_prior, prior.DEFAULT_MINIMUM_NOISE_VAR, False)
isl = g.inverse_squared_lengthscales.numpy()
print("optuna isl", np.round(isl, 4), "scale", g.kernel_scale.item(), "noise", g.noise_var.item())
print("ours   isl", np.round(s["ours"]["isl"], 4), "scale", s["ours"]["scale"], "noise", s["ours"]["noise"])

def neg_log_post(isl, scale, noise):
    r = gp.GPRegressor(torch.from_numpy(iscat), torch.from_numpy(X), torch.from_numpy(Y), torch.tensor(isl, dtype=torch.float64), torch.tensor(scale, dtype=torch.float64), torch.tensor(noise, dtype=torch.float64))
    lml = r.marginal_log_likelihood().item() - 0.5 * n * math.log(2 * math.pi)
    lp = prior.default_log_prior(r).item()
    r._cache_matrix()
    return -(lml + lp), lml, r

ss = SearchSpace({f"x{i}": FloatDistribution(0, 1) for i in range(d)})
f0 = Y.max()
def preds(r):
    out = []
    for t in s["tests"]:
        m, v = r.posterior(torch.tensor(t, dtype=torch.float64))
        le = acqf.LogEI(r, ss, f0).eval_acqf(torch.tensor([t], dtype=torch.float64)).item()
        out.append({"mean": -m.item(), "var": v.item(), "logEI": le})
    return out

o = s["ours"]
for name, (a, b, c) in {"optuna params": (isl, g.kernel_scale.item(), g.noise_var.item()), "our params": (np.array(o["isl"]), o["scale"], o["noise"])}.items():
    nlp, lml, r = neg_log_post(a, b, c)
    print(f"[optuna code] at {name}: -logpost {nlp:.4f} lml {lml:.4f}")
    for t, p in zip(s["tests"], preds(r)):
        print("   ", np.round(t, 3), {k: round(v, 5) for k, v in p.items()})
print("[ours code] at our params: -logpost", o["negLogPost"], "lml", o["lml"])
for t, p in zip(s["tests"], o["pred"]):
    print("   ", np.round(t, 3), {k: round(v, 5) for k, v in p.items()})
if "atOptunaParams" in s:
    a = s["atOptunaParams"]
    print("[ours code] at optuna params: -logpost", a["negLogPost"], "lml", a["lml"])
    for t, p in zip(s["tests"], a["pred"]):
        print("   ", np.round(t, 3), {k: round(v, 5) for k, v in p.items()})

# Next point each would propose (Optuna's optimizer on Optuna's GP vs ours).
rng = np.random.RandomState(0)
best = X[np.argmax(Y)][None]
for name, r in {"optuna GP": neg_log_post(isl, g.kernel_scale.item(), g.noise_var.item())[2], "our-params GP": neg_log_post(np.array(o["isl"]), o["scale"], o["noise"])[2]}.items():
    xn, av = optim_mixed.optimize_acqf_mixed(acqf.LogEI(r, ss, f0), warmstart_normalized_params_array=best, rng=rng)
    print(f"optuna optimize_acqf on {name}: next {np.round(xn, 3)} logEI {av:.4f} dist-to-opt {np.linalg.norm(xn - np.array(s['tests'][0])):.3f}")
if s.get("oursNext"):
    xo = np.array(s["oursNext"]); print("ours next", np.round(xo, 3), "dist-to-opt", round(float(np.linalg.norm(xo - np.array(s["tests"][0]))), 3))
if len(sys.argv) > 2:
    json.dump({"isl": isl.tolist(), "scale": g.kernel_scale.item(), "noise": g.noise_var.item()}, open(sys.argv[2], "w"))
