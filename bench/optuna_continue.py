# Continues our optimizer's dumped Hartmann6 state (bench/optuna_compare_dump.ts) with Optuna's
# GPSampler: does its GP loop escape the basin ours is stuck in, from the same data?
#   .venv-trainer/bin/python bench/optuna_continue.py MORE STATE.json...
import sys, json
import numpy as np
import optuna
from optuna.distributions import FloatDistribution
A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991], [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])
ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
FMIN = -3.32237
def h6(x):
    return -float(np.sum(ALPHA * np.exp(-np.sum(A * (np.asarray(x) - P) ** 2, axis=1))))
optuna.logging.set_verbosity(optuna.logging.ERROR)
more = int(sys.argv[1])
for f in sys.argv[2:]:
    s = json.load(open(f))
    st = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=s["seed"]))
    dists = {f"x{i}": FloatDistribution(0, 1) for i in range(6)}
    st.add_trials([optuna.trial.create_trial(params={f"x{i}": v for i, v in enumerate(x)}, distributions=dists, value=y) for x, y in zip(s["X"], s["y"])])
    st.optimize(lambda t: h6([t.suggest_float(f"x{i}", 0, 1) for i in range(6)]), n_trials=more)
    print(json.dumps({"state": f, "regret_at_state": s["bestSoFar"], "optuna_continued": min(t.value for t in st.trials) - FMIN}), flush=True)
