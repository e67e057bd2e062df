# Reference: Optuna's GPSampler on Hartmann6, 100 trials per seed, for docs/OPTIMIZER.md.
#   .venv-trainer/bin/python bench/optuna_hartmann6.py 0 1 2 3 4 5 6 7 8 9   (~8 s per seed)
# Needs the trainer venv (.venv-trainer, has torch) plus `pip install optuna scipy`.
# Optuna GPSampler on Hartmann6 (seeds given on the command line), 100 evaluations, simple regret.
import sys, json, math
import numpy as np
import optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991], [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])
alpha = np.array([1.0, 1.2, 3.0, 3.2])
FMIN = -3.32237
def h6(x):
    x = np.asarray(x)
    return -float(np.sum(alpha * np.exp(-np.sum(A * (x - P) ** 2, axis=1))))
out = {}
for seed in map(int, sys.argv[1:]):
    s = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=seed))
    s.optimize(lambda t: h6([t.suggest_float(f"x{i}", 0, 1) for i in range(6)]), n_trials=100)
    vals = [t.value for t in s.trials]
    out[seed] = {"at50": min(vals[:50]) - FMIN, "at100": min(vals) - FMIN}
    print(json.dumps({seed: out[seed]}), flush=True)
r = sorted(v["at100"] for v in out.values())
print(json.dumps({"median_at100": float(np.median(r)), "found_global": sum(v < 0.01 for v in r), "n": len(r)}))
